package io.siyu.infra;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The embedded {@code redis-server} started when no external Redis is configured.
 *
 * <pre>
 * siyu:
 *   redis:
 *     embedded:
 *       enabled: true          # false: never start one (then spring.data.redis.* must point somewhere)
 *       port: 6379             # 0 = a free port
 *       dir: ./data/redis
 *       appendonly: true       # false: nothing persists (tests)
 *       appendfsync: always    # always | everysec | no
 *       shared-per-jvm: false  # tests: one server for every application context of the JVM
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.redis.embedded")
public record EmbeddedRedisProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("6379") @Min(0) @Max(65535) int port,
    @DefaultValue("./data/redis") @NotBlank String dir,
    @DefaultValue("true") boolean appendonly,
    @DefaultValue("always") @Pattern(regexp = "always|everysec|no", message = "must be always, everysec or no") String appendfsync,
    @DefaultValue("false") boolean sharedPerJvm) {}

package io.siyu.infra;

import jakarta.validation.constraints.NotNull;
import java.time.ZoneId;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Settings that belong to the brand as a whole.
 *
 * <pre>
 * siyu:
 *   zone: Asia/Shanghai   # days, quiet hours and schedules are counted in this time zone
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu")
public record SiyuProperties(@DefaultValue("Asia/Shanghai") @NotNull ZoneId zone) {}

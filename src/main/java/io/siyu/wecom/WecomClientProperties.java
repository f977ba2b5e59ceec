package io.siyu.wecom;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.Map;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How Siyu calls WeCom: concurrency, timeouts, retries and the rate limits shared by every instance.
 *
 * <pre>
 * siyu:
 *   wecom:
 *     client:
 *       max-concurrent-calls: 16      # WeCom calls in flight at once, per instance (threads and HTTP connections)
 *       queue-capacity: 10000         # calls waiting for one of those threads; beyond it calls fail as transient
 *       connect-timeout: 5s
 *       read-timeout: 10s
 *       token-lock-wait: 15s          # how long to wait while another instance refreshes an access token
 *       retry:                        # for -1, 45009, 45033, I/O errors and timeouts
 *         attempts: 3                 # retries after the first try
 *         initial-backoff: 200ms
 *         max-backoff: 5s
 *       max-rate-wait: 2s             # wait this long for a rate-limit token, then fail with WecomRateLimitedException
 *       default-rate-limit: 10000     # calls per minute per API for the corp (WeCom's documented limit, unconfirmed)
 *       rate-limits:                  # per-minute overrides by API path; brackets keep the '/' in the key
 *         "[message/send]": 1000
 *       health-timeout: 5s            # real mode: how long the health check waits for an access token
 *       rate-burst: 1s                # bucket size as this much of a minute's calls: at most limit * (1 + burst/1m)
 *                                     # calls in any minute, so a limit of 1m would allow twice WeCom's per minute
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.wecom.client")
public record WecomClientProperties(
    @DefaultValue("16") @Min(1) @Max(512) int maxConcurrentCalls,
    @DefaultValue("10000") @Min(1) int queueCapacity,
    @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration connectTimeout,
    @DefaultValue("10s") @NotNull @DurationMin(millis = 1) Duration readTimeout,
    @DefaultValue("15s") @NotNull @DurationMin(millis = 1) Duration tokenLockWait,
    @Valid @DefaultValue Retry retry,
    @DefaultValue("2s") @NotNull @DurationMin(millis = 0) @DurationMax(minutes = 10) Duration maxRateWait,
    @DefaultValue("10000") @Min(1) int defaultRateLimit,
    Map<String, @NotNull @Min(1) Integer> rateLimits,
    @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration healthTimeout,
    @DefaultValue("1s") @NotNull @DurationMin(millis = 1) @DurationMax(minutes = 1) Duration rateBurst) {

  public WecomClientProperties {
    rateLimits = rateLimits == null ? Map.of() : Map.copyOf(rateLimits);
  }

  /** Backoff for transient WeCom failures. */
  public record Retry(
      @DefaultValue("3") @Min(0) @Max(10) int attempts,
      @DefaultValue("200ms") @NotNull @DurationMin(millis = 1) Duration initialBackoff,
      @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration maxBackoff) {}

  /** Calls per minute allowed for one API across all instances. */
  public int rateLimit(String api) {
    return rateLimits.getOrDefault(api, defaultRateLimit);
  }

  /** The token bucket's size for {@code api}: {@code rate-burst} worth of its per-minute limit, at least 1. */
  public int rateCapacity(String api) {
    return (int) Math.max(1, rateLimit(api) * rateBurst.toMillis() / Duration.ofMinutes(1).toMillis());
  }
}

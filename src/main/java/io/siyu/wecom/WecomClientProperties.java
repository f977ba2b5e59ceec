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
 *       rate-burst: 1s                # the bucket holds this share of a minute's limit, so no 60 s window exceeds it
 *       health-timeout: 5s            # real mode: how long the health check waits for an access token
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
    @DefaultValue("1s") @NotNull @DurationMin(millis = 1) @DurationMax(seconds = 59) Duration rateBurst,
    @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration healthTimeout) {

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

  /**
   * Tokens the API's bucket holds: {@code rate-burst} worth of its per-minute limit (at least 1, below the
   * limit). With {@link #refillPerMinute} the bucket can grant at most the limit in ANY 60 s window: a full
   * bucket of {@code b} plus a minute's refill of {@code limit - b}. A bucket of a whole minute would allow a
   * burst plus a minute of refill within one window, which WeCom answers with 45009.
   */
  public int bucketCapacity(String api) {
    int limit = rateLimit(api);
    long burst = (long) limit * rateBurst.toMillis() / 60_000;
    return (int) Math.max(1, Math.min(limit - 1, burst));
  }

  /** Refill per minute of the API's bucket: the limit less the bucket (at least 1 for a limit of 1). */
  public int refillPerMinute(String api) {
    return Math.max(1, rateLimit(api) - bucketCapacity(api));
  }
}

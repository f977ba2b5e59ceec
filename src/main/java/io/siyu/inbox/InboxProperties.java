package io.siyu.inbox;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The inbox consumer: how entries are read from the stream, retried, claimed from crashed instances
 * and drained on shutdown.
 *
 * <pre>
 * siyu:
 *   inbox:
 *     enabled: true            # false: this instance appends but does not consume (e.g. a benchmark)
 *     group: siyu              # consumer group shared by all instances
 *     consumer:                # empty: hostname-pid-random, one named consumer per instance
 *     batch-size: 64           # entries per XREADGROUP
 *     concurrency: 64          # entries processed at once
 *     block-timeout: 2s        # XREADGROUP BLOCK (on a dedicated connection)
 *     max-attempts: 5          # handler attempts per delivery, and deliveries before poison
 *     backoff-initial: 500ms   # first retry delay, doubling with jitter
 *     backoff-max: 30s
 *     claim-idle: 60s          # take over entries another consumer left pending this long
 *     claim-interval: 15s
 *     shutdown-timeout: 15s    # wait this long for in-flight handlers on shutdown
 *     metrics-refresh: 10s     # how often the pending/lag/dead gauges are read from Redis
 *     kf:
 *       page-limit: 1000       # kf/sync_msg limit (WeCom's maximum is 1000)
 *       lease-ttl: 30s         # one sync per customer-service account at a time
 *       lease-wait: 30s        # how long an event waits for a running sync before failing (retried)
 *       max-pages: 100         # pages per sync before yielding (the rest is fetched on retry)
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.inbox")
public record InboxProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("siyu") @NotBlank String group,
    String consumer,
    @DefaultValue("64") @Min(1) @Max(10_000) int batchSize,
    @DefaultValue("64") @Min(1) @Max(10_000) int concurrency,
    @DefaultValue("2s") @NotNull Duration blockTimeout,
    @DefaultValue("5") @Min(1) @Max(100) int maxAttempts,
    @DefaultValue("500ms") @NotNull Duration backoffInitial,
    @DefaultValue("30s") @NotNull Duration backoffMax,
    @DefaultValue("60s") @NotNull Duration claimIdle,
    @DefaultValue("15s") @NotNull Duration claimInterval,
    @DefaultValue("15s") @NotNull Duration shutdownTimeout,
    @DefaultValue("10s") @NotNull Duration metricsRefresh,
    @Valid @DefaultValue Kf kf) {

  public InboxProperties {
    consumer = consumer == null || consumer.isBlank() ? defaultConsumerName() : consumer.trim();
  }

  /** kf/sync_msg settings. */
  public record Kf(
      @DefaultValue("1000") @Min(1) @Max(1000) int pageLimit,
      @DefaultValue("30s") @NotNull Duration leaseTtl,
      @DefaultValue("30s") @NotNull Duration leaseWait,
      @DefaultValue("100") @Min(1) int maxPages) {}

  @AssertTrue(message = "block-timeout must be positive and shorter than shutdown-timeout")
  boolean isBlockTimeoutSane() {
    return positive(blockTimeout) && blockTimeout.compareTo(shutdownTimeout) < 0;
  }

  /** In-flight entries are kept fresh on each claim tick, so a tick must come before they look idle. */
  @AssertTrue(message = "claim-idle and claim-interval must be positive and claim-interval shorter than claim-idle")
  boolean isClaimSane() {
    return positive(claimIdle) && positive(claimInterval) && claimInterval.compareTo(claimIdle) < 0;
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  private static String defaultConsumerName() {
    // RuntimeMXBean's name is "pid@hostname" without a DNS lookup.
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      String vm = ManagementFactory.getRuntimeMXBean().getName();
      host = vm.contains("@") ? vm.substring(vm.indexOf('@') + 1) : "host";
    }
    return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}

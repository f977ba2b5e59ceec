package io.siyu.growth;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Points (积分): when earned points expire, how long idempotency keys are remembered, the expiry job and
 * batch extensions.
 *
 * <p>Expiry modes (times in the brand zone {@code siyu.zone}):
 * <ul>
 *   <li>{@code days}: a lot expires {@code days} local days after it was earned, at the same local time
 *   (earned 2026-03-10 14:05 with days 365 → expires 2027-03-10 14:05).</li>
 *   <li>{@code month-end}: a lot expires at the end of the month {@code periods} months after the
 *   earning month, i.e. at local midnight starting the following month (earned any day of March 2026
 *   with periods 12 → expires 2027-04-01 00:00; periods 0 → the end of the earning month).</li>
 *   <li>{@code quarter-end}: likewise with calendar quarters (earned in Q1 2026 with periods 4 →
 *   expires 2027-04-01 00:00, the end of Q1 2027).</li>
 * </ul>
 * A lot expiring at T can be spent until T (exclusive) and is gone at T.
 *
 * <pre>
 * siyu:
 *   points:
 *     expiry:
 *       mode: days                  # days | month-end | quarter-end
 *       days: 365                   # mode days
 *       periods:                    # month-end: default 12 (months); quarter-end: default 4 (quarters)
 *     idempotency-retention: 400d   # a request key is recognised as a replay this long
 *     job:
 *       enabled: true
 *       interval: 1m
 *       batch: 500                  # persons expired per round
 *       lease: 5m
 *     extension:
 *       concurrency: 8              # persons extended at once per batch
 *       lease: 60s                  # a batch whose instance died is resumed after this
 *       notice: "{name}，你的{points}积分有效期已延长至{expiresAt}，记得及时使用哦～"
 *     expiring-notice-lead: 3d      # a points_expiring event this long before a lot expires (once per person and day)
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.points")
public record PointsProperties(
    @DefaultValue @Valid @NotNull Expiry expiry,
    @DefaultValue("400d") @NotNull Duration idempotencyRetention,
    @DefaultValue @Valid @NotNull Job job,
    @DefaultValue @Valid @NotNull Extension extension,
    @DefaultValue("3d") @NotNull Duration expiringNoticeLead) {

  @AssertTrue(message = "expiring-notice-lead must be positive and at most 365 days")
  boolean isExpiringNoticeLeadSane() {
    return expiringNoticeLead == null || (!expiringNoticeLead.isNegative() && !expiringNoticeLead.isZero()
        && expiringNoticeLead.compareTo(Duration.ofDays(365)) <= 0);
  }

  public enum Mode { DAYS, MONTH_END, QUARTER_END }

  /** @param periods months (month-end) or quarters (quarter-end) after the earning one; null: 12 / 4 */
  public record Expiry(
      @DefaultValue("days") @NotNull Mode mode,
      @DefaultValue("365") @Min(1) @Max(3650) int days,
      @Min(0) @Max(120) Integer periods) {

    /** When a lot earned at {@code earnedAt} expires. */
    public Instant expiresAt(Instant earnedAt, ZoneId zone) {
      LocalDate day = earnedAt.atZone(zone).toLocalDate();
      return switch (mode) {
        case DAYS -> earnedAt.atZone(zone).plusDays(days).toInstant();
        case MONTH_END -> day.withDayOfMonth(1).plusMonths((periods == null ? 12 : periods) + 1L)
            .atStartOfDay(zone).toInstant();
        case QUARTER_END -> {
          LocalDate quarterStart = day.withDayOfMonth(1).withMonth(((day.getMonthValue() - 1) / 3) * 3 + 1);
          yield quarterStart.plusMonths(3L * ((periods == null ? 4 : periods) + 1)).atStartOfDay(zone).toInstant();
        }
      };
    }
  }

  public record Job(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("1m") @NotNull Duration interval,
      @DefaultValue("500") @Min(1) @Max(10_000) int batch,
      @DefaultValue("5m") @NotNull Duration lease) {

    @AssertTrue(message = "interval and lease must be positive")
    boolean isPositive() {
      return interval != null && lease != null && !interval.isNegative() && !interval.isZero()
          && !lease.isNegative() && !lease.isZero();
    }
  }

  public record Extension(
      @DefaultValue("8") @Min(1) @Max(256) int concurrency,
      @DefaultValue("60s") @NotNull Duration lease,
      @DefaultValue("{name}，你的{points}积分有效期已延长至{expiresAt}，记得及时使用哦～") @NotBlank String notice) {

    static final Set<String> PLACEHOLDERS = Set.of("name", "points", "expiresAt");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

    @AssertTrue(message = "notice may only use the placeholders {name}, {points} and {expiresAt}")
    boolean isNoticePlaceholdersKnown() {
      if (notice == null) {
        return true;
      }
      Matcher m = PLACEHOLDER.matcher(notice);
      while (m.find()) {
        if (!PLACEHOLDERS.contains(m.group(1))) {
          return false;
        }
      }
      return true;
    }

    @AssertTrue(message = "lease must be at least 1s")
    boolean isLeaseSane() {
      return lease == null || lease.compareTo(Duration.ofSeconds(1)) >= 0;
    }

    String notice(String name, long points, String expiresAt) {
      return notice.replace("{name}", name == null ? "" : name)
          .replace("{points}", Long.toString(points))
          .replace("{expiresAt}", expiresAt);
    }
  }
}

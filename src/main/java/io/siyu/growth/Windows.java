package io.siyu.growth;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

/**
 * Rolling-window interaction counts that fit in one short profile field. A window of {@code days} is
 * split into calendar periods of that length (local days in the brand's zone, counted from the epoch);
 * the field holds {@code <period>:<count in that period>:<count in the period before>} and the count in
 * the last {@code days} days is estimated as {@code current + previous × (share of the current period
 * still to come)}: the sliding-window counter known from rate limiting. Exact per-event history would
 * not fit the profile's 1.5 KB budget; the estimate is exact whenever the previous period was empty and
 * never off by more than the previous period's count.
 *
 * <p>{@code growth/record.lua} advances the state: same period → current + 1; the next period → previous
 * = current, current = 1; later → previous = 0, current = 1.
 */
public final class Windows {

  private Windows() {}

  /** The period index of {@code at} for a window of {@code days}. */
  public static long period(int days, Instant at, ZoneId zone) {
    return Math.floorDiv(localEpochDay(at, zone), days);
  }

  /** The estimated count in the last {@code days} days at {@code now}, from a stored state (null → 0). */
  public static double estimate(String state, int days, Instant now, ZoneId zone) {
    if (state == null || state.isEmpty()) {
      return 0;
    }
    String[] p = state.split(":", 3);
    long period = Long.parseLong(p[0]);
    long current = Long.parseLong(p[1]);
    long previous = p.length > 2 ? Long.parseLong(p[2]) : 0;
    LocalDateTime local = LocalDateTime.ofInstant(now, zone);
    double dayFraction = local.toLocalTime().toNanoOfDay() / 86_400e9;
    long localDay = local.toLocalDate().toEpochDay();
    long nowPeriod = Math.floorDiv(localDay, days);
    double elapsed = (Math.floorMod(localDay, days) + dayFraction) / days;
    if (period == nowPeriod) {
      return current + previous * (1 - elapsed);
    }
    if (period == nowPeriod - 1) {
      return current * (1 - elapsed);
    }
    return 0;
  }

  private static long localEpochDay(Instant at, ZoneId zone) {
    return LocalDateTime.ofInstant(at, zone).toLocalDate().toEpochDay();
  }

  /** Rounded estimate, as segments and scores read it. */
  public static long count(String state, int days, Instant now, ZoneId zone) {
    return Math.round(estimate(state, days, now, zone));
  }

}

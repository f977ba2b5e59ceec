package io.siyu.campaign;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.springframework.scheduling.support.CronExpression;

/** When a schedule next fires: pure, so the planner and the tests agree on every boundary. */
public final class Schedules {

  private Schedules() {}

  /**
   * The first fire time strictly after {@code after}, or null: a once schedule whose time has passed, a cron
   * that never fires again, and triggered schedules (they wait for events).
   *
   * @param defaultZone the zone of a recurring schedule without one ({@code siyu.zone})
   */
  public static Instant next(Campaign.Schedule schedule, Instant after, ZoneId defaultZone) {
    if (schedule instanceof Campaign.Once o) {
      return o.at() != null && o.at().isAfter(after) ? o.at() : null;
    }
    if (schedule instanceof Campaign.Recurring r) {
      ZonedDateTime next = CronExpression.parse(r.cron()).next(after.atZone(zone(r, defaultZone)));
      return next == null ? null : next.toInstant();
    }
    return null; // triggered: waits for events
  }

  static ZoneId zone(Campaign.Recurring r, ZoneId defaultZone) {
    return r.zone() == null || r.zone().isBlank() ? defaultZone : ZoneId.of(r.zone());
  }
}

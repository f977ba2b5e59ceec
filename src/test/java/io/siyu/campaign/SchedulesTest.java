package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class SchedulesTest {

  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  @Test
  void onceFiresAtItsTimeAndNeverAfter() {
    Instant at = Instant.parse("2026-11-24T02:00:00Z");
    Campaign.Once once = new Campaign.Once(at);
    assertThat(Schedules.next(once, at.minusSeconds(1), SHANGHAI)).isEqualTo(at);
    assertThat(Schedules.next(once, at, SHANGHAI)).isNull();
    assertThat(Schedules.next(once, at.plusSeconds(60), SHANGHAI)).isNull();
  }

  @Test
  void cronFiresInTheScheduleZoneAcrossMidnight() {
    // 23:30 Shanghai, every day at 10:00 Shanghai: the next fire is 10:00 the next local day (02:00 UTC)
    Campaign.Recurring daily = new Campaign.Recurring("0 0 10 * * *", null);
    Instant lateEvening = ZonedDateTime.of(2026, 11, 23, 23, 30, 0, 0, SHANGHAI).toInstant();
    assertThat(Schedules.next(daily, lateEvening, SHANGHAI))
        .isEqualTo(ZonedDateTime.of(2026, 11, 24, 10, 0, 0, 0, SHANGHAI).toInstant())
        .isEqualTo(Instant.parse("2026-11-24T02:00:00Z"));
    // a midnight schedule: at 23:59:59 local the next is 00:00 local, which is still the previous UTC day
    Campaign.Recurring midnight = new Campaign.Recurring("0 0 0 * * *", "Asia/Shanghai");
    Instant beforeMidnight = ZonedDateTime.of(2026, 11, 23, 23, 59, 59, 0, SHANGHAI).toInstant();
    assertThat(Schedules.next(midnight, beforeMidnight, ZoneId.of("UTC")))
        .isEqualTo(Instant.parse("2026-11-23T16:00:00Z"));
  }

  @Test
  void cronNextIsStrictlyAfterAndTheZoneDefaultsToTheBrandZone() {
    Campaign.Recurring hourly = new Campaign.Recurring("0 0 * * * *", null);
    Instant onTheHour = Instant.parse("2026-11-23T16:00:00Z");
    assertThat(Schedules.next(hourly, onTheHour, SHANGHAI)).isEqualTo(onTheHour.plus(Duration.ofHours(1)));
    // member day: the 8th of every month at 10:00 local; from the 8th at 10:00 the next is next month's 8th
    Campaign.Recurring memberDay = new Campaign.Recurring("0 0 10 8 * *", null);
    Instant eighth = ZonedDateTime.of(2026, 12, 8, 10, 0, 0, 0, SHANGHAI).toInstant();
    assertThat(Schedules.next(memberDay, eighth, SHANGHAI))
        .isEqualTo(ZonedDateTime.of(2027, 1, 8, 10, 0, 0, 0, SHANGHAI).toInstant());
    // the same cron in another zone is another instant
    Campaign.Recurring utc = new Campaign.Recurring("0 0 10 * * *", "UTC");
    assertThat(Schedules.next(utc, Instant.parse("2026-11-23T09:00:00Z"), SHANGHAI))
        .isEqualTo(Instant.parse("2026-11-23T10:00:00Z"));
  }

  @Test
  void triggeredSchedulesHaveNoNextRun() {
    Campaign.Triggered t = new Campaign.Triggered("interaction", "follow", Duration.ofHours(24), "groups == 0");
    assertThat(Schedules.next(t, Instant.parse("2026-11-23T09:00:00Z"), SHANGHAI)).isNull();
  }
}

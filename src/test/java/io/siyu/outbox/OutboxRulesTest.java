package io.siyu.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class OutboxRulesTest {

  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  private static final LocalTime TEN_PM = LocalTime.of(22, 0);
  private static final LocalTime EIGHT_AM = LocalTime.of(8, 0);

  private static Instant at(String date, String time) {
    return ZonedDateTime.of(LocalDate.parse(date), LocalTime.parse(time), SHANGHAI).toInstant();
  }

  @Test
  void quietHoursSpanningMidnightEndNextMorning() {
    assertThat(OutboxRules.quietUntil(at("2025-03-03", "23:15"), TEN_PM, EIGHT_AM, SHANGHAI))
        .contains(at("2025-03-04", "08:00"));
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "03:00"), TEN_PM, EIGHT_AM, SHANGHAI))
        .contains(at("2025-03-04", "08:00"));
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "22:00"), TEN_PM, EIGHT_AM, SHANGHAI))
        .contains(at("2025-03-05", "08:00"));
  }

  @Test
  void outsideQuietHoursNothingWaits() {
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "08:00"), TEN_PM, EIGHT_AM, SHANGHAI)).isEmpty();
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "21:59"), TEN_PM, EIGHT_AM, SHANGHAI)).isEmpty();
  }

  @Test
  void quietHoursWithinOneDayAndDisabledWhenEqual() {
    LocalTime one = LocalTime.of(13, 0);
    LocalTime two = LocalTime.of(14, 0);
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "13:30"), one, two, SHANGHAI)).contains(at("2025-03-04", "14:00"));
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "14:30"), one, two, SHANGHAI)).isEmpty();
    assertThat(OutboxRules.quietUntil(at("2025-03-04", "13:30"), one, one, SHANGHAI)).isEmpty();
  }

  @Test
  void quietHoursAreCountedInTheBrandZoneNotUtc() {
    // 15:00 UTC is 23:00 in Shanghai
    assertThat(OutboxRules.quietUntil(Instant.parse("2025-03-04T15:00:00Z"), TEN_PM, EIGHT_AM, SHANGHAI))
        .contains(at("2025-03-05", "08:00"));
  }

  @Test
  void weeksAreIsoWeeks() {
    assertThat(OutboxRules.weekId(LocalDate.parse("2024-12-30"))).isEqualTo("2025-W01");
    assertThat(OutboxRules.weekId(LocalDate.parse("2025-03-04"))).isEqualTo("2025-W10");
  }

  @Test
  void kfMsgIdFitsWecomsLimitAndIsStable() {
    String id = OutboxChannels.kfMsgId("journey:" + "x".repeat(190));
    assertThat(id).hasSize(32).matches("[0-9a-zA-Z_-]+").isEqualTo(OutboxChannels.kfMsgId("journey:" + "x".repeat(190)));
  }
}

package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class WindowsTest {

  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  @Test
  void periodsFollowLocalDaysInTheBrandZone() {
    // 2026-11-22T16:00Z is midnight of the 23rd in Shanghai: a new local day, so a new 1-day period.
    Instant before = Instant.parse("2026-11-22T15:59:59Z");
    Instant after = Instant.parse("2026-11-22T16:00:00Z");
    assertThat(Windows.period(1, after, SHANGHAI)).isEqualTo(Windows.period(1, before, SHANGHAI) + 1);
  }

  @Test
  void estimatesCurrentPlusTheUnexpiredShareOfThePreviousPeriod() {
    Instant now = Instant.parse("2026-11-23T04:00:00Z"); // 12:00 local
    long p = Windows.period(7, now, SHANGHAI);
    long localDay = java.time.LocalDate.of(2026, 11, 23).toEpochDay();
    double elapsed = (Math.floorMod(localDay, 7) + 0.5) / 7;
    assertThat(Windows.estimate(p + ":3:7", 7, now, SHANGHAI)).isCloseTo(3 + 7 * (1 - elapsed), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(Windows.estimate((p - 1) + ":4:9", 7, now, SHANGHAI)).isCloseTo(4 * (1 - elapsed), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(Windows.estimate((p - 2) + ":4:9", 7, now, SHANGHAI)).isZero();
    assertThat(Windows.estimate(null, 7, now, SHANGHAI)).isZero();
  }
}

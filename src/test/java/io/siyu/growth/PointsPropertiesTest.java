package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.growth.PointsProperties.Expiry;
import io.siyu.growth.PointsProperties.Extension;
import io.siyu.growth.PointsProperties.Mode;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class PointsPropertiesTest {

  static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  final Validator validator = Validation.buildDefaultValidatorFactory().getValidator();

  static Instant local(String dateTime) {
    return LocalDateTime.parse(dateTime).atZone(SHANGHAI).toInstant();
  }

  @Test
  void daysModeExpiresNLocalDaysAfterEarning() {
    Expiry e = new Expiry(Mode.DAYS, 365, null);
    assertThat(e.expiresAt(local("2026-03-10T14:05:00"), SHANGHAI)).isEqualTo(local("2027-03-10T14:05:00"));
  }

  @Test
  void monthEndExpiresAtShanghaiMidnightEndingTheMonthPeriodsLater() {
    Expiry twelve = new Expiry(Mode.MONTH_END, 365, null);
    // 2026-02-01 00:30 in Shanghai is still 2026-01-31 in UTC: it must count as February.
    assertThat(twelve.expiresAt(local("2026-01-31T23:30:00"), SHANGHAI)).isEqualTo(local("2027-02-01T00:00:00"));
    assertThat(twelve.expiresAt(local("2026-02-01T00:30:00"), SHANGHAI)).isEqualTo(local("2027-03-01T00:00:00"));
    assertThat(new Expiry(Mode.MONTH_END, 365, 0).expiresAt(local("2026-12-15T10:00:00"), SHANGHAI))
        .isEqualTo(local("2027-01-01T00:00:00"));
    assertThat(local("2027-01-01T00:00:00")).isEqualTo(Instant.parse("2026-12-31T16:00:00Z"));
  }

  @Test
  void quarterEndExpiresAtShanghaiMidnightEndingTheQuarterPeriodsLater() {
    Expiry four = new Expiry(Mode.QUARTER_END, 365, null);
    assertThat(four.expiresAt(local("2026-02-14T12:00:00"), SHANGHAI)).isEqualTo(local("2027-04-01T00:00:00"));
    assertThat(four.expiresAt(local("2026-03-31T23:59:59"), SHANGHAI)).isEqualTo(local("2027-04-01T00:00:00"));
    assertThat(four.expiresAt(local("2026-04-01T00:00:00"), SHANGHAI)).isEqualTo(local("2027-07-01T00:00:00"));
    assertThat(new Expiry(Mode.QUARTER_END, 365, 0).expiresAt(local("2026-11-30T08:00:00"), SHANGHAI))
        .isEqualTo(local("2027-01-01T00:00:00"));
  }

  @Test
  void refusesNoticeWithUnknownPlaceholder() {
    Extension bad = new Extension(8, Duration.ofSeconds(60), "{name} 你的 {balance} 积分");
    assertThat(validator.validate(bad)).extracting(v -> v.getPropertyPath().toString())
        .containsExactly("noticePlaceholdersKnown");
    Extension good = new Extension(8, Duration.ofSeconds(60), "{name}，{points} 积分延期至 {expiresAt}");
    assertThat(validator.validate(good)).isEmpty();
    assertThat(good.notice("小红", 120, "2027年1月1日")).isEqualTo("小红，120 积分延期至 2027年1月1日");
  }
}

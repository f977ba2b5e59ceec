package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ExpressionsTest {

  private static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
  private static final Instant NOW = Instant.parse("2026-03-01T04:00:00Z");

  static Profile profile(Map<String, String> fields) {
    Map<String, String> h = new HashMap<>(Map.of("id", "p1", "firstSeen", Long.toString(NOW.toEpochMilli())));
    h.putAll(fields);
    return Profile.from(h, NOW, ZONE, List.of(7, 30));
  }

  @Test
  void theIssuesExampleMatchesAndDoesNotMatch() {
    Expressions.Condition c = Expressions.parse("stage == 'growth' and tags.contains('skin:oily') and rfm.r >= 4");
    assertThat(c.test(profile(Map.of("stage", "growth", "t:skin:oily", "1", "rfmR", "4", "rfmF", "1", "rfmM", "1")))).isTrue();
    assertThat(c.test(profile(Map.of("stage", "growth", "t:skin:dry", "1", "rfmR", "5", "rfmF", "1", "rfmM", "1")))).isFalse();
    assertThat(c.test(profile(Map.of("stage", "intro", "t:skin:oily", "1", "rfmR", "5", "rfmF", "1", "rfmM", "1")))).isFalse();
  }

  @Test
  void mapsIndexersWhitelistedMethodsAndRootWork() {
    Profile p = profile(Map.of("a:q1", "a,b", "n:chat", "3", "name", "王芳", "unfollowedAt", "1"));
    assertThat(Expressions.parse("answers['q1'].contains('b') and counts['chat'] >= 3 and counts['none'] == 0").test(p)).isTrue();
    assertThat(Expressions.parse("answers.containsKey('q1') and !tags.isEmpty() == false and name.startsWith('王')").test(p)).isTrue();
    assertThat(Expressions.parse("#root.unfollowed and tags.size() == 0").test(p)).isTrue();
    assertThat(Expressions.parse("windows['30d']['*'] == 0 and silentDays between {0, 1}").test(p)).isTrue();
    assertThat(Expressions.parse("daysSinceLastOrder != null and daysSinceLastOrder > 3").test(p)).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "T(java.lang.Runtime).getRuntime().exec('x')|0",
      "new java.io.File('x').exists()|0",
      "getClass() != null|0",
      "name.getClass() != null|5",
      "@bean == null|1",
      "(name = 'x') == 'x'|6",
      "#root.getClass() != null|6",
      "#system == null|0",
      "name.toUpperCase() == 'X'|5",
      "name.replace('a', 'b') == 'b'|5",
      "name.matches('a+') |5",
      "tags.?[true].size() > 0|5",
      "nmae == 'x'|0",
      "stage == 'growth' and rfm.x >= 4|26",
      "stage == |6",
      "orders + 1|7",
      "tags|0",
  })
  void refusesUnsafeOrInvalidExpressionsWithThePosition(String expression, int position) {
    assertThatThrownBy(() -> Expressions.parse(expression))
        .isInstanceOfSatisfying(InvalidExpressionException.class, e -> assertThat(e.position()).as(e.getMessage()).isEqualTo(position));
  }

  @Test
  void evaluationErrorsCountAsNoMatch() {
    assertThat(Expressions.parse("remark.startsWith('x')").test(profile(Map.of()))).isFalse();
  }
}

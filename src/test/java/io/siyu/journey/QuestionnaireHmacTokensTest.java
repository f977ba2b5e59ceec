package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomProperties;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuestionnaireHmacTokensTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";
  private final MutableClock clock = new MutableClock();

  @Test
  void verifiesItsOwnTokenUntilItExpires() {
    QuestionnaireHmacTokens tokens = tokens(SECRET);
    String t = tokens.sign("oUnion:1/ä");
    assertThat(tokens.verify(t)).isEqualTo(QuestionnaireTokens.Result.valid("oUnion:1/ä"));
    clock.advance(Duration.ofDays(7).minusSeconds(2));
    assertThat(tokens.verify(t).status()).isEqualTo(QuestionnaireTokens.Status.VALID);
    clock.advance(Duration.ofSeconds(2));
    assertThat(tokens.verify(t).status()).isEqualTo(QuestionnaireTokens.Status.EXPIRED);
  }

  @Test
  void anotherSecretOrAChangedPartIsTampered() {
    String t = tokens(SECRET).sign("p1");
    assertThat(tokens("another-secret-another-secret-xx").verify(t)).isEqualTo(QuestionnaireTokens.Result.TAMPERED);
    String[] parts = t.split("\\.");
    assertThat(tokens(SECRET).verify(parts[0] + "." + (Long.parseLong(parts[1]) + 1) + "." + parts[2]))
        .isEqualTo(QuestionnaireTokens.Result.TAMPERED);
    for (String bad : List.of("", "..", "x.y.z", "cDE.notanumber.abc", "cDE.1.%%%")) {
      assertThat(tokens(SECRET).verify(bad)).as(bad).isEqualTo(QuestionnaireTokens.Result.TAMPERED);
    }
  }

  @Test
  void aShortSecretIsRefusedAtStartUpNamingTheKey() {
    assertThatThrownBy(() -> tokens("short")).hasMessageContaining("siyu.journey.questionnaire.link-secret");
  }

  private QuestionnaireHmacTokens tokens(String secret) {
    QuestionnaireProperties props = new QuestionnaireProperties("t", "", "http://x", Duration.ofDays(7), secret,
        "contact", "kf", null, List.of(new QuestionnaireProperties.Question("a", "?",
        QuestionnaireProperties.Type.TEXT, false, List.of(), 10)), null, null);
    return new QuestionnaireHmacTokens(props, null, clock);
  }
}

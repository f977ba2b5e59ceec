package io.siyu.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.siyu.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SignedLinksTest {

  private static final String Q = "questionnaire";
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T08:00:00Z"), ZoneOffset.UTC);
  private final SignedLinks links = new SignedLinks(SECRET, clock, () -> "https://brand.example/");

  @Test
  void roundTripsThePersonIdAndExpiry() {
    String token = links.sign(Q, "oUnion-AbC_123", Duration.ofDays(7));
    SignedLinks.Verified v = links.verify(Q, token);
    assertThat(v.ok()).isTrue();
    assertThat(v.personId()).isEqualTo("oUnion-AbC_123");
    assertThat(v.expiresAt()).isEqualTo(Instant.parse("2026-05-08T08:00:00Z"));
  }

  @Test
  void producesUrlSafeTokensEvenForUnusualPersonIds() {
    String token = links.sign(Q, "wm/+=?&中文 id", Duration.ofHours(1));
    assertThat(token).matches("[A-Za-z0-9_.-]+");
    assertThat(links.verify(Q, token).personId()).isEqualTo("wm/+=?&中文 id");
  }

  @Test
  void refusesATokenAtAndAfterItsExpiry() {
    String token = links.sign(Q, "p1", Duration.ofMinutes(30));
    clock.advance(Duration.ofMinutes(30).minusSeconds(1));
    assertThat(links.verify(Q, token).ok()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    SignedLinks.Verified v = links.verify(Q, token);
    assertThat(v.failure()).isEqualTo(SignedLinks.Failure.EXPIRED);
    assertThat(v.failure().slug()).isEqualTo("expired");
    assertThat(v.ok()).isFalse();
  }

  @Test
  void refusesATokenWhoseMacWasAltered() {
    String token = links.sign(Q, "p1", Duration.ofDays(1));
    char last = token.charAt(token.length() - 2);
    String altered = token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
    assertThat(links.verify(Q, altered).failure()).isEqualTo(SignedLinks.Failure.TAMPERED);
    assertThat(links.verify(Q, altered).personId()).isNull();
  }

  @Test
  void refusesAnExtendedExpiry() {
    String[] parts = links.sign(Q, "p1", Duration.ofMinutes(1)).split("\\.");
    String extended = parts[0] + "." + parts[1] + "." + (Long.parseLong(parts[2]) + 86_400) + "." + parts[3];
    assertThat(links.verify(Q, extended).failure()).isEqualTo(SignedLinks.Failure.TAMPERED);
  }

  @Test
  void anotherPersonsIdInATokenBreaksTheMac() {
    String tokenOfA = links.sign(Q, "personA", Duration.ofDays(1));
    String tokenOfB = links.sign(Q, "personB", Duration.ofDays(1));
    String[] a = tokenOfA.split("\\.");
    String[] b = tokenOfB.split("\\.");
    String bWithMacOfA = a[0] + "." + b[1] + "." + a[2] + "." + a[3];
    String bIdEncodedByHand = a[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString("personB".getBytes(StandardCharsets.UTF_8)) + "." + a[2] + "." + a[3];
    assertThat(links.verify(Q, bWithMacOfA).failure()).isEqualTo(SignedLinks.Failure.TAMPERED);
    assertThat(links.verify(Q, bIdEncodedByHand).failure()).isEqualTo(SignedLinks.Failure.TAMPERED);
    // The genuine tokens still name exactly their own person.
    assertThat(links.verify(Q, tokenOfA).personId()).isEqualTo("personA");
    assertThat(links.verify(Q, tokenOfB).personId()).isEqualTo("personB");
  }

  @Test
  void refusesAGenuineTokenIssuedForAnotherPurpose() {
    String token = links.sign("survey", "p1", Duration.ofDays(1));
    SignedLinks.Verified v = links.verify(Q, token);
    assertThat(v.failure()).isEqualTo(SignedLinks.Failure.WRONG_PURPOSE);
    assertThat(v.failure().slug()).isEqualTo("wrong-purpose");
  }

  @Test
  void refusesATokenWhosePurposeWasEdited() {
    String token = links.sign("survey", "p1", Duration.ofDays(1));
    String edited = Q + token.substring("survey".length());
    assertThat(links.verify(Q, edited).failure()).isEqualTo(SignedLinks.Failure.TAMPERED);
  }

  @Test
  void refusesATokenSignedWithAnotherSecret() {
    SignedLinks other = new SignedLinks("another-secret-another-secret-xx".getBytes(StandardCharsets.UTF_8), clock, () -> "");
    assertThat(links.verify(Q, other.sign(Q, "p1", Duration.ofDays(1))).failure()).isEqualTo(SignedLinks.Failure.TAMPERED);
  }

  @Test
  void answersGarbageWithTamperedInsteadOfThrowing() {
    String longToken = "a".repeat(5000);
    for (String garbage : new String[] {null, "", ".", "...", "....", "a.b.c", "questionnaire.!!.1.xx",
        "questionnaire.cDE.notanumber.AAAA", "questionnaire.cDE.1.%%%", "Q.cDE.1.AAAA", "questionnaire..1.AAAA",
        "questionnaire.cDE.99999999999999999999.AAAA", longToken}) {
      assertThat(links.verify(Q, garbage).failure()).as(String.valueOf(garbage)).isEqualTo(SignedLinks.Failure.TAMPERED);
    }
  }

  @Test
  void refusesBadSigningArguments() {
    assertThatIllegalArgumentException().isThrownBy(() -> links.sign("Has Space", "p1", Duration.ofDays(1)));
    assertThatIllegalArgumentException().isThrownBy(() -> links.sign("a.b", "p1", Duration.ofDays(1)));
    assertThatIllegalArgumentException().isThrownBy(() -> links.sign(Q, " ", Duration.ofDays(1)));
    assertThatIllegalArgumentException().isThrownBy(() -> links.sign(Q, "p1", Duration.ZERO));
  }

  @Test
  void signsAndVerifiesConcurrently() {
    assertThat(IntStream.range(0, 2000).parallel()
        .allMatch(i -> links.verify(Q, links.sign(Q, "person-" + i, Duration.ofHours(1))).personId().equals("person-" + i)))
        .isTrue();
  }

  @Test
  void buildsThePageUrlFromTheBaseUrl() {
    assertThat(links.url("/q", "tok")).isEqualTo("https://brand.example/q/tok");
    assertThat(links.url("q/", "tok")).isEqualTo("https://brand.example/q/tok");
  }

  @Test
  void requiresASecretWithTheRealWecom() {
    assertThatIllegalStateException()
        .isThrownBy(() -> SignedLinks.secret(new LinkProperties("", ""), false, () -> new byte[32]))
        .withMessageStartingWith("siyu.links.secret:").withMessageContaining("SIYU_LINK_SECRET");
  }

  @Test
  void prefersTheConfiguredSecretAndFallsBackToTheSandboxOneOnlyInSandboxMode() {
    String configured = "c".repeat(32);
    assertThat(SignedLinks.secret(new LinkProperties(configured, ""), false, () -> new byte[] {1}))
        .isEqualTo(configured.getBytes(StandardCharsets.UTF_8));
    assertThat(SignedLinks.secret(new LinkProperties("", ""), true, () -> new byte[] {1})).containsExactly(1);
  }
}

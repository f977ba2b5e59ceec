package io.siyu.journey;

import io.siyu.wecom.WecomApps;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Temporary HMAC-SHA256 tokens until the admin feature's SignedLinks is merged (same idea):
 * {@code base64url(personId).expiryEpochSeconds.base64url(hmac("q" \n personId \n expiry))}.
 * Hand-written because Spring has no signed-token helper for WebFlux outside Spring Security.
 */
@Component
class QuestionnaireHmacTokens implements QuestionnaireTokens {

  private static final Logger log = LoggerFactory.getLogger(QuestionnaireHmacTokens.class);
  private static final String PURPOSE = "q";
  private static final int MIN_SECRET = 32;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final Clock clock;
  private final QuestionnaireProperties props;

  QuestionnaireHmacTokens(QuestionnaireProperties props, WecomApps apps, Clock clock) {
    this.props = props;
    this.clock = clock;
    String secret = props.linkSecret();
    if (secret == null || secret.isBlank()) {
      if (!apps.sandbox()) {
        throw new IllegalStateException("siyu.journey.questionnaire.link-secret: must be set (at least " + MIN_SECRET
            + " characters, e.g. from SIYU_QUESTIONNAIRE_LINK_SECRET) when connected to the real WeCom");
      }
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      log.warn("siyu.journey.questionnaire.link-secret is not set: sandbox mode uses a random secret, "
          + "questionnaire links stop working on restart");
      this.key = new SecretKeySpec(random, "HmacSHA256");
    } else {
      if (secret.length() < MIN_SECRET) {
        throw new IllegalStateException("siyu.journey.questionnaire.link-secret: at least " + MIN_SECRET + " characters");
      }
      this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }
  }

  @Override
  public String sign(String personId) {
    long expiry = clock.instant().plus(props.linkTtl()).getEpochSecond();
    return B64.encodeToString(personId.getBytes(StandardCharsets.UTF_8)) + "." + expiry + "."
        + B64.encodeToString(mac(personId, expiry));
  }

  @Override
  public Result verify(String token) {
    if (token == null || token.length() > 512) {
      return Result.TAMPERED;
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      return Result.TAMPERED;
    }
    String personId;
    long expiry;
    byte[] given;
    try {
      personId = new String(B64D.decode(parts[0]), StandardCharsets.UTF_8);
      expiry = Long.parseLong(parts[1]);
      given = B64D.decode(parts[2]);
    } catch (IllegalArgumentException e) { // bad base64 or number: not a token we issued
      return Result.TAMPERED;
    }
    if (personId.isEmpty() || !MessageDigest.isEqual(mac(personId, expiry), given)) {
      return Result.TAMPERED;
    }
    return clock.instant().getEpochSecond() >= expiry ? Result.EXPIRED : Result.valid(personId);
  }

  private byte[] mac(String personId, long expiry) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal((PURPOSE + "\n" + personId + "\n" + expiry).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}

package io.siyu.growth;

import io.siyu.admin.Problem;
import io.siyu.wecom.WecomApps;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Verifies the order webhook's signature: {@code X-Siyu-Signature} = lowercase hex HMAC-SHA256 with
 * {@code siyu.growth.orders.secret} over {@code <X-Siyu-Timestamp>.<raw body>}, the timestamp (epoch
 * seconds) within {@code timestamp-window} of the clock. Without a secret only sandbox mode starts, with
 * the fixed {@link #SANDBOX_SECRET}.
 */
@Component
class OrderSignature {

  static final String SANDBOX_SECRET = "siyu-sandbox-orders-secret";
  static final int MIN_SECRET_LENGTH = 16;

  private final byte[] secret;
  private final Clock clock;
  private final long windowSeconds;

  OrderSignature(GrowthProperties props, WecomApps wecom, Clock clock) {
    String s = props.orders().secret();
    if (s == null || s.isBlank()) {
      if (props.orders().enabled() && !wecom.sandbox()) {
        throw new IllegalStateException("siyu.growth.orders.secret is required (environment SIYU_ORDERS_SECRET) while "
            + "siyu.growth.orders.enabled is true with the real WeCom; set it or disable the order webhook");
      }
      s = SANDBOX_SECRET;
    } else if (s.length() < MIN_SECRET_LENGTH) {
      throw new IllegalStateException("siyu.growth.orders.secret must be at least " + MIN_SECRET_LENGTH + " characters");
    }
    this.secret = s.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.windowSeconds = props.orders().timestampWindow().toSeconds();
  }

  /** Throws a 401 problem unless the signature and timestamp are good. */
  void verify(String timestamp, String signature, byte[] body) {
    if (timestamp == null || signature == null) {
      throw unauthorized("missing-signature", "X-Siyu-Timestamp and X-Siyu-Signature are required");
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      throw unauthorized("stale-timestamp", "X-Siyu-Timestamp must be epoch seconds");
    }
    if (Math.abs(clock.millis() / 1000 - ts) > windowSeconds) {
      throw unauthorized("stale-timestamp", "X-Siyu-Timestamp is more than " + windowSeconds + " s away from the server's clock");
    }
    byte[] expected = HexFormat.of().formatHex(sign(timestamp.trim(), body)).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, signature.trim().getBytes(StandardCharsets.US_ASCII))) {
      throw unauthorized("bad-signature", "X-Siyu-Signature does not match the body");
    }
  }

  byte[] sign(String timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) '.');
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  private static Problem unauthorized(String slug, String detail) {
    return new Problem(HttpStatus.UNAUTHORIZED, slug, "Order webhook not authenticated", detail);
  }
}

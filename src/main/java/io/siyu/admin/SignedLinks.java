package io.siyu.admin;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomApps;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

/**
 * Signed, expiring links that identify a customer without a login, such as the questionnaire page.
 *
 * <p>A token is {@code <purpose>.<base64url(personId)>.<expiry epoch seconds>.<base64url(HMAC-SHA256)>}:
 * URL-safe, readable by nobody but still not secret (it is the customer's key to their own page). The
 * MAC covers the purpose, the person id and the expiry, so a token opens one page kind for one person
 * until it expires; editing any part (say, another person's id) breaks the MAC.
 *
 * <pre>
 * String token = links.sign("questionnaire", person.id(), Duration.ofDays(7));
 * String url = links.url("/q", token);                     // https://brand.example/q/&lt;token&gt;
 * ...
 * SignedLinks.Verified v = links.verify("questionnaire", tokenFromPath);
 * if (!v.ok()) return errorPage(v.failure());              // expired | tampered | wrong-purpose
 * String personId = v.personId();                          // the ONLY source of the person's id
 * </pre>
 *
 * <p>The key is {@code siyu.links.secret}; in sandbox mode an empty secret means a random per-install one
 * kept in Redis, so links survive restarts and work on every instance. Rotating the secret invalidates
 * every link issued before.
 */
@Component
public class SignedLinks {

  private static final Logger log = LoggerFactory.getLogger(SignedLinks.class);
  private static final RedisScript<String> SECRET_SCRIPT = LuaScripts.load("admin/link-secret.lua", String.class);
  private static final Pattern PURPOSE = Pattern.compile("[a-z0-9-]{1,32}");
  private static final Pattern EPOCH_SECONDS = Pattern.compile("[0-9]{1,12}");
  /** Far longer than any real token; refuses oversized input before decoding it. */
  private static final int MAX_TOKEN_LENGTH = 1024;
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** Why a token was refused; {@link #slug()} is stable (problem types, page texts). */
  public enum Failure {
    EXPIRED("expired"),
    /** Malformed, edited, or signed with another secret. */
    TAMPERED("tampered"),
    /** A genuine token issued for another page kind. */
    WRONG_PURPOSE("wrong-purpose");

    private final String slug;

    Failure(String slug) {
      this.slug = slug;
    }

    public String slug() {
      return slug;
    }
  }

  /**
   * The outcome of {@link #verify}: the person id (and expiry) when {@link #ok()}, else the failure.
   * An expired or wrong-purpose token was genuine, so {@code personId} is set for those too (for logs
   * and a "request a new link" hint); never act for that person unless {@code ok()}.
   */
  public record Verified(String personId, Instant expiresAt, Failure failure) {

    public boolean ok() {
      return failure == null;
    }

    static Verified valid(String personId, Instant expiresAt) {
      return new Verified(personId, expiresAt, null);
    }

    static Verified refused(Failure failure, String personId, Instant expiresAt) {
      return new Verified(personId, expiresAt, failure);
    }
  }

  private final Mac prototype;
  private final Clock clock;
  private final Supplier<String> baseUrl;

  @Autowired
  SignedLinks(LinkProperties props, WecomApps wecom, ReactiveStringRedisTemplate redis, Clock clock, Environment env) {
    this(secret(props, wecom.sandbox(), () -> sandboxSecret(redis)), clock, () -> props.baseUrl().isEmpty()
        // local.server.port exists once the server listens (a random port in tests).
        ? "http://localhost:" + env.getProperty("local.server.port", env.getProperty("server.port", "8080"))
        : props.baseUrl());
  }

  SignedLinks(byte[] secret, Clock clock, Supplier<String> baseUrl) {
    try {
      this.prototype = Mac.getInstance(ALGORITHM);
      prototype.init(new SecretKeySpec(secret, ALGORITHM));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
    }
    this.clock = clock;
    this.baseUrl = baseUrl;
  }

  /**
   * A token for {@code personId}, valid for {@code purpose} until now + {@code ttl}.
   *
   * @param purpose the page kind, {@code [a-z0-9-]{1,32}} (e.g. {@code questionnaire})
   */
  public String sign(String purpose, String personId, Duration ttl) {
    if (purpose == null || !PURPOSE.matcher(purpose).matches()) {
      throw new IllegalArgumentException("purpose must match " + PURPOSE.pattern());
    }
    if (personId == null || personId.isBlank()) {
      throw new IllegalArgumentException("personId must not be blank");
    }
    if (ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive");
    }
    long expiry = clock.instant().plus(ttl).getEpochSecond();
    String signed = purpose + "." + B64.encodeToString(personId.getBytes(StandardCharsets.UTF_8)) + "." + expiry;
    return signed + "." + B64.encodeToString(mac(signed));
  }

  /**
   * Checks a token from a URL. Bad input is an answer, not an exception: any malformed, edited or
   * foreign token is {@link Failure#TAMPERED}; a genuine one for another purpose
   * {@link Failure#WRONG_PURPOSE}; a genuine one past its expiry {@link Failure#EXPIRED}.
   */
  public Verified verify(String purpose, String token) {
    Objects.requireNonNull(purpose, "purpose");
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      return Verified.refused(Failure.TAMPERED, null, null);
    }
    int macDot = token.lastIndexOf('.');
    String[] parts = token.substring(0, Math.max(macDot, 0)).split("\\.", -1);
    if (macDot < 0 || parts.length != 3 || !PURPOSE.matcher(parts[0]).matches()
        || !EPOCH_SECONDS.matcher(parts[2]).matches()) {
      return Verified.refused(Failure.TAMPERED, null, null);
    }
    byte[] presentedMac = decode(token.substring(macDot + 1));
    byte[] personBytes = decode(parts[1]);
    if (presentedMac == null || personBytes == null || personBytes.length == 0) {
      return Verified.refused(Failure.TAMPERED, null, null);
    }
    if (!MessageDigest.isEqual(mac(token.substring(0, macDot)), presentedMac)) {
      return Verified.refused(Failure.TAMPERED, null, null);
    }
    String personId = new String(personBytes, StandardCharsets.UTF_8);
    Instant expiresAt = Instant.ofEpochSecond(Long.parseLong(parts[2]));
    if (!parts[0].equals(purpose)) {
      return Verified.refused(Failure.WRONG_PURPOSE, personId, expiresAt);
    }
    if (!clock.instant().isBefore(expiresAt)) {
      return Verified.refused(Failure.EXPIRED, personId, expiresAt);
    }
    return Verified.valid(personId, expiresAt);
  }

  /**
   * The absolute URL customers open: {@code siyu.links.base-url} (empty: {@code http://localhost:<port>})
   * + {@code path} + {@code /} + token. {@code url("/q", token)} gives {@code <base>/q/<token>}.
   */
  public String url(String path, String token) {
    String base = baseUrl.get();
    base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    String p = path == null ? "" : path.strip();
    p = p.isEmpty() || p.startsWith("/") ? p : "/" + p;
    p = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    return base + p + "/" + token;
  }

  private byte[] mac(String signed) {
    Mac mac;
    try {
      mac = (Mac) prototype.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("The JDK's HmacSHA256 is cloneable", e);
    }
    return mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] decode(String b64) {
    try {
      return B64D.decode(b64);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
  }

  static byte[] secret(LinkProperties props, boolean sandbox, Supplier<byte[]> sandboxSecret) {
    if (!props.secret().isEmpty()) {
      return props.secret().getBytes(StandardCharsets.UTF_8);
    }
    if (!sandbox) {
      throw new IllegalStateException("siyu.links.secret: required when Siyu talks to the real WeCom (customer links"
          + " are signed with it); set SIYU_LINK_SECRET to at least 32 random characters");
    }
    return sandboxSecret.get();
  }

  private static byte[] sandboxSecret(ReactiveStringRedisTemplate redis) {
    byte[] candidate = new byte[32];
    new SecureRandom().nextBytes(candidate);
    // Start-up, not the event loop: the bean cannot sign anything before it has its key.
    String stored = redis.execute(SECRET_SCRIPT, List.of(RedisKeys.linkSecret()), List.of(B64.encodeToString(candidate)))
        .next().block(Duration.ofSeconds(30));
    if (stored == null) {
      throw new IllegalStateException("Could not read or store the sandbox link secret in Redis");
    }
    log.info("Signed links use the sandbox's per-install secret kept in Redis (set SIYU_LINK_SECRET for production)");
    return B64D.decode(stored);
  }
}

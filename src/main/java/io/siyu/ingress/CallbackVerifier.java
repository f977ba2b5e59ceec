package io.siyu.ingress;

import io.siyu.admin.Problem;
import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomProperties;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Everything that makes a callback safe to store, without HTTP or Redis: app lookup, parameters,
 * timestamp window, signature, decryption, corp id, inner XML, kind and dedupe key. Each failure is a
 * {@link Problem} with a stable slug; nothing here has side effects, so a rejected callback writes
 * nothing.
 */
@Component
class CallbackVerifier {

  static final String UNKNOWN_APP = "unknown-app";
  static final String MISSING_PARAMETER = "missing-parameter";
  static final String STALE_TIMESTAMP = "stale-timestamp";
  static final String BAD_SIGNATURE = "bad-signature";
  static final String BAD_CIPHERTEXT = "bad-ciphertext";
  static final String WRONG_CORP_ID = "wrong-corp-id";
  static final String MALFORMED_XML = "malformed-xml";
  static final String BODY_TOO_LARGE = "body-too-large";
  static final String UNAVAILABLE = "unavailable";

  /** A verified, decrypted callback ready to append. */
  record Verified(String app, String kind, String dedupeKey, String xml) {}

  private final String corpId;
  private final Map<String, CallbackCrypto> crypto;
  private final Clock clock;
  private final long windowSeconds;

  CallbackVerifier(WecomApps apps, WecomProperties props, Clock clock) {
    this.corpId = apps.corpId();
    Map<String, CallbackCrypto> m = new LinkedHashMap<>();
    for (WecomApps.AppCredentials app : apps.all()) {
      m.put(app.name(), new CallbackCrypto(apps.corpId(), app.token(), app.aesKey()));
    }
    this.crypto = Map.copyOf(m);
    this.clock = clock;
    this.windowSeconds = props.callback().timestampWindow().toSeconds();
  }

  boolean knows(String app) {
    return crypto.containsKey(app);
  }

  /** The URL check: verifies the echostr and returns its plaintext. */
  String verifyEcho(String app, String signature, String timestamp, String nonce, String echostr) {
    CallbackCrypto c = crypto(app);
    require(signature, "msg_signature");
    require(timestamp, "timestamp");
    require(nonce, "nonce");
    require(echostr, "echostr");
    if (!c.signatureMatches(signature, timestamp, nonce, echostr)) {
      throw badSignature();
    }
    CallbackCrypto.Plain plain = decrypt(c, echostr);
    if (!corpId.equals(plain.receiveId())) {
      throw wrongCorpId("the receiveid of the echostr is not this corp's id");
    }
    return plain.message();
  }

  /** Query parameters and timestamp window, checked before the body is read. */
  void checkParameters(String app, String signature, String timestamp, String nonce) {
    crypto(app);
    require(signature, "msg_signature");
    require(timestamp, "timestamp");
    require(nonce, "nonce");
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      throw new Problem(HttpStatus.BAD_REQUEST, MISSING_PARAMETER, "Missing parameter",
          "timestamp must be a number of seconds since the epoch");
    }
    long now = clock.instant().getEpochSecond();
    if (Math.abs(now - ts) > windowSeconds) {
      throw new Problem(HttpStatus.FORBIDDEN, STALE_TIMESTAMP, "Stale timestamp",
          "the callback timestamp is more than " + windowSeconds + " s away from the server time");
    }
  }

  /** The event: verifies and decrypts an encrypted POST body whose query parameters passed {@link #checkParameters}. */
  Verified verifyEvent(String app, String signature, String timestamp, String nonce, byte[] body) {
    CallbackCrypto c = crypto(app);
    List<CallbackXml.Leaf> outer = parse(new String(body, StandardCharsets.UTF_8), "the request body");
    String encrypt = CallbackXml.topLevel(outer, "Encrypt");
    if (encrypt == null || encrypt.isBlank()) {
      throw new Problem(HttpStatus.BAD_REQUEST, MALFORMED_XML, "Malformed XML", "the request body has no Encrypt element");
    }
    encrypt = encrypt.trim();
    if (!c.signatureMatches(signature, timestamp, nonce, encrypt)) {
      throw badSignature();
    }
    if (!corpId.equals(trimmed(CallbackXml.topLevel(outer, "ToUserName")))) {
      throw wrongCorpId("ToUserName is not this corp's id");
    }
    CallbackCrypto.Plain plain = decrypt(c, encrypt);
    if (!corpId.equals(plain.receiveId())) {
      throw wrongCorpId("the receiveid of the message is not this corp's id");
    }
    List<CallbackXml.Leaf> inner = parse(plain.message(), "the decrypted message");
    String kind = CallbackKind.of(inner);
    if (kind == null) {
      throw new Problem(HttpStatus.BAD_REQUEST, MALFORMED_XML, "Malformed XML",
          "the decrypted message has no MsgType (or no Event for an event)");
    }
    return new Verified(app, kind, DedupeKey.of(app, inner), plain.message());
  }

  private CallbackCrypto crypto(String app) {
    CallbackCrypto c = crypto.get(app);
    if (c == null) {
      throw new Problem(HttpStatus.NOT_FOUND, UNKNOWN_APP, "Unknown app", "no WeCom app is configured under this name");
    }
    return c;
  }

  private static void require(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new Problem(HttpStatus.BAD_REQUEST, MISSING_PARAMETER, "Missing parameter", "query parameter " + name + " is required");
    }
  }

  private static String trimmed(String s) {
    return s == null ? null : s.trim();
  }

  private static List<CallbackXml.Leaf> parse(String xml, String what) {
    try {
      return CallbackXml.leaves(xml);
    } catch (CallbackXml.MalformedXmlException e) {
      throw new Problem(HttpStatus.BAD_REQUEST, MALFORMED_XML, "Malformed XML", what + ": " + e.getMessage());
    }
  }

  private static CallbackCrypto.Plain decrypt(CallbackCrypto c, String base64) {
    try {
      return c.decryptFrame(base64);
    } catch (CallbackCrypto.BadCiphertextException e) {
      throw new Problem(HttpStatus.BAD_REQUEST, BAD_CIPHERTEXT, "Bad ciphertext", e.getMessage());
    }
  }

  private static Problem badSignature() {
    return new Problem(HttpStatus.FORBIDDEN, BAD_SIGNATURE, "Bad signature", "msg_signature does not match");
  }

  private static Problem wrongCorpId(String detail) {
    return new Problem(HttpStatus.FORBIDDEN, WRONG_CORP_ID, "Wrong corp id", detail);
  }
}

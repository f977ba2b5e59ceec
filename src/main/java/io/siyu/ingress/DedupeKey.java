package io.siyu.ingress;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * The dedupe key of a decrypted callback: base64url(SHA-256) over a version tag, the app name and
 * ALL leaf fields of the decrypted XML as {@code path=value} in document order, each part
 * length-prefixed so no two different field lists can hash the same input.
 *
 * <p>It never collides for distinct events: WeCom's own advice (MsgId, or FromUserName+CreateTime for
 * events) is wrong, because FromUserName is {@code sys} for contact events, so two customers added in
 * the same second would collide and one would be dropped. Hashing every field covers ChangeType,
 * UserID, ExternalUserID, ChatId, UpdateDetail, the MemChangeList items, Id, TagType, Event, EventKey,
 * MsgId, CreateTime, AgentID and any field WeCom adds later.
 *
 * <p>A WeCom retry carries the same plaintext (only the ciphertext, nonce, timestamp and signature
 * differ), so it maps to the same key and is appended once.
 */
final class DedupeKey {

  private static final byte[] VERSION = "siyu-callback-v1".getBytes(StandardCharsets.UTF_8);

  // MessageDigest is not thread-safe; one per thread avoids a provider lookup per callback.
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  });

  private DedupeKey() {}

  static String of(String app, List<CallbackXml.Leaf> leaves) {
    MessageDigest sha = SHA256.get();
    sha.reset();
    part(sha, VERSION);
    part(sha, app.getBytes(StandardCharsets.UTF_8));
    for (CallbackXml.Leaf leaf : leaves) {
      part(sha, leaf.path().getBytes(StandardCharsets.UTF_8));
      part(sha, leaf.value().getBytes(StandardCharsets.UTF_8));
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
  }

  private static void part(MessageDigest sha, byte[] bytes) {
    sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    sha.update(bytes);
  }
}

package io.siyu.ingress;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import me.chanjar.weixin.common.util.crypto.SHA1;
import me.chanjar.weixin.cp.config.impl.WxCpDefaultConfigImpl;
import me.chanjar.weixin.cp.util.crypto.WxCpCryptUtil;

/**
 * WeCom callback crypto of one app, keyed once at start-up.
 *
 * <p>Why not {@code WxCryptUtil.decrypt}: it discards the receiveid (its corp-id check is commented
 * out), treats an out-of-range PKCS#7 pad byte as "no padding", compares signatures with
 * {@code String.equals}, and looks up a {@link Cipher} on every call. So this class subclasses
 * {@link WxCpCryptUtil} only to reuse WxJava's key decoding (the protected {@code aesKey}) and its
 * {@link SHA1} signature, and decrypts itself, returning both the message and the receiveid.
 */
final class CallbackCrypto extends WxCpCryptUtil {

  /** The decrypted plaintext: the message and the receiveid (the corp id for a self-built app). */
  record Plain(String message, String receiveId) {}

  /** The ciphertext is not valid base64, not whole AES blocks, or decrypts to a malformed frame. */
  static final class BadCiphertextException extends Exception {
    BadCiphertextException(String message) {
      super(message, null, false, false);
    }
  }

  private static final int RANDOM_BYTES = 16;
  private static final int LENGTH_BYTES = 4;
  private static final int PAD_BLOCK = 32;

  // One Cipher per thread: Cipher.getInstance costs a provider lookup, and event-loop threads are few.
  private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/CBC/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CBC/NoPadding is not available", e);
    }
  });

  private final SecretKeySpec key;
  private final IvParameterSpec iv;

  CallbackCrypto(String corpId, String token, String encodingAesKey) {
    super(config(corpId, token, encodingAesKey));
    if (aesKey.length != 32) {
      throw new IllegalArgumentException("an EncodingAESKey must decode to 32 bytes");
    }
    this.key = new SecretKeySpec(aesKey, "AES");
    this.iv = new IvParameterSpec(aesKey, 0, 16);
  }

  private static WxCpDefaultConfigImpl config(String corpId, String token, String encodingAesKey) {
    WxCpDefaultConfigImpl cfg = new WxCpDefaultConfigImpl();
    cfg.setCorpId(corpId);
    cfg.setToken(token);
    cfg.setAesKey(encodingAesKey);
    return cfg;
  }

  /** sha1(sort(token, timestamp, nonce, encrypt)) compared in constant time; empty parts never match. */
  boolean signatureMatches(String signature, String timestamp, String nonce, String encrypt) {
    if (signature.isEmpty() || timestamp.isEmpty() || nonce.isEmpty() || encrypt.isEmpty()) {
      return false;
    }
    String expected = SHA1.gen(token, timestamp, nonce, encrypt);
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        signature.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
  }

  /** Decrypts {@code base64(AES-256-CBC(random16 + len32BE + msg + receiveid + pkcs7-32 pad))}. */
  Plain decryptFrame(String base64) throws BadCiphertextException {
    byte[] encrypted;
    try {
      encrypted = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new BadCiphertextException("not base64");
    }
    if (encrypted.length == 0 || encrypted.length % 16 != 0) {
      throw new BadCiphertextException("not whole AES blocks");
    }
    byte[] plain;
    try {
      Cipher cipher = CIPHER.get();
      cipher.init(Cipher.DECRYPT_MODE, key, iv);
      plain = cipher.doFinal(encrypted);
    } catch (GeneralSecurityException e) {
      throw new BadCiphertextException("cannot decrypt");
    }
    int pad = plain[plain.length - 1] & 0xff;
    if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) {
      throw new BadCiphertextException("bad padding");
    }
    for (int i = plain.length - pad; i < plain.length; i++) {
      if ((plain[i] & 0xff) != pad) {
        throw new BadCiphertextException("bad padding");
      }
    }
    int end = plain.length - pad;
    if (end < RANDOM_BYTES + LENGTH_BYTES) {
      throw new BadCiphertextException("frame too short");
    }
    int msgLength = ByteBuffer.wrap(plain, RANDOM_BYTES, LENGTH_BYTES).getInt();
    int msgStart = RANDOM_BYTES + LENGTH_BYTES;
    if (msgLength < 0 || msgLength > end - msgStart) {
      throw new BadCiphertextException("bad message length");
    }
    String message = new String(plain, msgStart, msgLength, StandardCharsets.UTF_8);
    String receiveId = new String(plain, msgStart + msgLength, end - msgStart - msgLength, StandardCharsets.UTF_8);
    return new Plain(message, receiveId);
  }

}

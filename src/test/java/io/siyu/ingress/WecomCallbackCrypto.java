package io.siyu.ingress;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts callbacks exactly as WeCom does, written from the published algorithm (doc 90238/91144)
 * with javax.crypto only, NOT with WxJava, so tests cross-check our decryption against an independent
 * implementation. Usable by any test that needs to post a genuine-looking callback.
 */
public final class WecomCallbackCrypto {

  private static final SecureRandom RANDOM = new SecureRandom();

  private WecomCallbackCrypto() {}

  /** base64(AES-256-CBC(16 random bytes + 4-byte BE length + msg + receiveid + PKCS#7 pad to 32)). */
  public static String encrypt(String plainXml, String corpId, String aesKey) {
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    return encrypt(random, plainXml.getBytes(StandardCharsets.UTF_8), corpId.getBytes(StandardCharsets.UTF_8), aesKey);
  }

  /** The raw frame encryption, for tests that need a malformed frame (e.g. a wrong length field). */
  public static String encrypt(byte[] random16, byte[] msg, byte[] receiveId, String aesKey) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.writeBytes(random16);
    frame.writeBytes(ByteBuffer.allocate(4).putInt(msg.length).array());
    frame.writeBytes(msg);
    frame.writeBytes(receiveId);
    return encryptPadded(pkcs7To32(frame.toByteArray()), aesKey);
  }

  /** Encrypts an already padded (or deliberately mispadded) frame, whole AES blocks only. */
  public static String encryptPadded(byte[] padded, String aesKey) {
    byte[] key = aesKeyBytes(aesKey);
    try {
      Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(Arrays.copyOf(key, 16)));
      return Base64.getEncoder().encodeToString(cipher.doFinal(padded));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PKCS#7 with WeCom's 32-byte block: always 1..32 bytes, each the pad length. */
  public static byte[] pkcs7To32(byte[] data) {
    int pad = 32 - data.length % 32;
    byte[] out = Arrays.copyOf(data, data.length + pad);
    Arrays.fill(out, data.length, out.length, (byte) pad);
    return out;
  }

  /** The EncodingAESKey is base64 without its trailing '='. */
  public static byte[] aesKeyBytes(String aesKey) {
    return Base64.getDecoder().decode(aesKey + "=");
  }

  /** msg_signature: lowercase hex sha1 of the sorted parts concatenated. */
  public static String signature(String token, String timestamp, String nonce, String encrypt) {
    String[] parts = {token, timestamp, nonce, encrypt};
    Arrays.sort(parts);
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(sha1.digest(String.join("", parts).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The POST body WeCom sends. */
  public static String buildPostBody(String corpId, int agentId, String encrypt) {
    return "<xml><ToUserName><![CDATA[" + corpId + "]]></ToUserName><AgentID><![CDATA[" + agentId
        + "]]></AgentID><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
  }

  /** A fresh random nonce, as WeCom sends (digits). */
  public static String nonce() {
    return Long.toString(1_000_000_000L + (RANDOM.nextLong() & Long.MAX_VALUE) % 9_000_000_000L);
  }
}

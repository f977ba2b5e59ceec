package io.siyu.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import me.chanjar.weixin.common.util.crypto.SHA1;
import me.chanjar.weixin.cp.config.impl.WxCpDefaultConfigImpl;
import me.chanjar.weixin.cp.util.crypto.WxCpCryptUtil;
import org.junit.jupiter.api.Test;

class CallbackCryptoTest {

  static final String CORP = "wwcorp0000000042";
  static final String TOKEN = "tokenAbc123";
  // 43 characters, letters and digits, as WeCom issues them.
  static final String AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
  static final String XML = "<xml><ToUserName><![CDATA[" + CORP + "]]></ToUserName><Content>你好, 私域</Content></xml>";

  final CallbackCrypto crypto = new CallbackCrypto(CORP, TOKEN, AES_KEY);

  private static WxCpCryptUtil wxJava() {
    WxCpDefaultConfigImpl cfg = new WxCpDefaultConfigImpl();
    cfg.setCorpId(CORP);
    cfg.setToken(TOKEN);
    cfg.setAesKey(AES_KEY);
    return new WxCpCryptUtil(cfg);
  }

  @Test
  void decryptsWhatWxJavaEncryptsAndReturnsTheReceiveId() throws Exception {
    String encrypted = wxJava().encrypt("0123456789abcdef", XML);

    CallbackCrypto.Plain plain = crypto.decryptFrame(encrypted);

    assertThat(plain.message()).isEqualTo(XML);
    assertThat(plain.receiveId()).isEqualTo(CORP);
  }

  @Test
  void decryptsWhatThePublishedAlgorithmEncrypts() throws Exception {
    String encrypted = WecomCallbackCrypto.encrypt(XML, CORP, AES_KEY);

    CallbackCrypto.Plain plain = crypto.decryptFrame(encrypted);

    assertThat(plain.message()).isEqualTo(XML);
    assertThat(plain.receiveId()).isEqualTo(CORP);
  }

  @Test
  void wxJavaDecryptsWhatTheTestHelperEncrypts() {
    // Cross-check of the test helper itself against the library.
    assertThat(wxJava().decrypt(WecomCallbackCrypto.encrypt(XML, CORP, AES_KEY))).isEqualTo(XML);
  }

  @Test
  void decryptsMessagesOfEveryLengthAroundTheBlockBoundary() throws Exception {
    for (int n = 0; n <= 70; n++) {
      String msg = "x".repeat(n);
      CallbackCrypto.Plain plain = crypto.decryptFrame(WecomCallbackCrypto.encrypt(msg, CORP, AES_KEY));
      assertThat(plain.message()).isEqualTo(msg);
      assertThat(plain.receiveId()).isEqualTo(CORP);
    }
  }

  @Test
  void acceptsTheSignatureOfThePublishedAlgorithmAndOfWxJava() {
    String enc = WecomCallbackCrypto.encrypt(XML, CORP, AES_KEY);
    String sig = WecomCallbackCrypto.signature(TOKEN, "1700000000", "12345", enc);

    assertThat(sig).isEqualTo(SHA1.gen(TOKEN, "1700000000", "12345", enc));
    assertThat(crypto.signatureMatches(sig, "1700000000", "12345", enc)).isTrue();
    assertThat(crypto.signatureMatches(sig.toUpperCase(), "1700000000", "12345", enc)).isTrue();
  }

  @Test
  void rejectsTamperedOrEmptySignatures() {
    String enc = WecomCallbackCrypto.encrypt(XML, CORP, AES_KEY);
    String sig = WecomCallbackCrypto.signature(TOKEN, "1700000000", "12345", enc);

    assertThat(crypto.signatureMatches(sig, "1700000001", "12345", enc)).isFalse();
    assertThat(crypto.signatureMatches(sig, "1700000000", "12346", enc)).isFalse();
    assertThat(crypto.signatureMatches(sig.substring(1), "1700000000", "12345", enc)).isFalse();
    assertThat(crypto.signatureMatches("", "1700000000", "12345", enc)).isFalse();
    assertThat(crypto.signatureMatches(sig, "1700000000", "", enc)).isFalse();
    assertThat(crypto.signatureMatches(WecomCallbackCrypto.signature("otherToken", "1700000000", "12345", enc),
        "1700000000", "12345", enc)).isFalse();
  }

  @Test
  void rejectsMalformedBase64() {
    assertThatThrownBy(() -> crypto.decryptFrame("not*base64!")).isInstanceOf(CallbackCrypto.BadCiphertextException.class);
  }

  @Test
  void rejectsCiphertextThatIsNotWholeBlocks() {
    assertThatThrownBy(() -> crypto.decryptFrame("AAAA")).isInstanceOf(CallbackCrypto.BadCiphertextException.class);
    assertThatThrownBy(() -> crypto.decryptFrame("")).isInstanceOf(CallbackCrypto.BadCiphertextException.class);
  }

  @Test
  void rejectsBadPadding() {
    byte[] frame = frame("<xml/>");
    byte[] zeroPad = WecomCallbackCrypto.pkcs7To32(frame);
    Arrays.fill(zeroPad, frame.length, zeroPad.length, (byte) 0);
    byte[] inconsistent = WecomCallbackCrypto.pkcs7To32(frame);
    inconsistent[inconsistent.length - 2] ^= 1;
    byte[] tooLong = new byte[64];
    Arrays.fill(tooLong, (byte) 33);

    for (byte[] padded : new byte[][] {zeroPad, inconsistent, tooLong}) {
      assertThatThrownBy(() -> crypto.decryptFrame(WecomCallbackCrypto.encryptPadded(padded, AES_KEY)))
          .isInstanceOf(CallbackCrypto.BadCiphertextException.class).hasMessage("bad padding");
    }
  }

  @Test
  void rejectsALengthFieldBeyondTheFrame() {
    byte[] frame = frame("<xml/>");
    frame[19] = 100;
    assertThatThrownBy(() -> crypto.decryptFrame(WecomCallbackCrypto.encryptPadded(WecomCallbackCrypto.pkcs7To32(frame), AES_KEY)))
        .isInstanceOf(CallbackCrypto.BadCiphertextException.class).hasMessage("bad message length");
    byte[] negative = frame("<xml/>");
    negative[16] = (byte) 0x80;
    assertThatThrownBy(() -> crypto.decryptFrame(WecomCallbackCrypto.encryptPadded(WecomCallbackCrypto.pkcs7To32(negative), AES_KEY)))
        .isInstanceOf(CallbackCrypto.BadCiphertextException.class).hasMessage("bad message length");
  }

  @Test
  void rejectsAFrameShorterThanItsHeader() {
    byte[] padded = WecomCallbackCrypto.pkcs7To32(new byte[10]);
    assertThatThrownBy(() -> crypto.decryptFrame(WecomCallbackCrypto.encryptPadded(padded, AES_KEY)))
        .isInstanceOf(CallbackCrypto.BadCiphertextException.class).hasMessage("frame too short");
  }

  private static byte[] frame(String msg) {
    byte[] m = msg.getBytes(StandardCharsets.UTF_8);
    byte[] corp = CORP.getBytes(StandardCharsets.UTF_8);
    byte[] f = new byte[20 + m.length + corp.length];
    f[19] = (byte) m.length;
    System.arraycopy(m, 0, f, 20, m.length);
    System.arraycopy(corp, 0, f, 20 + m.length, corp.length);
    return f;
  }
}

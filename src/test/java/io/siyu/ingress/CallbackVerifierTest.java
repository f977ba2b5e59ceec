package io.siyu.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.admin.Problem;
import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomProperties;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallbackVerifierTest {

  static final long NOW = 1_700_000_000L;

  final WecomProperties props = new WecomProperties(WecomProperties.Mode.SANDBOX, "", null,
      new WecomProperties.Callback(Duration.ofSeconds(300), 65536, Duration.ofHours(72)),
      Map.of("contact", new WecomProperties.App(null, null, null, null)));
  final WecomApps apps = WecomApps.resolve(props);
  final WecomApps.AppCredentials contact = apps.app("contact").orElseThrow();
  final CallbackVerifier verifier = new CallbackVerifier(apps, props, Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

  @Test
  void acceptsTimestampsUpToTheWindowEitherWay() {
    verifier.checkParameters("contact", "sig", Long.toString(NOW - 300), "1");
    verifier.checkParameters("contact", "sig", Long.toString(NOW + 300), "1");
  }

  @Test
  void rejectsCallbackWithStaleTimestamp() {
    assertSlug(() -> verifier.checkParameters("contact", "sig", Long.toString(NOW - 301), "1"), "stale-timestamp", 403);
  }

  @Test
  void rejectsCallbackWithFutureTimestamp() {
    assertSlug(() -> verifier.checkParameters("contact", "sig", Long.toString(NOW + 301), "1"), "stale-timestamp", 403);
  }

  @Test
  void rejectsMissingOrNonNumericParameters() {
    assertSlug(() -> verifier.checkParameters("contact", "sig", "soon", "1"), "missing-parameter", 400);
    assertSlug(() -> verifier.checkParameters("contact", null, Long.toString(NOW), "1"), "missing-parameter", 400);
    assertSlug(() -> verifier.checkParameters("contact", "sig", Long.toString(NOW), ""), "missing-parameter", 400);
  }

  @Test
  void rejectsUnknownApp() {
    assertSlug(() -> verifier.checkParameters("nope", "sig", Long.toString(NOW), "1"), "unknown-app", 404);
  }

  @Test
  void derivesTheKindOfAnExternalContactEvent() {
    CallbackVerifier.Verified v = post(DedupeKeyTest.addContact("wmA"));
    assertThat(v.kind()).isEqualTo("event:change_external_contact:add_external_contact");
    assertThat(v.xml()).isEqualTo(DedupeKeyTest.addContact("wmA"));
  }

  @Test
  void derivesTheKindOfAMemberMessageAndOfAnEventWithoutChangeType() {
    assertThat(post("<xml><MsgType>TEXT</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>").kind()).isEqualTo("msg:text");
    assertThat(post("<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>t</Token></xml>").kind())
        .isEqualTo("event:kf_msg_or_event");
  }

  @Test
  void rejectsADecryptedMessageWithoutMsgType() {
    assertSlug(() -> post("<xml><Content>hi</Content></xml>"), "malformed-xml", 400);
    assertSlug(() -> post("<xml><MsgType>event</MsgType></xml>"), "malformed-xml", 400);
  }

  @Test
  void rejectsAnEchoFromAnotherCorp() {
    String echo = WecomCallbackCrypto.encrypt("12345", "wwother", contact.aesKey());
    String ts = Long.toString(NOW);
    assertSlug(() -> verifier.verifyEcho("contact", WecomCallbackCrypto.signature(contact.token(), ts, "9", echo), ts, "9", echo),
        "wrong-corp-id", 403);
  }

  private CallbackVerifier.Verified post(String xml) {
    String enc = WecomCallbackCrypto.encrypt(xml, apps.corpId(), contact.aesKey());
    String ts = Long.toString(NOW);
    String sig = WecomCallbackCrypto.signature(contact.token(), ts, "42", enc);
    byte[] body = WecomCallbackCrypto.buildPostBody(apps.corpId(), contact.agentId(), enc).getBytes(StandardCharsets.UTF_8);
    verifier.checkParameters("contact", sig, ts, "42");
    return verifier.verifyEvent("contact", sig, ts, "42", body);
  }

  private static void assertSlug(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String slug, int status) {
    assertThatThrownBy(call).isInstanceOfSatisfying(Problem.class, p -> {
      assertThat(p.slug()).isEqualTo(slug);
      assertThat(p.getStatusCode().value()).isEqualTo(status);
    });
  }
}

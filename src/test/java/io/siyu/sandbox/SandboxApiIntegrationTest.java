package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.wecom.WecomClient;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import me.chanjar.weixin.cp.bean.message.WxCpMessage;
import me.chanjar.weixin.cp.bean.message.WxCpMessageSendResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.web.reactive.server.WebTestClient;

@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class SandboxApiIntegrationTest {

  private static final Duration T = Duration.ofSeconds(10);

  @Autowired SandboxWecom sandbox;
  @Autowired WecomClient wecom;
  @Autowired MutableClock clock;
  @Autowired WebTestClient web;

  @BeforeEach
  void reset() {
    sandbox.reset();
  }

  private SandboxContact customer(String ext, String staff) {
    return sandbox.putContact(new SandboxContact(ext, "Li Lei", "https://a/1.png", 1, "union-" + ext,
        List.of(new SandboxContact.Follow(staff, "vip", List.of("tagA"), 1_700_000_000L, "qr-spring"))));
  }

  @Test
  void externalContactGetDeserializesIntoWxJavaBeans() {
    customer("wmCust1", "zhangsan");
    WxCpExternalContactInfo info = wecom.call("contact", "externalcontact/get",
        s -> s.getExternalContactService().getContactDetail("wmCust1", null)).block(T);
    assertThat(info.getExternalContact().getName()).isEqualTo("Li Lei");
    assertThat(info.getExternalContact().getUnionId()).isEqualTo("union-wmCust1");
    assertThat(info.getExternalContact().getGender()).isEqualTo(1);
    assertThat(info.getFollowedUsers()).singleElement().satisfies(f -> {
      assertThat(f.getUserId()).isEqualTo("zhangsan");
      assertThat(f.getState()).isEqualTo("qr-spring");
      assertThat(f.getCreateTime()).isEqualTo(1_700_000_000L);
      assertThat(f.getTags()).extracting(t -> t.getTagId()).containsExactly("tagA");
    });
  }

  @Test
  void unknownExternalUserIsRefusedWith40096() {
    assertThatThrownBy(() -> wecom.call("contact", "externalcontact/get",
        s -> s.getExternalContactService().getContactDetail("wmNobody", null)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(40096));
  }

  @Test
  void expiredTokenIsRefusedWith42001AndWxJavaRefreshesIt() {
    customer("wmCust2", "lisi");
    wecom.call("contact", "externalcontact/get", s -> s.getExternalContactService().getContactDetail("wmCust2", null)).block(T);
    clock.advance(Duration.ofSeconds(7201));
    WxCpExternalContactInfo info = wecom.call("contact", "externalcontact/get",
        s -> s.getExternalContactService().getContactDetail("wmCust2", null)).block(T);
    assertThat(info.getExternalContact().getExternalUserId()).isEqualTo("wmCust2");
    assertThat(sandbox.calls(null)).extracting(SandboxCall::api, SandboxCall::errcode)
        .containsSubsequence(
            org.assertj.core.groups.Tuple.tuple("externalcontact/get", 42001),
            org.assertj.core.groups.Tuple.tuple("gettoken", 0),
            org.assertj.core.groups.Tuple.tuple("externalcontact/get", 0));
  }

  @Test
  void tokenRulesOverRawHttp() {
    web.get().uri("/sandbox/wecom/cgi-bin/gettoken?corpid=wrong&corpsecret=x").exchange()
        .expectBody().jsonPath("$.errcode").isEqualTo(40013);
    web.get().uri("/sandbox/wecom/cgi-bin/gettoken?corpid=wwsandbox0000000001&corpsecret=wrong").exchange()
        .expectBody().jsonPath("$.errcode").isEqualTo(40001);
    web.get().uri("/sandbox/wecom/cgi-bin/externalcontact/get?external_userid=x&access_token=forged").exchange()
        .expectBody().jsonPath("$.errcode").isEqualTo(40014);
    web.get().uri("/sandbox/wecom/cgi-bin/externalcontact/get?external_userid=x").exchange()
        .expectBody().jsonPath("$.errcode").isEqualTo(41001);
    web.get().uri("/sandbox/wecom/cgi-bin/gettoken?corpid=wwsandbox0000000001&corpsecret=sandbox-secret-app")
        .exchange().expectBody().jsonPath("$.expires_in").isEqualTo(7200).jsonPath("$.access_token").isNotEmpty();
    assertThat(sandbox.calls("gettoken")).last().satisfies(c -> {
      assertThat(c.app()).isEqualTo("app");
      assertThat(c.request()).doesNotContainKey("corpsecret");
    });
  }

  @Test
  void messageSendDropsMoreThan30PerMinutePerMemberSilently() {
    List<WxCpMessageSendResult> results = IntStream.range(0, 32).mapToObj(i -> wecom.call("app", "message/send",
        s -> s.getMessageService().send(WxCpMessage.TEXT().toUser("zhangsan|ghost").content("hi " + i).build())).block(T))
        .toList();
    assertThat(results).allSatisfy(r -> {
      assertThat(r.getErrCode()).isZero();
      assertThat(r.getInvalidUser()).isEqualTo("ghost");
    });
    List<SandboxCall> calls = sandbox.calls("message/send");
    assertThat(calls).hasSize(32);
    assertThat(calls.subList(0, 30)).noneMatch(SandboxCall::dropped);
    assertThat(calls.subList(30, 32)).allMatch(SandboxCall::dropped)
        .allSatisfy(c -> assertThat(c.detail()).containsEntry("dropped_users", List.of("zhangsan")));

    clock.advance(Duration.ofSeconds(61));
    wecom.call("app", "message/send", s -> s.getMessageService().send(
        WxCpMessage.TEXT().toUser("zhangsan").content("later").build())).block(T);
    assertThat(sandbox.calls("message/send", 1)).singleElement().satisfies(c -> assertThat(c.dropped()).isFalse());
  }

  @Test
  void messageSendToOnlyUnknownMembersIsRefused() {
    assertThatThrownBy(() -> wecom.call("app", "message/send", s -> s.getMessageService().send(
        WxCpMessage.TEXT().toUser("ghost").content("x").build())).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(81013));
  }

  private static int errcode(Throwable e) {
    return ((WxErrorException) e.getCause()).getError().getErrorCode();
  }

  @Test
  void perApiRateLimitAnswers45009() {
    customer("wmCust3", "zhangsan");
    sandbox.setRateLimit("externalcontact/get", 2);
    for (int i = 0; i < 2; i++) {
      wecom.call("contact", "externalcontact/get", s -> s.getExternalContactService().getContactDetail("wmCust3", null)).block(T);
    }
    assertThatThrownBy(() -> wecom.call("contact", "externalcontact/get",
        s -> s.getExternalContactService().getContactDetail("wmCust3", null)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(45009));
    clock.advance(Duration.ofMinutes(1));
    assertThat(wecom.call("contact", "externalcontact/get",
        s -> s.getExternalContactService().getContactDetail("wmCust3", null)).block(T)).isNotNull();
  }

  @Test
  void injectedFaultsAreAnsweredInOrderThenTheCallSucceeds() {
    customer("wmCust4", "zhangsan");
    sandbox.injectFaults("externalcontact/get", 45033, 45009);
    for (int expected : new int[] {45033, 45009}) {
      assertThatThrownBy(() -> wecom.call("contact", "externalcontact/get",
          s -> s.getExternalContactService().getContactDetail("wmCust4", null)).block(T))
          .satisfies(e -> assertThat(errcode(e)).isEqualTo(expected));
    }
    assertThat(wecom.call("contact", "externalcontact/get",
        s -> s.getExternalContactService().getContactDetail("wmCust4", null)).block(T)).isNotNull();
  }

  @Test
  void injectedSystemBusyAndLatencyOverRawHttp() {
    sandbox.injectFault("gettoken", -1, 1);
    sandbox.setLatency("gettoken", Duration.ofMillis(300));
    long start = System.nanoTime();
    web.get().uri("/sandbox/wecom/cgi-bin/gettoken?corpid=wwsandbox0000000001&corpsecret=sandbox-secret-app").exchange()
        .expectBody().jsonPath("$.errcode").isEqualTo(-1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    web.get().uri("/sandbox/wecom/cgi-bin/gettoken?corpid=wwsandbox0000000001&corpsecret=sandbox-secret-app").exchange()
        .expectBody().jsonPath("$.errcode").isEqualTo(0);
  }

  @Test
  void callLogIsServedAndClearedOverHttp() {
    customer("wmCust5", "zhangsan");
    wecom.call("contact", "externalcontact/get", s -> s.getExternalContactService().getContactDetail("wmCust5", null)).block(T);
    web.get().uri("/sandbox/calls?api=externalcontact/get&limit=5").exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.length()").isEqualTo(1)
        .jsonPath("$[0].api").isEqualTo("externalcontact/get")
        .jsonPath("$[0].app").isEqualTo("contact")
        .jsonPath("$[0].errcode").isEqualTo(0)
        .jsonPath("$[0].request.external_userid").isEqualTo("wmCust5")
        .jsonPath("$[0].request.access_token").doesNotExist();
    web.delete().uri("/sandbox/calls").exchange().expectStatus().isNoContent();
    web.get().uri("/sandbox/calls").exchange().expectBody().jsonPath("$.length()").isEqualTo(0);
  }
}

package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.cp.bean.external.WxCpUserExternalGroupChatInfo;
import me.chanjar.weixin.cp.bean.external.WxCpWelcomeMsg;
import me.chanjar.weixin.cp.bean.external.msg.Text;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import me.chanjar.weixin.cp.config.impl.WxCpDefaultConfigImpl;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** The simulator against a capturing endpoint of this test (independent of the real ingress). */
@SiyuIntegrationTest
@Import({MutableClock.Config.class, CallbackSimulatorIntegrationTest.Capture.class})
class CallbackSimulatorIntegrationTest {

  private static final Duration T = Duration.ofSeconds(20);

  @Autowired CallbackSimulator simulator;
  @Autowired SandboxWecom sandbox;
  @Autowired WecomClient wecom;
  @Autowired WecomApps apps;
  @Autowired MutableClock clock;
  @Autowired Capture capture;
  @Autowired WebTestClient web;
  @LocalServerPort int port;

  record Captured(String app, Map<String, String> query, String body) {}

  /** Answers callbacks with the queued statuses (then 200) and records what arrived. */
  @TestConfiguration(proxyBeanMethods = false)
  static class Capture {
    final List<Captured> received = new CopyOnWriteArrayList<>();
    final Deque<Integer> statuses = new ArrayDeque<>();

    @Bean
    RouterFunction<ServerResponse> captureCallbacks() {
      return RouterFunctions.route(POST("/capture/wecom/callback/{app}"), req -> req.bodyToMono(String.class)
          .flatMap(body -> {
            received.add(new Captured(req.pathVariable("app"), req.queryParams().toSingleValueMap(), body));
            Integer status;
            synchronized (statuses) {
              status = statuses.poll();
            }
            return ServerResponse.status(status == null ? 200 : status).build();
          }));
    }
  }

  @BeforeEach
  void reset() {
    sandbox.reset();
    capture.received.clear();
    capture.statuses.clear();
  }

  private String target() {
    return "http://127.0.0.1:" + port + "/capture";
  }

  private CallbackSimulator.Request req(String userId, String ext, String state) {
    return new CallbackSimulator.Request(userId, ext, state, null, null, null, null, null, null, null, null, null,
        null, null, null, target());
  }

  private WxCpXmlMessage decrypt(Captured c) {
    WecomApps.AppCredentials app = apps.app(c.app()).orElseThrow();
    WxCpDefaultConfigImpl cfg = new WxCpDefaultConfigImpl();
    cfg.setCorpId(apps.corpId());
    cfg.setToken(app.token());
    cfg.setAesKey(app.aesKey());
    return WxCpXmlMessage.fromEncryptedXml(c.body(), cfg, c.query().get("timestamp"), c.query().get("nonce"),
        c.query().get("msg_signature"));
  }

  @Test
  void addExternalContactIsEncryptedSignedAndIssuesAWelcomeCodeValidOnceFor20Seconds() {
    CallbackSimulator.Result r = simulator.simulate("add_external_contact", req("lisi", "wmSimCust1", "qr-summer")).block(T);
    assertThat(r.delivered()).isTrue();
    assertThat(r.attempts()).extracting(CallbackSimulator.Attempt::status).containsExactly(200);
    Captured c = capture.received.get(0);
    assertThat(c.app()).isEqualTo("contact");
    assertThat(c.body()).contains("<ToUserName><![CDATA[" + apps.corpId() + "]]></ToUserName>").contains("<Encrypt>");
    assertThat(c.query().get("timestamp")).isEqualTo(String.valueOf(clock.instant().getEpochSecond()));
    WxCpXmlMessage msg = decrypt(c);
    assertThat(msg.getEvent()).isEqualTo("change_external_contact");
    assertThat(msg.getChangeType()).isEqualTo("add_external_contact");
    assertThat(msg.getUserId()).isEqualTo("lisi");
    assertThat(msg.getExternalUserId()).isEqualTo("wmSimCust1");
    assertThat(msg.getState()).isEqualTo("qr-summer");
    assertThat(msg.getWelcomeCode()).isEqualTo(r.issued().get("welcomeCode"));
    assertThat(sandbox.contact("wmSimCust1")).hasValueSatisfying(k -> assertThat(k.followedBy("lisi")).isTrue());

    WxCpWelcomeMsg welcome = WxCpWelcomeMsg.builder().welcomeCode(msg.getWelcomeCode())
        .text(new Text().setContent("Welcome")).build();
    wecom.call("contact", "externalcontact/send_welcome_msg", s -> {
      s.getExternalContactService().sendWelcomeMsg(welcome);
      return true;
    }).block(T);
    assertThat(welcomeErrcode(welcome)).isEqualTo(41051);

    CallbackSimulator.Result late = simulator.simulate("add_external_contact", req("lisi", "wmSimCust2", null)).block(T);
    clock.advance(Duration.ofSeconds(21));
    assertThat(welcomeErrcode(WxCpWelcomeMsg.builder().welcomeCode((String) late.issued().get("welcomeCode"))
        .text(new Text().setContent("Welcome")).build())).isEqualTo(41051);
  }

  private int welcomeErrcode(WxCpWelcomeMsg welcome) {
    try {
      wecom.service("contact").getExternalContactService().sendWelcomeMsg(welcome);
      return 0;
    } catch (WxErrorException e) {
      return e.getError().getErrorCode();
    }
  }

  @Test
  void retriesOnNon200UpToThreeAttemptsAndRecordsEachOutcome() {
    capture.statuses.addAll(List.of(500, 503));
    CallbackSimulator.Result ok = simulator.simulate("del_follow_user", req("zhangsan", "wmSimCust3", null)).block(T);
    assertThat(ok.attempts()).extracting(CallbackSimulator.Attempt::outcome).containsExactly("http 500", "http 503", "ok");
    assertThat(ok.delivered()).isTrue();
    assertThat(capture.received).hasSize(3).extracting(Captured::body).containsOnly(capture.received.get(0).body());

    capture.received.clear();
    capture.statuses.addAll(List.of(500, 500, 500, 500));
    CallbackSimulator.Result failed = simulator.simulate("text", req("zhangsan", null, null)).block(T);
    assertThat(failed.delivered()).isFalse();
    assertThat(failed.attempts()).hasSize(3);
    assertThat(capture.received).hasSize(3);
  }

  @Test
  void unreachableTargetIsRecordedAsAnErrorPerAttempt() {
    CallbackSimulator.Request r = new CallbackSimulator.Request(null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, "http://127.0.0.1:1");
    CallbackSimulator.Result res = simulator.simulate("text", r).block(T);
    assertThat(res.delivered()).isFalse();
    assertThat(res.attempts()).hasSize(3).allSatisfy(a -> assertThat(a.outcome()).startsWith("error"));
  }

  @Test
  void changeExternalChatCarriesTheMemberListAndUpdatesTheGroup() {
    CallbackSimulator.Request r = new CallbackSimulator.Request("zhangsan", null, null, null, "wrSimGroup1",
        "add_member", 3, List.of("wmA", "wmB"), null, null, null, null, null, null, null, target());
    simulator.simulate("change_external_chat", r).block(T);
    Captured c = capture.received.get(0);
    WxCpXmlMessage msg = decrypt(c);
    assertThat(msg.getChangeType()).isEqualTo("update");
    assertThat(msg.getUpdateDetail()).isEqualTo("add_member");
    assertThat(msg.getJoinScene()).isEqualTo("3");
    assertThat(msg.getMemChangeCnt()).isEqualTo("2");
    assertThat(String.valueOf(msg.getAllFieldsMap().get("MemChangeList"))).contains("wmA", "wmB");

    WxCpUserExternalGroupChatInfo info = wecom.call("contact", "externalcontact/groupchat/get",
        s -> s.getExternalContactService().getGroupChat("wrSimGroup1", 1)).block(T);
    assertThat(info.getGroupChat().getOwner()).isEqualTo("zhangsan");
    assertThat(info.getGroupChat().getMemberList()).extracting(m -> m.getUserId()).containsExactly("zhangsan", "wmA", "wmB");
    assertThat(info.getGroupChat().getMemberList().get(1).getJoinScene()).isEqualTo(3);
  }

  @Test
  void kfMsgOrEventQueuesMessagesForSyncMsgWithTheIssuedToken() {
    CallbackSimulator.Request r = new CallbackSimulator.Request(null, "wmKfSim1", null, null, null, null, null, null,
        "wkSim", List.of(new CallbackSimulator.KfInput("menu please", "m1", null),
        new CallbackSimulator.KfInput(null, null, "enter_session")), null, null, null, null, null, target());
    CallbackSimulator.Result res = simulator.simulate("kf_msg_or_event", r).block(T);
    WxCpXmlMessage msg = decrypt(capture.received.get(0));
    assertThat(capture.received.get(0).app()).isEqualTo("kf");
    assertThat(msg.getEvent()).isEqualTo("kf_msg_or_event");
    assertThat(msg.getToken()).isEqualTo(res.issued().get("token"));
    assertThat(msg.getOpenKfId()).isEqualTo("wkSim");
    WxCpKfMsgListResp page = wecom.call("kf", "kf/sync_msg",
        s -> s.getKfService().syncMsg(null, msg.getToken(), 1000, null, "wkSim")).block(T);
    assertThat(page.getMsgList()).hasSize(2);
    assertThat(page.getMsgList().get(0).getText().getMenuId()).isEqualTo("m1");
    assertThat(page.getMsgList().get(1).getEvent().getEventType()).isEqualTo("enter_session");
  }

  @Test
  void templateCardEventAndMemberTextGoToTheMessageApp() {
    simulator.simulate("template_card_event", req("wangwu", null, null)).block(T);
    simulator.simulate("text", new CallbackSimulator.Request("wangwu", null, null, null, null, null, null, null, null,
        null, null, null, null, null, "ping", target())).block(T);
    assertThat(capture.received).extracting(Captured::app).containsExactly("app", "app");
    WxCpXmlMessage card = decrypt(capture.received.get(0));
    assertThat(card.getEvent()).isEqualTo("template_card_event");
    assertThat(card.getEventKey()).isEqualTo("btn-1");
    assertThat(card.getAgentId()).isEqualTo(String.valueOf(apps.app("app").orElseThrow().agentId()));
    WxCpXmlMessage text = decrypt(capture.received.get(1));
    assertThat(text.getMsgType()).isEqualTo("text");
    assertThat(text.getContent()).isEqualTo("ping");
    assertThat(text.getFromUserName()).isEqualTo("wangwu");
  }

  @Test
  void simulateOverHttpAnswersWhatWasSentAndRejectsUnknownKinds() {
    web.post().uri("/sandbox/simulate/add_half_external_contact")
        .bodyValue(Map.of("userId", "zhangsan", "externalUserId", "wmHalf1", "target", target()))
        .exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.kind").isEqualTo("add_half_external_contact")
        .jsonPath("$.app").isEqualTo("contact")
        .jsonPath("$.delivered").isEqualTo(true)
        .jsonPath("$.attempts[0].status").isEqualTo(200)
        .jsonPath("$.plainXml").value(x -> assertThat((String) x).contains("add_half_external_contact"));
    web.post().uri("/sandbox/simulate/nonsense").bodyValue(Map.of()).exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:sandbox-unknown-simulation");
  }
}

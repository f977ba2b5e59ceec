package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.wecom.WecomClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgSendRequest;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgSendResp;
import me.chanjar.weixin.cp.bean.kf.msg.WxCpKfTextMsg;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;

@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class SandboxKfIntegrationTest {

  private static final Duration T = Duration.ofSeconds(10);
  private static final String KF = "wkSandboxKf01";

  @Autowired SandboxWecom sandbox;
  @Autowired WecomClient wecom;
  @Autowired MutableClock clock;

  @BeforeEach
  void reset() {
    sandbox.reset();
  }

  private WxCpKfMsgListResp sync(String cursor, String token, Integer limit) {
    return wecom.call("kf", "kf/sync_msg", s -> s.getKfService().syncMsg(cursor, token, limit, null, KF)).block(T);
  }

  private WxCpKfMsgSendResp send(String to, String text) {
    WxCpKfMsgSendRequest req = new WxCpKfMsgSendRequest();
    req.setOpenKfid(KF);
    req.setToUser(to);
    req.setMsgType("text");
    WxCpKfTextMsg t = new WxCpKfTextMsg();
    t.setContent(text);
    req.setText(t);
    return wecom.call("kf", "kf/send_msg", s -> s.getKfService().sendMsg(req)).block(T);
  }

  private static int errcode(Throwable e) {
    return ((WxErrorException) e.getCause()).getError().getErrorCode();
  }

  @Test
  void syncMsgPagesThroughEmptyPagesUntilHasMoreIsZero() {
    String token = sandbox.issueKfToken();
    for (int i = 0; i < 5; i++) {
      sandbox.queueKfText(KF, "wmKfCust1", "hello " + i, i == 4 ? "menu-7" : null);
    }
    sandbox.queueKfEvent(KF, "wmKfCust1", "enter_session", Map.of("scene", "qr"));
    sandbox.setSyncPageSize(2);
    sandbox.injectEmptySyncPages(KF, 2);

    List<WxCpKfMsgListResp.WxCpKfMsgItem> all = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    WxCpKfMsgListResp page;
    do {
      page = sync(cursor, token, 1000);
      pages++;
      all.addAll(page.getMsgList());
      cursor = page.getNextCursor();
    } while (page.getHasMore() == 1 && pages < 20);

    assertThat(pages).isEqualTo(2 + 3);
    assertThat(all).hasSize(6);
    assertThat(all.get(0).getOrigin()).isEqualTo(3);
    assertThat(all.get(0).getText().getContent()).isEqualTo("hello 0");
    assertThat(all.get(4).getText().getMenuId()).isEqualTo("menu-7");
    assertThat(all.get(5).getMsgType()).isEqualTo("event");
    assertThat(all.get(5).getEvent().getEventType()).isEqualTo("enter_session");
    assertThat(all.get(5).getEvent().getWelcomeCode()).isNotBlank();
    assertThat(all).extracting(WxCpKfMsgListResp.WxCpKfMsgItem::getMsgId).doesNotHaveDuplicates();

    // The persisted cursor returns nothing new until a customer writes again.
    assertThat(sync(cursor, token, 1000).getMsgList()).isEmpty();
    sandbox.queueKfText(KF, "wmKfCust1", "again", null);
    assertThat(sync(cursor, token, 1000).getMsgList()).extracting(m -> m.getText().getContent()).containsExactly("again");
    assertThat(sandbox.calls("kf/sync_msg")).filteredOn(c -> Boolean.TRUE.equals(c.detail().get("empty_page"))).hasSize(2);
  }

  @Test
  void syncMsgRefusesATokenTheSimulatorDidNotIssueOrThatExpired() {
    assertThatThrownBy(() -> sync(null, "forged", null)).satisfies(e -> assertThat(errcode(e)).isEqualTo(95007));
    String token = sandbox.issueKfToken();
    clock.advance(Duration.ofMinutes(11));
    assertThatThrownBy(() -> sync(null, token, null)).satisfies(e -> assertThat(errcode(e)).isEqualTo(95007));
  }

  @Test
  void sendMsgAllowsFiveRepliesPerCustomerMessageThen95001() {
    sandbox.queueKfText(KF, "wmKfCust2", "hi", null);
    for (int i = 0; i < 5; i++) {
      assertThat(send("wmKfCust2", "reply " + i).getMsgId()).isNotBlank();
    }
    assertThatThrownBy(() -> send("wmKfCust2", "sixth")).satisfies(e -> assertThat(errcode(e)).isEqualTo(95001));
    sandbox.queueKfText(KF, "wmKfCust2", "still there?", null);
    assertThat(send("wmKfCust2", "yes").getMsgId()).isNotBlank();
  }

  @Test
  void sendMsgIsRefusedWith95002After48HoursOrWithoutAnyCustomerMessage() {
    assertThatThrownBy(() -> send("wmKfNever", "hello")).satisfies(e -> assertThat(errcode(e)).isEqualTo(95002));
    sandbox.queueKfText(KF, "wmKfCust3", "hi", null);
    clock.advance(Duration.ofHours(47));
    assertThat(send("wmKfCust3", "within").getMsgId()).isNotBlank();
    clock.advance(Duration.ofHours(2));
    assertThatThrownBy(() -> send("wmKfCust3", "late")).satisfies(e -> assertThat(errcode(e)).isEqualTo(95002));
  }

  @Test
  void sendMsgOnEventAcceptsTheEnterSessionCodeOnceWithin20Seconds() {
    String code = (String) ((Map<?, ?>) sandbox.queueKfEvent(KF, "wmKfCust4", "enter_session", null).get("event"))
        .get("welcome_code");
    WxCpKfMsgSendRequest req = new WxCpKfMsgSendRequest();
    req.setCode(code);
    req.setMsgType("text");
    WxCpKfTextMsg t = new WxCpKfTextMsg();
    t.setContent("welcome");
    req.setText(t);
    assertThat(wecom.call("kf", "kf/send_msg_on_event", s -> s.getKfService().sendMsgOnEvent(req)).block(T).getMsgId())
        .isNotBlank();
    assertThatThrownBy(() -> wecom.call("kf", "kf/send_msg_on_event", s -> s.getKfService().sendMsgOnEvent(req)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(40058));

    String late = (String) ((Map<?, ?>) sandbox.queueKfEvent(KF, "wmKfCust5", "enter_session", null).get("event"))
        .get("welcome_code");
    clock.advance(Duration.ofSeconds(21));
    req.setCode(late);
    assertThatThrownBy(() -> wecom.call("kf", "kf/send_msg_on_event", s -> s.getKfService().sendMsgOnEvent(req)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(40058));
  }
}

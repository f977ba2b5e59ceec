package io.siyu.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp.WxCpKfMsgItem;
import org.junit.jupiter.api.Test;

class KfSyncHandlerTest {

  @Test
  void kindsKfMessagesByMsgtypeAndEventsByEventType() {
    WxCpKfMsgListResp page = WxCpKfMsgListResp.fromJson("""
        {"errcode":0,"next_cursor":"c","has_more":0,"msg_list":[
          {"msgid":"1","msgtype":"text","text":{"content":"hi","menu_id":"m1"}},
          {"msgid":"2","msgtype":"event","event":{"event_type":"enter_session","welcome_code":"w"}},
          {"msgid":"3","msgtype":"event"},
          {"msgid":"4"}]}""");
    assertThat(page.getMsgList()).extracting(KfSyncHandler::kind)
        .containsExactly("kf:text", "kf:event:enter_session", "kf:event", "kf:unknown");
  }

  @Test
  void defaultConsumerNameIsUniquePerInstance() {
    InboxProperties a = new InboxProperties(true, "siyu", null, 64, 64, java.time.Duration.ofSeconds(2), 5,
        java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(60),
        java.time.Duration.ofSeconds(15), java.time.Duration.ofSeconds(15), java.time.Duration.ofSeconds(10),
        new InboxProperties.Kf(1000, java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(30), 100));
    InboxProperties b = new InboxProperties(true, "siyu", " ", 64, 64, a.blockTimeout(), 5, a.backoffInitial(),
        a.backoffMax(), a.claimIdle(), a.claimInterval(), a.shutdownTimeout(), a.metricsRefresh(), a.kf());
    assertThat(a.consumer()).contains(Long.toString(ProcessHandle.current().pid()));
    assertThat(a.consumer()).isNotEqualTo(b.consumer());
  }
}

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
}

package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;

import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import org.junit.jupiter.api.Test;

class JoinGroupHandlerTest {

  private static WxCpXmlMessage xml(String list) {
    return WxCpXmlMessage.fromXml("<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>"
        + "<ChatId><![CDATA[wr1]]></ChatId><UpdateDetail><![CDATA[add_member]]></UpdateDetail>"
        + "<MemChangeCnt>2</MemChangeCnt>" + list + "</xml>", null);
  }

  @Test
  void readsEveryMemberOfTheChangeListWhichWxJavasGetterLoses() {
    WxCpXmlMessage m = xml("<MemChangeList><Item><![CDATA[wmA]]></Item><Item><![CDATA[wmB]]></Item></MemChangeList>");
    assertThat(io.siyu.wecom.CallbackFields.memChangeList(m.getAllFieldsMap())).containsExactly("wmA", "wmB");
  }

  @Test
  void readsASingleMember() {
    WxCpXmlMessage m = xml("<MemChangeList><Item><![CDATA[wmA]]></Item></MemChangeList>");
    assertThat(io.siyu.wecom.CallbackFields.memChangeList(m.getAllFieldsMap())).containsExactly("wmA");
  }

  @Test
  void readsAnEmptyOrMissingListAsNoMembers() {
    assertThat(io.siyu.wecom.CallbackFields.memChangeList(xml("<MemChangeList></MemChangeList>").getAllFieldsMap())).isEmpty();
    assertThat(io.siyu.wecom.CallbackFields.memChangeList(xml("").getAllFieldsMap())).isEmpty();
  }
}

package io.siyu.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.ingress.CallbackXml.Leaf;
import java.util.List;
import org.junit.jupiter.api.Test;

class DedupeKeyTest {

  static String addContact(String externalUserId) {
    return "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        + "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        + "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        + "<UserID><![CDATA[staff1]]></UserID><ExternalUserID><![CDATA[" + externalUserId + "]]></ExternalUserID></xml>";
  }

  static String addMember(String... items) {
    StringBuilder list = new StringBuilder();
    for (String item : items) {
      list.append("<Item><![CDATA[").append(item).append("]]></Item>");
    }
    return "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime>"
        + "<MsgType>event</MsgType><Event>change_external_chat</Event><ChatId>chat1</ChatId><ChangeType>update</ChangeType>"
        + "<UpdateDetail>add_member</UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>" + items.length + "</MemChangeCnt>"
        + "<MemChangeList>" + list + "</MemChangeList></xml>";
  }

  static String key(String app, String xml) throws Exception {
    return DedupeKey.of(app, CallbackXml.leaves(xml));
  }

  @Test
  void sameEventGivesTheSameKey() throws Exception {
    assertThat(key("contact", addContact("wmA"))).isEqualTo(key("contact", addContact("wmA")))
        .matches("[A-Za-z0-9_-]{43}");
  }

  @Test
  void twoCustomersAddedInTheSameSecondGetDistinctKeys() throws Exception {
    assertThat(key("contact", addContact("wmA"))).isNotEqualTo(key("contact", addContact("wmB")));
  }

  @Test
  void groupMemberChangesWithDifferentItemsGetDistinctKeys() throws Exception {
    assertThat(key("contact", addMember("wmA"))).isNotEqualTo(key("contact", addMember("wmB")));
    assertThat(key("contact", addMember("wmA", "wmB"))).isNotEqualTo(key("contact", addMember("wmA")));
    assertThat(key("contact", addMember("wmA", "wmB"))).isNotEqualTo(key("contact", addMember("wmB", "wmA")));
  }

  @Test
  void theAppIsPartOfTheKey() throws Exception {
    assertThat(key("contact", addContact("wmA"))).isNotEqualTo(key("app", addContact("wmA")));
  }

  @Test
  void fieldBoundariesCannotBeShifted() {
    assertThat(DedupeKey.of("a", List.of(new Leaf("A", "bc"))))
        .isNotEqualTo(DedupeKey.of("a", List.of(new Leaf("Ab", "c"))))
        .isNotEqualTo(DedupeKey.of("a", List.of(new Leaf("A", "b"), new Leaf("", "c"))));
  }
}

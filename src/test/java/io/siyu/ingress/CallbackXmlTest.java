package io.siyu.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.ingress.CallbackXml.Leaf;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallbackXmlTest {

  @Test
  void collectsEveryLeafInDocumentOrderIncludingRepeatedNestedItems() throws Exception {
    String xml = "<xml><ToUserName><![CDATA[ww1]]></ToUserName><MsgType><![CDATA[event]]></MsgType>"
        + "<MemChangeList><Item>a</Item><Item>b</Item></MemChangeList><Empty/><Amp>x &amp; y</Amp></xml>";

    assertThat(CallbackXml.leaves(xml)).containsExactly(
        new Leaf("ToUserName", "ww1"), new Leaf("MsgType", "event"),
        new Leaf("MemChangeList/Item", "a"), new Leaf("MemChangeList/Item", "b"),
        new Leaf("Empty", ""), new Leaf("Amp", "x & y"));
  }

  @Test
  void keepsDeeperPathsApart() throws Exception {
    List<Leaf> leaves = CallbackXml.leaves("<xml>\n  <A><B><C>1</C></B><C>2</C></A>\n  <C>3</C>\n</xml>");

    assertThat(leaves).containsExactly(new Leaf("A/B/C", "1"), new Leaf("A/C", "2"), new Leaf("C", "3"));
    assertThat(CallbackXml.topLevel(leaves, "C")).isEqualTo("3");
  }

  @Test
  void rejectsADoctypeWithAnInternalEntity() {
    String xml = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY e \"boom\">]><xml><A>&e;</A></xml>";
    assertThatThrownBy(() -> CallbackXml.leaves(xml)).isInstanceOf(CallbackXml.MalformedXmlException.class);
  }

  @Test
  void rejectsAnExternalEntity() {
    String xml = "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><A>&xxe;</A></xml>";
    assertThatThrownBy(() -> CallbackXml.leaves(xml)).isInstanceOf(CallbackXml.MalformedXmlException.class);
  }

  @Test
  void rejectsADoctypeEvenWithoutEntities() {
    assertThatThrownBy(() -> CallbackXml.leaves("<!DOCTYPE xml><xml><A>1</A></xml>"))
        .isInstanceOf(CallbackXml.MalformedXmlException.class).hasMessageContaining("DTD");
  }

  @Test
  void rejectsXmlThatIsNotWellFormed() {
    for (String xml : new String[] {"", "not xml", "<xml><A>1</B></xml>", "<xml><A>1</A>", "<xml>&undeclared;</xml>"}) {
      assertThatThrownBy(() -> CallbackXml.leaves(xml)).as(xml).isInstanceOf(CallbackXml.MalformedXmlException.class);
    }
  }
}

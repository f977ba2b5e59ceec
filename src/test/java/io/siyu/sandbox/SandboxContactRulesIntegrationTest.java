package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.wecom.WecomClient;
import java.time.Duration;
import java.util.List;
import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.cp.bean.external.WxCpContactWayInfo;
import me.chanjar.weixin.cp.bean.external.WxCpMsgTemplate;
import me.chanjar.weixin.cp.bean.external.WxCpMsgTemplateAddResult;
import me.chanjar.weixin.cp.bean.external.msg.Text;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;

@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class SandboxContactRulesIntegrationTest {

  private static final Duration T = Duration.ofSeconds(10);

  @Autowired SandboxWecom sandbox;
  @Autowired WecomClient wecom;
  @Autowired MutableClock clock;

  @BeforeEach
  void reset() {
    sandbox.reset();
  }

  private static int errcode(Throwable e) {
    return ((WxErrorException) e.getCause()).getError().getErrorCode();
  }

  private WxCpMsgTemplateAddResult template(String sender, String... customers) {
    WxCpMsgTemplate t = WxCpMsgTemplate.builder().chatType("single").sender(sender)
        .externalUserid(List.of(customers)).text(new Text().setContent("Spring sale")).build();
    return wecom.call("contact", "externalcontact/add_msg_template",
        s -> s.getExternalContactService().addMsgTemplate(t)).block(T);
  }

  @Test
  void addMsgTemplateReachesEachCustomerOncePerDayAndFailsTheRest() {
    sandbox.addFollow("wmTpl1", "zhangsan", null);
    sandbox.addFollow("wmTpl2", "zhangsan", null);
    sandbox.addFollow("wmTplOther", "lisi", null);

    WxCpMsgTemplateAddResult first = template("zhangsan", "wmTpl1", "wmTpl2", "wmTplOther");
    assertThat(first.getMsgId()).isNotBlank();
    assertThat(first.getFailList()).containsExactly("wmTplOther");

    WxCpMsgTemplateAddResult second = template("zhangsan", "wmTpl1");
    assertThat(second.getFailList()).containsExactly("wmTpl1");
    assertThat(sandbox.calls("externalcontact/add_msg_template", 1)).singleElement()
        .satisfies(c -> assertThat(c.dropped()).isTrue());

    clock.advance(Duration.ofDays(1).plusSeconds(1));
    assertThat(template("zhangsan", "wmTpl1").getFailList()).isEmpty();
  }

  @Test
  void addMsgTemplateFromAnUnknownSenderIs60111() {
    assertThatThrownBy(() -> template("nobody", "wmTpl1")).satisfies(e -> assertThat(errcode(e)).isEqualTo(60111));
  }

  @Test
  void markTagRequiresTheRelationshipAndUpdatesTheFollowTags() {
    sandbox.addFollow("wmTag1", "zhangsan", "qr");
    assertThatThrownBy(() -> wecom.call("contact", "externalcontact/mark_tag",
        s -> s.getExternalContactService().markTag("lisi", "wmTag1", new String[] {"t1"}, null)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(84061));
    assertThatThrownBy(() -> wecom.call("contact", "externalcontact/mark_tag",
        s -> s.getExternalContactService().markTag("ghost", "wmTag1", new String[] {"t1"}, null)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(60111));
    wecom.call("contact", "externalcontact/mark_tag",
        s -> s.getExternalContactService().markTag("zhangsan", "wmTag1", new String[] {"t1", "t2"}, new String[] {"t2"}))
        .block(T);
    assertThat(sandbox.contact("wmTag1").orElseThrow().follows().get(0).tags()).containsExactly("t1");
  }

  @Test
  void addContactWayReturnsAConfigIdAndRefusesLongStates() {
    WxCpContactWayInfo info = new WxCpContactWayInfo();
    WxCpContactWayInfo.ContactWay way = new WxCpContactWayInfo.ContactWay();
    way.setType(WxCpContactWayInfo.TYPE.SINGLE);
    way.setScene(WxCpContactWayInfo.SCENE.QRCODE);
    way.setUsers(List.of("zhangsan"));
    way.setState("spring-poster");
    info.setContactWay(way);
    assertThat(wecom.call("contact", "externalcontact/add_contact_way",
        s -> s.getExternalContactService().addContactWay(info)).block(T).getConfigId()).isNotBlank();
    way.setState("x".repeat(31));
    assertThatThrownBy(() -> wecom.call("contact", "externalcontact/add_contact_way",
        s -> s.getExternalContactService().addContactWay(info)).block(T))
        .satisfies(e -> assertThat(errcode(e)).isEqualTo(40058));
  }

  @Test
  void concurrentMessageSendsNeverDeliverMoreThan30PerMinute() {
    List<Integer> codes = reactor.core.publisher.Flux.range(0, 40)
        .flatMap(i -> wecom.call("app", "message/send", s -> s.getMessageService().send(
            me.chanjar.weixin.cp.bean.message.WxCpMessage.TEXT().toUser("lisi").content("c" + i).build())
            .getErrCode()), 8)
        .collectList().block(Duration.ofSeconds(30));
    assertThat(codes).hasSize(40).containsOnly(0);
    assertThat(sandbox.calls("message/send")).filteredOn(c -> c.errcode() == 0 && !c.dropped()).hasSize(30);
  }
}

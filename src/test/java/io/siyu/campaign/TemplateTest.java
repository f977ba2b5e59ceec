package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateTest {

  private static final Map<String, String> FALLBACKS = Map.of("name", "亲爱的顾客", "expiringDate", "近期");

  @Test
  void rendersFieldsBlocksAndEscapedBraces() {
    Template t = Template.parse("{name}，您有{points}积分，推荐{block:rec}。{{会员日}}", true);
    String out = t.render(Map.of("name", "小林", "points", "120"), FALLBACKS, b -> b.equals("rec") ? "控油系列" : "?");
    assertThat(out).isEqualTo("小林，您有120积分，推荐控油系列。{会员日}");
    assertThat(t.blocks()).containsExactly("rec");
  }

  @Test
  void missingValuesTakeTheInlineFallbackThenTheConfiguredOneThenNothing() {
    Template t = Template.parse("{name}|{name|朋友}|{expiringDate}|{stage}", true);
    Map<String, String> values = new HashMap<>();
    values.put("name", " ");
    assertThat(t.render(values, FALLBACKS, b -> "")).isEqualTo("亲爱的顾客|朋友|近期|");
  }

  @Test
  void refusesUnknownPlaceholdersWithTheirPosition() {
    assertThatThrownBy(() -> Template.parse("您好 {nickname}", true))
        .isInstanceOfSatisfying(Template.TemplateException.class, e -> {
          assertThat(e.position()).isEqualTo(3);
          assertThat(e.getMessage()).contains("{nickname}");
        });
    assertThatThrownBy(() -> Template.parse("您好 {name", true))
        .isInstanceOfSatisfying(Template.TemplateException.class, e -> assertThat(e.position()).isEqualTo(3));
    assertThatThrownBy(() -> Template.parse("a } b", true))
        .isInstanceOfSatisfying(Template.TemplateException.class, e -> assertThat(e.position()).isEqualTo(2));
    assertThatThrownBy(() -> Template.parse("{block:rec}", false)).isInstanceOf(Template.TemplateException.class);
    assertThatThrownBy(() -> Template.parse("{block:Bad Name}", true)).isInstanceOf(Template.TemplateException.class);
    assertThatThrownBy(() -> Template.parse(" ", true)).isInstanceOf(Template.TemplateException.class);
  }
}

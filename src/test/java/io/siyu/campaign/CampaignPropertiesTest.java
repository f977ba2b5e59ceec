package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class CampaignPropertiesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(CampaignProperties.class)
  static class Config {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Config.class);

  @Test
  void bindsDocumentedDefaultsAndATable() {
    runner.withPropertyValues("siyu.campaign.tables.rec.rules[0].when-tags[0]=skin:oily",
            "siyu.campaign.tables.rec.rules[0].text=控油系列", "siyu.campaign.tables.rec.fallback=明星单品",
            "siyu.campaign.fallbacks.expiringDate=近期")
        .run(ctx -> {
          CampaignProperties p = ctx.getBean(CampaignProperties.class);
          assertThat(p.defaultChannels()).containsExactly("kf", "staff");
          assertThat(p.defaultPerPerson()).isEqualTo(1);
          assertThat(p.kfEnabled()).isFalse();
          assertThat(p.tables().get("rec").rules().get(0).whenTags()).containsExactly("skin:oily");
          assertThat(p.fallbacks()).containsEntry("expiringDate", "近期");
        });
  }

  @Test
  void refusesAnUnknownChannelAFallbackForNoPlaceholderAndABadTableRule() {
    runner.withPropertyValues("siyu.campaign.default-channels=sms").run(ctx -> assertThat(ctx).hasFailed()
        .getFailure().rootCause().hasMessageContaining("siyu.campaign.default-channels"));
    runner.withPropertyValues("siyu.campaign.fallbacks.nickname=x").run(ctx -> assertThat(ctx).hasFailed()
        .getFailure().rootCause().hasMessageContaining("siyu.campaign.fallbacks"));
    runner.withPropertyValues("siyu.campaign.tables.rec.rules[0].when=level >> 1",
            "siyu.campaign.tables.rec.rules[0].text=x")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("siyu.campaign.tables.rec.rules[0].when"));
    runner.withPropertyValues("siyu.campaign.default-per-person=0").run(ctx -> assertThat(ctx).hasFailed());
  }

  @Test
  void feedbackDefaultsAndAtMost20ValidSegments() {
    runner.run(ctx -> {
      CampaignProperties.Feedback f = ctx.getBean(CampaignProperties.class).feedback();
      assertThat(f.replyKinds()).containsExactly("chat");
      assertThat(f.segments()).isEmpty();
      assertThat(f.defaultWindow()).isEqualTo(java.time.Duration.ofDays(7));
    });
    String many = String.join(",", java.util.stream.IntStream.range(0, 21).mapToObj(i -> "s" + i).toList());
    runner.withPropertyValues("siyu.campaign.feedback.segments=" + many).run(ctx -> assertThat(ctx).hasFailed()
        .getFailure().rootCause().hasMessageContaining("feedback.segments"));
    runner.withPropertyValues("siyu.campaign.feedback.segments=vip,bad name").run(ctx -> assertThat(ctx).hasFailed()
        .getFailure().rootCause().hasMessageContaining("siyu.campaign.feedback.segments"));
  }
}

package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class JourneyPropertiesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(JourneyProperties.class)
  static class Config {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Config.class);

  @Test
  void bindsChineseDefaultsForEveryStep() {
    runner.run(ctx -> {
      JourneyProperties p = ctx.getBean(JourneyProperties.class);
      assertThat(p.steps().follow().isEnabled()).isTrue();
      assertThat(p.steps().follow().pool()).isEqualTo("follow");
      assertThat(p.steps().follow().message()).contains("{prize}", "{questionnaireLink}");
      assertThat(p.steps().questionnaire().pool()).isEqualTo("questionnaire");
      assertThat(p.steps().joinGroup().pool()).isEqualTo("join_group");
      assertThat(p.groups().all()).isTrue();
      assertThat(p.channels()).isEmpty();
    });
  }

  @Test
  void aStepKeyOverridesOnlyThatKey() {
    runner.withPropertyValues("siyu.journey.steps.join-group.enabled=false", "siyu.journey.steps.follow.pool=spring")
        .run(ctx -> {
          JourneyProperties p = ctx.getBean(JourneyProperties.class);
          assertThat(p.steps().joinGroup().isEnabled()).isFalse();
          assertThat(p.steps().joinGroup().message()).isNotBlank();
          assertThat(p.steps().follow().pool()).isEqualTo("spring");
          assertThat(p.steps().follow().message()).contains("{prize}");
        });
  }

  @Test
  void selectsTheWelcomeOfTheFirstMatchingChannel() {
    runner.withPropertyValues("siyu.journey.channels[0].state-prefix=poster-",
            "siyu.journey.channels[0].welcome=海报{prize}")
        .run(ctx -> {
          JourneyProperties p = ctx.getBean(JourneyProperties.class);
          assertThat(p.welcomeFor("poster-spring")).isEqualTo("海报{prize}");
          assertThat(p.welcomeFor("qr-1")).isEqualTo(p.steps().follow().message());
          assertThat(p.welcomeFor(null)).isEqualTo(p.steps().follow().message());
        });
  }

  @Test
  void rejectsAnUnknownPlaceholderNamingTheKey() {
    runner.withPropertyValues("siyu.journey.steps.questionnaire.message=你好{nickname}")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("steps.questionnaire").hasMessageContaining("unknown placeholder"));
  }

  @Test
  void rejectsAnEnabledStepWithoutPool() {
    runner.withPropertyValues("siyu.journey.steps.follow.pool=")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("steps.follow").hasMessageContaining("pool must be set"));
  }

  @Test
  void acceptsADisabledStepWithoutPool() {
    runner.withPropertyValues("siyu.journey.steps.follow.enabled=false", "siyu.journey.steps.follow.pool=")
        .run(ctx -> assertThat(ctx).hasNotFailed());
  }

  @Test
  void rejectsAGroupFilterThatSelectsNoChat() {
    runner.withPropertyValues("siyu.journey.groups.all=false")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("groups").hasMessageContaining("chat-ids"));
  }

  @Test
  void rejectsAChannelWithoutWelcome() {
    runner.withPropertyValues("siyu.journey.channels[0].state-prefix=poster-")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause().hasMessageContaining("channels[0]"));
  }
}

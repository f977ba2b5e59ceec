package io.siyu.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class InboxPropertiesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(InboxProperties.class)
  static class Config {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Config.class);

  @Test
  void bindsDocumentedDefaults() {
    runner.run(ctx -> {
      InboxProperties p = ctx.getBean(InboxProperties.class);
      assertThat(p.enabled()).isTrue();
      assertThat(p.group()).isEqualTo("siyu");
      assertThat(p.consumer()).contains(Long.toString(ProcessHandle.current().pid()));
      assertThat(p.batchSize()).isEqualTo(64);
      assertThat(p.concurrency()).isEqualTo(64);
      assertThat(p.blockTimeout()).isEqualTo(Duration.ofSeconds(2));
      assertThat(p.maxAttempts()).isEqualTo(5);
      assertThat(p.backoffInitial()).isEqualTo(Duration.ofMillis(500));
      assertThat(p.backoffMax()).isEqualTo(Duration.ofSeconds(30));
      assertThat(p.claimIdle()).isEqualTo(Duration.ofSeconds(60));
      assertThat(p.claimInterval()).isEqualTo(Duration.ofSeconds(15));
      assertThat(p.shutdownTimeout()).isEqualTo(Duration.ofSeconds(15));
      assertThat(p.kf().pageLimit()).isEqualTo(1000);
    });
  }

  @Test
  void rejectsAClaimIntervalNotShorterThanTheClaimIdleTime() {
    runner.withPropertyValues("siyu.inbox.claim-idle=10s", "siyu.inbox.claim-interval=10s")
        .run(ctx -> assertThat(ctx).hasFailed()
            .getFailure().rootCause().hasMessageContaining("claim-interval shorter than claim-idle"));
  }

  @Test
  void rejectsAKfPageLimitAboveWecomsMaximum() {
    runner.withPropertyValues("siyu.inbox.kf.page-limit=5000")
        .run(ctx -> assertThat(ctx).hasFailed());
  }
}

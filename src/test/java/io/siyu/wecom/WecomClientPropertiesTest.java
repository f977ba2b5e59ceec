package io.siyu.wecom;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

class WecomClientPropertiesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(WecomClientProperties.class)
  static class Props {}

  final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Props.class);

  @Test
  void defaultsAreTheDocumentedOnes() {
    runner.run(ctx -> {
      WecomClientProperties p = ctx.getBean(WecomClientProperties.class);
      assertThat(p.maxConcurrentCalls()).isEqualTo(16);
      assertThat(p.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
      assertThat(p.readTimeout()).isEqualTo(Duration.ofSeconds(10));
      assertThat(p.retry().attempts()).isEqualTo(3);
      assertThat(p.retry().initialBackoff()).isEqualTo(Duration.ofMillis(200));
      assertThat(p.retry().maxBackoff()).isEqualTo(Duration.ofSeconds(5));
      assertThat(p.maxRateWait()).isEqualTo(Duration.ofSeconds(2));
      assertThat(p.rateLimit("externalcontact/get")).isEqualTo(10000);
      assertThat(p.rateBurst()).isEqualTo(Duration.ofSeconds(1));
      // a second of the limit in the bucket, the rest refilled per minute: 166 + 9834 = 10000 in any minute
      assertThat(p.bucketCapacity("externalcontact/get")).isEqualTo(166);
      assertThat(p.refillPerMinute("externalcontact/get")).isEqualTo(9834);
    });
  }

  @Test
  void perApiRateLimitOverridesTheDefault() {
    runner.withPropertyValues("siyu.wecom.client.rate-limits[message/send]=1000").run(ctx -> {
      WecomClientProperties p = ctx.getBean(WecomClientProperties.class);
      assertThat(p.rateLimit("message/send")).isEqualTo(1000);
      assertThat(p.rateLimit("kf/send_msg")).isEqualTo(10000);
    });
  }

  @Test
  void rejectsZeroConcurrencyNamingTheKey() {
    runner.withPropertyValues("siyu.wecom.client.max-concurrent-calls=0").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("maxConcurrentCalls"));
  }

  @Test
  void rejectsZeroRateLimitAndNegativeRetries() {
    runner.withPropertyValues("siyu.wecom.client.rate-limits[message/send]=0").run(ctx ->
        assertThat(ctx).hasFailed());
    runner.withPropertyValues("siyu.wecom.client.retry.attempts=-1").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("retry.attempts"));
    runner.withPropertyValues("siyu.wecom.client.read-timeout=0s").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("readTimeout"));
  }
}

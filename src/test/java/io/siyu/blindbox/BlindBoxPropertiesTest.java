package io.siyu.blindbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.blindbox.DrawResult.PrizeKind;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class BlindBoxPropertiesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(BlindBoxProperties.class)
  static class Config {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Config.class)
      .withPropertyValues(
          "siyu.blindbox.pools.p.name=池",
          "siyu.blindbox.pools.p.prizes[0].id=a",
          "siyu.blindbox.pools.p.prizes[0].name=A",
          "siyu.blindbox.pools.p.prizes[0].kind=sample",
          "siyu.blindbox.pools.p.prizes[0].weight=3",
          "siyu.blindbox.pools.p.prizes[0].initial-stock=10");

  @Test
  void bindsAPoolWithDocumentedDefaults() {
    runner.run(ctx -> {
      BlindBoxProperties.Prize a = ctx.getBean(BlindBoxProperties.class).pools().get("p").prizes().get(0);
      assertThat(a.kind()).isEqualTo(PrizeKind.SAMPLE);
      assertThat(a.weight()).isEqualTo(3);
      assertThat(a.initialStock()).isEqualTo(10);
      assertThat(a.limitPerPerson()).isEqualTo(1);
      assertThat(ctx.getBean(BlindBoxProperties.class).pools().get("p").fallback()).isNull();
    });
  }

  @Test
  void rejectsDuplicatePrizeIdsNamingThePool() {
    runner.withPropertyValues("siyu.blindbox.pools.p.prizes[1].id=a", "siyu.blindbox.pools.p.prizes[1].name=A2",
            "siyu.blindbox.pools.p.prizes[1].kind=service", "siyu.blindbox.pools.p.prizes[1].weight=1")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("siyu.blindbox").hasMessageContaining("pools[p]")
            .hasMessageContaining("prize ids (and the fallback's id) must be unique"));
  }

  @Test
  void rejectsAZeroWeightNamingTheKey() {
    runner.withPropertyValues("siyu.blindbox.pools.p.prizes[0].weight=0")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("pools[p].prizes[0].weight").hasMessageContaining("must be greater than 0"));
  }

  @Test
  void rejectsANegativeInitialStock() {
    runner.withPropertyValues("siyu.blindbox.pools.p.prizes[0].initial-stock=-1")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause().hasMessageContaining("initialStock"));
  }

  @Test
  void rejectsAPointsPrizeWithoutPoints() {
    runner.withPropertyValues("siyu.blindbox.pools.p.prizes[0].kind=points")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("points is required"));
  }

  @Test
  void rejectsAFallbackWhoseIdClashesWithAPrize() {
    runner.withPropertyValues("siyu.blindbox.pools.p.fallback.id=a", "siyu.blindbox.pools.p.fallback.name=谢谢",
            "siyu.blindbox.pools.p.fallback.kind=points", "siyu.blindbox.pools.p.fallback.points=10")
        .run(ctx -> assertThat(ctx).hasFailed());
  }

  @Test
  void rejectsAPoolIdThatIsNotAnId() {
    runner.withPropertyValues("siyu.blindbox.pools[Bad Pool].name=x",
            "siyu.blindbox.pools[Bad Pool].prizes[0].id=a", "siyu.blindbox.pools[Bad Pool].prizes[0].name=A",
            "siyu.blindbox.pools[Bad Pool].prizes[0].kind=sample", "siyu.blindbox.pools[Bad Pool].prizes[0].weight=1")
        .run(ctx -> assertThat(ctx).hasFailed());
  }
}

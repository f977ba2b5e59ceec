package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.growth.GrowthProperties.Curve;
import io.siyu.growth.GrowthProperties.Levels;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class LevelTableTest {

  private static Levels recipe(int days, int count, Curve curve, double ratio, double exponent) {
    return new Levels(null, Duration.ofDays(days), count, curve, ratio, exponent);
  }

  @Test
  void exponentialCurveEqualsTheHandComputedTable() {
    // horizon 100 d, 4 levels, ratio 2, cap 10/day: w2..w4 = 2^0, 2^1, 2^2 = 1, 2, 4 (Σ 7);
    // cumulative days 100·1/7 = 14.29, 100·3/7 = 42.86, 100·7/7 = 100 → ×10 = 142.9, 428.6, 1000 → 143, 429, 1000.
    assertThat(LevelTable.of(recipe(100, 4, Curve.EXPONENTIAL, 2, 2), 10).thresholds())
        .containsExactly(0L, 143L, 429L, 1000L);
  }

  @Test
  void defaultRecipeEqualsTheHandComputedTable() {
    // 1095 d, 10 levels, ratio 1.5, cap 100: w = 1.5^0..1.5^8, Σ = (1.5^9 − 1)/0.5 = 74.88671875;
    // threshold(k) = round(100 · 1095 · (Σ_{j≤k} w_j) / 74.88671875):
    // k=2: 109500·1/74.887 = 1462.2; k=3: ·2.5 → 3655.5→3656 (3655.55); k=4: ·4.75 → 6945.5 (6945.47→6945);
    // k=5: ·8.125 → 11880.4; k=6: ·13.1875 → 19282.6; k=7: ·20.78125 → 30386.7; k=8: ·32.171875 → 47042.0;
    // k=9: ·49.2578125 → 72025.0; k=10: 109500.
    GrowthProperties props = new GrowthProperties(100, Duration.ofDays(35), List.of(Duration.ofDays(7)), null,
        recipe(1095, 10, Curve.EXPONENTIAL, 1.5, 2), new GrowthProperties.EventsConfig(1000),
        new GrowthProperties.Orders(true, "", Duration.ofSeconds(300), 65536));
    assertThat(LevelTable.of(props).thresholds())
        .containsExactly(0L, 1462L, 3656L, 6945L, 11880L, 19283L, 30387L, 47042L, 72025L, 109500L);
  }

  @Test
  void powerCurveEqualsTheHandComputedTable() {
    // horizon 100 d, 4 levels, exponent 2, cap 10: w2..w4 = 1², 2², 3² = 1, 4, 9 (Σ 14);
    // cumulative days 100/14 = 7.143, 500/14 = 35.71, 100 → ×10 = 71.43, 357.1, 1000 → 71, 357, 1000.
    assertThat(LevelTable.of(recipe(100, 4, Curve.POWER, 1.5, 2), 10).thresholds())
        .containsExactly(0L, 71L, 357L, 1000L);
  }

  @Test
  void fibonacciCurveEqualsTheHandComputedTable() {
    // horizon 120 d, 6 levels, cap 10: w2..w6 = F(1..5) = 1, 1, 2, 3, 5 (Σ 12); cumulative 1, 2, 4, 7, 12
    // → days 10, 20, 40, 70, 120 → ×10 = 100, 200, 400, 700, 1200.
    assertThat(LevelTable.of(recipe(120, 6, Curve.FIBONACCI, 1.5, 2), 10).thresholds())
        .containsExactly(0L, 100L, 200L, 400L, 700L, 1200L);
  }

  @Test
  void explicitListIsUsedAsGiven() {
    LevelTable t = LevelTable.of(new Levels(List.of(0L, 50L, 200L), Duration.ofDays(1095), 10, Curve.POWER, 1.5, 2), 100);
    assertThat(t.thresholds()).containsExactly(0L, 50L, 200L);
    assertThat(t.recipe()).isEqualTo("explicit");
  }

  @Test
  void levelAndProgressFollowTheThresholds() {
    LevelTable t = LevelTable.of(List.of(0L, 100L, 300L));
    assertThat(t.levelOf(0)).isEqualTo(1);
    assertThat(t.levelOf(99)).isEqualTo(1);
    assertThat(t.levelOf(100)).isEqualTo(2);
    assertThat(t.levelOf(299)).isEqualTo(2);
    assertThat(t.levelOf(300)).isEqualTo(3);
    assertThat(t.levelOf(10_000)).isEqualTo(3);
    assertThat(t.progress(150)).isEqualTo(new LevelTable.Progress(150, 2, 100, 300L, 25.0));
    assertThat(t.progress(400)).isEqualTo(new LevelTable.Progress(400, 3, 300, null, 100.0));
  }

  @Test
  void refusesThresholdsThatAreNotStrictlyIncreasing() {
    assertThatThrownBy(() -> LevelTable.of(List.of(0L, 100L, 100L))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("siyu.growth.levels.thresholds");
    assertThatThrownBy(() -> LevelTable.of(List.of(5L, 100L))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void recipeThatCollapsesLevelsIsRefused() {
    // 1 day at a cap of 1 cannot hold 10 distinct thresholds.
    assertThatThrownBy(() -> LevelTable.of(recipe(1, 10, Curve.EXPONENTIAL, 1.5, 2), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(GrowthProperties.class)
  static class Config {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Config.class);

  @Test
  void startUpRefusesNonIncreasingThresholdsNamingTheKey() {
    runner.withPropertyValues("siyu.growth.levels.thresholds=0,100,90")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
            .hasMessageContaining("siyu.growth.levels.thresholds"));
  }

  @Test
  void startUpRefusesBadKindNames() {
    runner.withPropertyValues("siyu.growth.kinds.Bad-Kind.growth=1")
        .run(ctx -> assertThat(ctx).hasFailed());
  }

  @Test
  void builtInKindsArePresentAndOperatorKindsAdded() {
    runner.withPropertyValues("siyu.growth.kinds.live_watch.growth=3", "siyu.growth.kinds.chat.growth=2")
        .run(ctx -> {
          GrowthProperties p = ctx.getBean(GrowthProperties.class);
          assertThat(p.kinds()).containsKeys("follow", "questionnaire", "group_joined", "group_left", "chat",
              "menu_click", "template_card_click", "draw", "order", "ugc", "referral", "checkin", "live_watch");
          assertThat(p.kind("chat").growth()).isEqualTo(2);
          assertThat(p.kind("draw").activity()).isFalse();
          assertThat(p.retention(p.kind("order"))).isEqualTo(Duration.ofDays(400));
          assertThat(p.retention(p.kind("chat"))).isEqualTo(Duration.ofDays(35));
        });
  }
}

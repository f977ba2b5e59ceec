package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.growth.GrowthProperties;
import io.siyu.infra.SiyuProperties;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class ScorerTest {

  private static Scorer scorer(Map<String, String> config) {
    AudienceProperties props = new Binder(new MapConfigurationPropertySource(config))
        .bindOrCreate("siyu.audience", AudienceProperties.class);
    GrowthProperties growth = new Binder(new MapConfigurationPropertySource(config))
        .bindOrCreate("siyu.growth", GrowthProperties.class);
    return new Scorer(props, growth, null, new SiyuProperties(ZoneId.of("Asia/Shanghai")));
  }

  private static final Map<String, String> STORED = Map.ofEntries(Map.entry("r1", "1"), Map.entry("r2", "2"),
      Map.entry("r3", "3"), Map.entry("r4", "4"), Map.entry("f1", "10"), Map.entry("f2", "20"), Map.entry("f3", "30"),
      Map.entry("f4", "40"), Map.entry("m1", "1"), Map.entry("m2", "2"), Map.entry("m3", "3"), Map.entry("m4", "4"),
      Map.entry("super", "50"));

  @Test
  void quantileModeUsesTheSweepsCutPointsAndThresholdModeTheConfiguredOnes() {
    Profile p = ExpressionsTest.profile(Map.of("orders", "3", "amount", "60000",
        "lastOrderAt", Long.toString(java.time.Instant.parse("2026-02-09T04:00:00Z").toEpochMilli())));
    Scorer q = scorer(Map.of("siyu.audience.rfm.mode", "quantiles"));
    assertThat(Scorer.rfm(p, q.cuts(STORED))).isEqualTo(new Profile.Rfm(1, 1, 5)); // 20 days > 4; 3 < 10; 600 >= 4
    assertThat(Scorer.rfm(p, q.cuts(Map.of()))).as("before the first sweep: the configured cut points")
        .isEqualTo(new Profile.Rfm(4, 3, 3));
    Scorer t = scorer(Map.of());
    assertThat(Scorer.rfm(p, t.cuts(STORED))).isEqualTo(new Profile.Rfm(4, 3, 3));
    assertThat(t.cuts(STORED).superThreshold()).isEqualTo(50);
    assertThat(t.cuts(Map.of()).superThreshold()).as("nobody is super before the first sweep").isEqualTo(101);
  }

  @Test
  void customLifecycleRulesApplyInOrderAndTheValueWeightsAreConfigurable() {
    Scorer s = scorer(Map.of("siyu.audience.lifecycle[0].stage", "mature", "siyu.audience.lifecycle[0].when", "tags.contains('vip')",
        "siyu.audience.lifecycle[1].stage", "intro", "siyu.audience.lifecycle[1].when", "true",
        "siyu.audience.value.weights.consumption", "1", "siyu.audience.value.full.consumption", "100"));
    Profile vip = ExpressionsTest.profile(Map.of("t:vip", "1", "amount", "5000"));
    Profile.Scores scores = s.score(vip, s.cuts(Map.of()), 0);
    assertThat(scores.stage()).isEqualTo("mature");
    assertThat(scores.value()).isEqualTo(50); // 50 yuan of a full 100, the only weight
    assertThat(s.score(ExpressionsTest.profile(Map.of()), s.cuts(Map.of()), 0).stage()).isEqualTo("intro");
  }
}

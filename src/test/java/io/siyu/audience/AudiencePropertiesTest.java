package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class AudiencePropertiesTest {

  private static AudienceProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("siyu.audience", AudienceProperties.class);
  }

  @Test
  void defaultsHaveTheFiveStages() {
    AudienceProperties p = bind(Map.of());
    assertThat(p.lifecycle()).extracting(AudienceProperties.StageRule::stage)
        .containsExactly("churned", "dormant", "mature", "growth", "intro");
    assertThat(p.rfm().recencyDays()).hasSize(4);
    assertThat(p.value().superTopPercent()).isEqualTo(5);
  }

  @Test
  void anInvalidSegmentExpressionRefusesStartUpNamingTheKeyAndPosition() {
    assertThatThrownBy(() -> bind(Map.of("siyu.audience.segments[0].name", "ok",
        "siyu.audience.segments[0].expression", "stage == 'x'",
        "siyu.audience.segments[1].name", "bad",
        "siyu.audience.segments[1].expression", "stage == 'x' and T(java.lang.System).exit(1)")))
        .isInstanceOf(BindException.class)
        .rootCause().hasMessageContaining("siyu.audience.segments[1].expression").hasMessageContaining("position 17");
  }

  @Test
  void anUnknownStageOrUnsortedCutPointsAreRefused() {
    assertThatThrownBy(() -> bind(Map.of("siyu.audience.lifecycle[0].stage", "vip",
        "siyu.audience.lifecycle[0].when", "true")))
        .rootCause().hasMessageContaining("siyu.audience.lifecycle[0].stage");
    assertThatThrownBy(() -> bind(Map.of("siyu.audience.rfm.frequency", "5,3,2,1")))
        .rootCause().hasMessageContaining("siyu.audience.rfm.frequency");
    assertThatThrownBy(() -> bind(Map.of("siyu.audience.lifecycle[0].stage", "intro",
        "siyu.audience.lifecycle[0].when", "orders")))
        .rootCause().hasMessageContaining("siyu.audience.lifecycle[0].when").hasMessageContaining("boolean");
  }

  @Test
  void segmentNamesThatShadowEndpointsAreRefused() {
    assertThat("rebuild").doesNotMatch(AudienceProperties.SEGMENT_NAME);
    assertThat("preview").doesNotMatch(AudienceProperties.SEGMENT_NAME);
    assertThat("rebuild-vip").matches(AudienceProperties.SEGMENT_NAME);
    assertThat("Vip").doesNotMatch(AudienceProperties.SEGMENT_NAME);
  }
}

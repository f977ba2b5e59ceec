package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfileReadTest {

  @Test
  void parsesTheJoinedHashWithEmptyValuesAndChineseText() {
    assertThat(AudienceEvaluator.split("6\u001fname\u001f王芳\u001fremark\u001f\u001ft:skin:oily\u001f1"))
        .isEqualTo(Map.of("name", "王芳", "remark", "", "t:skin:oily", "1"));
  }

  @Test
  void readsAMissingHashAsEmpty() {
    assertThat(AudienceEvaluator.split("")).isEmpty();
  }

  @Test
  void refusesAReplyWhoseValueContainedTheSeparatorSoTheCallerFallsBack() {
    assertThat(AudienceEvaluator.split("4\u001fname\u001fa\u001fb\u001fremark\u001fx")).isNull();
  }
}

package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.journey.QuestionnaireProperties.Option;
import io.siyu.journey.QuestionnaireProperties.Question;
import io.siyu.journey.QuestionnaireProperties.Type;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuestionnairePropertiesTest {

  private static final Option OILY = new Option("oily", "油性", "skin:oily");

  @Test
  void acceptsAValidDefinitionAndMapsTags() {
    QuestionnaireProperties p = props(List.of(new Question("skin", "肤质？", Type.SINGLE, true, List.of(OILY), 100)),
        Map.of("skin:oily", "etOily"));
    assertThat(p.wecomTagIds(List.of("skin:oily", "skin:dry"))).containsExactly("etOily");
  }

  @Test
  void rejectsDuplicateQuestionIdsNamingTheKey() {
    Question q = new Question("skin", "肤质？", Type.SINGLE, true, List.of(OILY), 100);
    assertThatThrownBy(() -> props(List.of(q, q), Map.of()))
        .hasMessageContaining("siyu.journey.questionnaire.questions[1].id").hasMessageContaining("duplicate");
  }

  @Test
  void rejectsChoiceQuestionsWithoutOptionsAndTextQuestionsWithOptions() {
    assertThatThrownBy(() -> props(List.of(new Question("a", "?", Type.MULTI, false, List.of(), 100)), Map.of()))
        .hasMessageContaining("questions[0].options").hasMessageContaining("needs options");
    assertThatThrownBy(() -> props(List.of(new Question("a", "?", Type.TEXT, false, List.of(OILY), 100)), Map.of()))
        .hasMessageContaining("questions[0].options").hasMessageContaining("text question");
  }

  @Test
  void rejectsDuplicateOrMalformedOptionIds() {
    assertThatThrownBy(() -> props(List.of(new Question("a", "?", Type.SINGLE, false, List.of(OILY, OILY), 100)),
        Map.of())).hasMessageContaining("questions[0].options[1].id");
    assertThatThrownBy(() -> props(List.of(new Question("a", "?", Type.SINGLE, false,
        List.of(new Option("_done", "x", null)), 100)), Map.of())).hasMessageContaining("questions[0].options[0].id");
    assertThatThrownBy(() -> props(List.of(new Question("a b", "?", Type.TEXT, false, List.of(), 100)), Map.of()))
        .hasMessageContaining("questions[0].id");
  }

  @Test
  void rejectsTagMappingsForTagsNoOptionHas() {
    assertThatThrownBy(() -> props(List.of(new Question("skin", "?", Type.SINGLE, true, List.of(OILY), 100)),
        Map.of("skin:dry", "etDry"))).hasMessageContaining("tag-mapping[skin:dry]");
  }

  private static QuestionnaireProperties props(List<Question> questions, Map<String, String> mapping) {
    return new QuestionnaireProperties("t", "", Duration.ofDays(7), "contact", "kf", null, questions, mapping,
        null);
  }
}

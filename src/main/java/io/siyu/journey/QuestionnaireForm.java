package io.siyu.journey;

import io.siyu.journey.QuestionnaireProperties.Question;
import io.siyu.journey.QuestionnaireStore.Answer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.util.MultiValueMap;

/**
 * Validates a page submission ({@code q.<questionId>} fields). The page submits the whole questionnaire:
 * every required question must be answered (partial answers are kept by the chat flow, which saves as
 * it goes; the page shows them pre-filled). Any error rejects the whole submission.
 *
 * @param answers  one per question, in order ('' for an optional question left blank); empty on errors
 * @param values   what was submitted, by question id, to re-render the form
 * @param errors   field errors by question id; {@link #FORM} for errors not tied to a known question
 */
record QuestionnaireForm(List<Answer> answers, Map<String, List<String>> values, Map<String, String> errors) {

  static final String FIELD_PREFIX = "q.";
  static final String FORM = "_form";

  boolean valid() {
    return errors.isEmpty();
  }

  static QuestionnaireForm parse(QuestionnaireProperties props, MultiValueMap<String, String> form) {
    QuestionnaireProperties.Texts texts = props.texts();
    Map<String, List<String>> values = new LinkedHashMap<>();
    Map<String, String> errors = new LinkedHashMap<>();
    for (String name : form.keySet()) {
      if (name.startsWith(FIELD_PREFIX) && props.question(name.substring(FIELD_PREFIX.length())).isEmpty()) {
        errors.put(FORM, texts.unknownQuestion());
      }
    }
    List<Answer> answers = new ArrayList<>();
    for (Question q : props.questions()) {
      List<String> given = form.getOrDefault(FIELD_PREFIX + q.id(), List.of()).stream()
          .map(v -> v == null ? "" : v.strip()).filter(v -> !v.isEmpty()).toList();
      values.put(q.id(), given);
      switch (q.type()) {
        case SINGLE -> {
          if (given.size() > 1 || given.size() == 1 && q.option(given.get(0)).isEmpty()) {
            errors.put(q.id(), texts.unknownOption());
          } else if (given.isEmpty() && q.required()) {
            errors.put(q.id(), texts.required());
          } else if (given.isEmpty()) {
            answers.add(new Answer(q.id(), "", List.of()));
          } else {
            answers.add(new Answer(q.id(), given.get(0), tags(q, given)));
          }
        }
        case MULTI -> {
          Set<String> chosen = new LinkedHashSet<>(given);
          if (chosen.stream().anyMatch(id -> q.option(id).isEmpty())) {
            errors.put(q.id(), texts.unknownOption());
          } else if (chosen.isEmpty() && q.required()) {
            errors.put(q.id(), texts.required());
          } else {
            // stored in the definition's order, whatever order the browser sent
            List<String> ordered = q.options().stream().map(QuestionnaireProperties.Option::id)
                .filter(chosen::contains).toList();
            answers.add(new Answer(q.id(), String.join(",", ordered), tags(q, ordered)));
          }
        }
        case TEXT -> {
          String text = given.isEmpty() ? "" : given.get(0);
          if (given.size() > 1) {
            errors.put(q.id(), texts.unknownOption());
          } else if (text.codePointCount(0, text.length()) > q.maxLength()) {
            errors.put(q.id(), texts.tooLong().replace("{max}", Integer.toString(q.maxLength())));
          } else if (text.isEmpty() && q.required()) {
            errors.put(q.id(), texts.required());
          } else {
            answers.add(new Answer(q.id(), text, List.of()));
          }
        }
      }
    }
    return new QuestionnaireForm(errors.isEmpty() ? List.copyOf(answers) : List.of(), values, errors);
  }

  static List<String> tags(Question q, List<String> optionIds) {
    List<String> tags = new ArrayList<>();
    for (String id : optionIds) {
      q.option(id).map(QuestionnaireProperties.Option::tag).filter(t -> t != null && !tags.contains(t)).ifPresent(tags::add);
    }
    return tags;
  }
}

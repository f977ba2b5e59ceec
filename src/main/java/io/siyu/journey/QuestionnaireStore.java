package io.siyu.journey;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Questionnaire answers and progress in Redis, all under the person's {@code {p:<id>}} tag. The page and
 * the chat flow write through the same script, so either can finish what the other started.
 */
@Component
class QuestionnaireStore {

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static final RedisScript<List<String>> SAVE =
      (RedisScript) LuaScripts.load("journey/questionnaire-save.lua", List.class);
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static final RedisScript<List<String>> TOGGLE =
      (RedisScript) LuaScripts.load("journey/questionnaire-toggle.lua", List.class);

  /** One answer: {@code tags} are the person tags it implies. */
  record Answer(String questionId, String value, List<String> tags) {}

  /** What a save or toggle did; {@code args} depend on the status (see the scripts). */
  record Saved(String status, List<String> args) {
    String arg() {
      return args.isEmpty() ? "" : args.get(0);
    }
  }

  /** A save request. {@code msgId}/{@code expect}/{@code commitDraft} are empty for the page. */
  record Save(String msgId, String expect, String commitDraft, List<Answer> answers) {
    static Save page(List<Answer> answers) {
      return new Save("", "", "", answers);
    }
  }

  /** What is stored for a person. */
  record Progress(Map<String, String> answers, Map<String, String> state) {
    boolean completed() {
      return state.containsKey("completedAt");
    }

    String prize() {
      return state.get("prize");
    }
  }

  private final ReactiveStringRedisTemplate redis;
  private final QuestionnaireProperties props;
  private final Clock clock;

  QuestionnaireStore(ReactiveStringRedisTemplate redis, QuestionnaireProperties props, Clock clock) {
    this.redis = redis;
    this.props = props;
    this.clock = clock;
  }

  Mono<Saved> save(String personId, Save save) {
    List<String> args = new ArrayList<>();
    args.add(Long.toString(clock.millis()));
    args.add(save.msgId());
    args.add(save.expect());
    args.add(props.questions().stream().map(QuestionnaireProperties.Question::id).collect(Collectors.joining(" ")));
    args.add(props.questions().stream().filter(QuestionnaireProperties.Question::required)
        .map(QuestionnaireProperties.Question::id).collect(Collectors.joining(" ")));
    args.add(save.commitDraft());
    args.add(Integer.toString(save.answers().size()));
    for (Answer a : save.answers()) {
      args.add(a.questionId());
      args.add(a.value());
      args.add(String.join(" ", a.tags()));
    }
    return run(SAVE, List.of(RedisKeys.questionnaireAnswers(personId), RedisKeys.questionnaireAnswerTags(personId),
        RedisKeys.questionnaireState(personId), RedisKeys.questionnaireTags(personId)), args);
  }

  Mono<Saved> toggle(String personId, String msgId, QuestionnaireProperties.Question question, String optionId) {
    List<String> args = new ArrayList<>(List.of(msgId, question.id(), optionId));
    for (QuestionnaireProperties.Option o : question.options()) {
      args.add(o.id());
      args.add(o.tag() == null ? "" : o.tag());
    }
    return run(TOGGLE, List.of(RedisKeys.questionnaireState(personId)), args);
  }

  Mono<Progress> progress(String personId) {
    Mono<Map<String, String>> answers = redis.<String, String>opsForHash()
        .entries(RedisKeys.questionnaireAnswers(personId)).collectMap(Map.Entry::getKey, Map.Entry::getValue);
    Mono<Map<String, String>> state = redis.<String, String>opsForHash()
        .entries(RedisKeys.questionnaireState(personId)).collectMap(Map.Entry::getKey, Map.Entry::getValue);
    return Mono.zip(answers, state, Progress::new);
  }

  Mono<List<String>> tags(String personId) {
    return redis.opsForSet().members(RedisKeys.questionnaireTags(personId)).sort().collectList();
  }

  /** Records the prize shown for the completed questionnaire (a single write: no read involved). */
  Mono<Void> recordPrize(String personId, String prize) {
    return redis.opsForHash().put(RedisKeys.questionnaireState(personId), "prize", prize).then();
  }

  private Mono<Saved> run(RedisScript<List<String>> script, List<String> keys, List<String> args) {
    return redis.execute(script, keys, args).next().map(r -> {
      List<String> out = r.stream().map(String::valueOf).toList();
      return new Saved(out.get(0), out.subList(1, out.size()));
    });
  }
}

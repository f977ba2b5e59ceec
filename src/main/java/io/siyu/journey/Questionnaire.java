package io.siyu.journey;

import io.siyu.audience.Person;
import io.siyu.audience.PersonStore;
import io.siyu.blindbox.DrawResult;
import io.siyu.infra.Transient;
import io.siyu.wecom.WecomClient;
import io.siyu.wecom.WecomException;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Completion of the questionnaire, the same for the page and the chat flow: once the save script has
 * marked it complete, the journey step earns the draw (exactly once: only the caller whose save
 * completed it calls {@link Journey#completeStep}), the prize is recorded for later visits and the
 * mapped tags are marked in WeCom as the person's owner. The answers and tags are copied to the profile
 * ({@link PersonStore#recordAnswers}) first.
 */
@Component
class Questionnaire {

  private static final Logger log = LoggerFactory.getLogger(Questionnaire.class);
  /** A completion without a recorded prize after this long was interrupted: finish it again (idempotent). */
  static final Duration RECOVER_AFTER = Duration.ofSeconds(30);
  private static final Duration PRIZE_WAIT = Duration.ofSeconds(5);

  /** The prize label not recorded yet while another request is finishing the completion. */
  static final class PrizeNotYet extends RuntimeException implements Transient {
    PrizeNotYet() {
      super("questionnaire prize not recorded yet", null, false, false);
    }
  }

  private final QuestionnaireStore store;
  private final Journey journey;
  private final PersonStore persons;
  private final WecomClient wecom;
  private final QuestionnaireProperties props;
  private final Clock clock;
  private final MeterRegistry meters;

  Questionnaire(QuestionnaireStore store, Journey journey, PersonStore persons, WecomClient wecom,
                QuestionnaireProperties props, Clock clock, MeterRegistry meters) {
    this.store = store;
    this.journey = journey;
    this.persons = persons;
    this.wecom = wecom;
    this.props = props;
    this.clock = clock;
    this.meters = meters;
  }

  /**
   * Finishes a completion this caller's save produced: the step (draw #2), the prize record, mark_tag.
   * Returns the prize label ("" when the draw gave nothing).
   */
  Mono<String> finish(String personId, List<String> tags, String via) {
    meters.counter("siyu.questionnaire.completions", "via", via).increment();
    // answers and tags go to the profile first (idempotent), so a recovery repeats them with the step
    return store.progress(personId)
        .flatMap(p -> persons.recordAnswers(personId, answered(p.answers()), new java.util.LinkedHashSet<>(tags)))
        .then(journey.completeStep(personId, Step.QUESTIONNAIRE))
        .map(outcome -> prizeLabel(outcome.draw()))
        .flatMap(prize -> store.recordPrize(personId, prize).thenReturn(prize))
        .flatMap(prize -> markTags(personId, tags).thenReturn(prize));
  }

  /**
   * The prize of an earlier completion ({@code done} from a script: completedAt, recorded flag, prize).
   * Waits briefly for a concurrent completion to record it; finishes an interrupted one again. Empty
   * while another request is still finishing.
   */
  Mono<String> earlierPrize(String personId, QuestionnaireStore.Saved done) {
    if ("1".equals(done.args().get(1))) {
      return Mono.just(done.args().get(2));
    }
    long completedAt = Long.parseLong(done.args().get(0));
    if (clock.millis() - completedAt > RECOVER_AFTER.toMillis()) {
      log.info("questionnaire completion without a recorded prize: finishing it again");
      return store.tags(personId).flatMap(tags -> finish(personId, tags, "recovery"));
    }
    return store.progress(personId)
        .flatMap(p -> Mono.justOrEmpty(Optional.ofNullable(p.prize())))
        .switchIfEmpty(Mono.error(PrizeNotYet::new))
        .retryWhen(Retry.backoff(8, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500))
            .filter(PrizeNotYet.class::isInstance))
        .timeout(PRIZE_WAIT, Mono.empty())
        .onErrorResume(e -> Exceptions.isRetryExhausted(e) || e instanceof PrizeNotYet, e -> Mono.empty());
  }

  String thanks(String prize) {
    return prize.isEmpty() ? props.texts().noPrize() : props.texts().thanks().replace("{prize}", prize);
  }

  String alreadyCompleted(String prize) {
    return prize.isEmpty() ? props.texts().noPrize() : props.texts().alreadyCompleted().replace("{prize}", prize);
  }

  /** The tags mapped to WeCom tag ids, marked as the person's owner through the contact app. */
  private Mono<Void> markTags(String personId, List<String> tags) {
    List<String> tagIds = props.wecomTagIds(tags);
    if (tagIds.isEmpty()) {
      return Mono.empty();
    }
    return persons.find(personId)
        .filter(p -> p.ownerUserId() != null && p.externalUserId() != null)
        .flatMap(p -> markTag(p, tagIds))
        .onErrorResume(WecomException.class, e -> {
          // the prize is already earned; a tag WeCom refuses must not take it away
          log.warn("questionnaire mark_tag failed: {} (errcode {})", e.getClass().getSimpleName(), e.errcode());
          return Mono.empty();
        });
  }

  private Mono<Void> markTag(Person p, List<String> tagIds) {
    String[] add = tagIds.toArray(String[]::new);
    return wecom.call(props.contactApp(), "externalcontact/mark_tag",
            s -> s.getExternalContactService().markTag(p.ownerUserId(), p.externalUserId(), add, new String[0]))
        .retryWhen(Retry.backoff(3, Duration.ofMillis(200)).filter(Transient.class::isInstance))
        .then();
  }

  private static java.util.Map<String, String> answered(java.util.Map<String, String> answers) {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    answers.forEach((q, a) -> {
      if (!a.isEmpty()) {
        out.put(q, a);
      }
    });
    return out;
  }

  private static String prizeLabel(DrawResult draw) {
    if (draw == null || draw.prizeName() == null
        || draw.outcome() != DrawResult.Outcome.WON && draw.outcome() != DrawResult.Outcome.FALLBACK) {
      return "";
    }
    return draw.couponCode() == null ? draw.prizeName() : draw.prizeName() + "（券码 " + draw.couponCode() + "）";
  }
}

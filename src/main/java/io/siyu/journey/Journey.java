package io.siyu.journey;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.blindbox.BlindBox;
import io.siyu.blindbox.DrawResult;
import io.siyu.growth.Interaction;
import io.siyu.growth.Interactions;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Completes journey steps: idempotent per (person, step), earns the step's draw, queues its message.
 *
 * <p>Order, chosen so a redelivery repairs whatever a crash left undone: mark the step (one script; the
 * first caller learns it was first) → draw unless a draw is already stored (the blind box is idempotent
 * on (person, step) too, so two racing callers get one draw) → store the draw and queue the message
 * (the outbox is idempotent on the key) → add the person to the funnel sets → record the step's growth
 * interactions ({@code follow} / {@code questionnaire}, and {@code draw} keyed by the step; the group's
 * {@code group_joined} is recorded by {@link JoinGroupHandler}, which knows the chat). Every later call of
 * a completed step re-runs the missing parts and does nothing else (interactions are idempotent on their
 * keys, so they are recorded again on every call).
 */
@Component
public class Journey {

  /** @param first false when the step was already complete (no new draw; {@code draw} is the first one) */
  public record StepOutcome(String personId, Step step, boolean first, DrawResult draw) {}

  /** A completed step as stored: when, and the draw it earned (null if none yet or the step has no draw). */
  public record StepRecord(Step step, Instant completedAt, DrawResult draw) {}

  /** The person is unknown: a step can only complete for a stored person. */
  public static final class UnknownPersonException extends IllegalArgumentException {
    UnknownPersonException(String personId) {
      super("unknown person " + personId);
    }
  }

  /**
   * How the step's message reaches the person: for the follow step, the add event's staff member and
   * WelcomeCode; otherwise the person's owner (welcomeCode null).
   */
  record Delivery(String externalUserId, String staffUserId, String welcomeCode, Instant welcomeCodeAt) {}

  private static final RedisScript<List> COMPLETE = LuaScripts.load("journey/complete_step.lua", List.class);
  private static final RedisScript<Long> FUNNEL = LuaScripts.load("journey/funnel_add.lua", Long.class);

  private final ReactiveStringRedisTemplate redis;
  private final BlindBox blindBox;
  private final Outbox outbox;
  private final JourneyProperties props;
  private final QuestionnaireLinks links;
  private final Interactions interactions;
  private final Clock clock;
  private final MeterRegistry meters;

  Journey(ReactiveStringRedisTemplate redis, BlindBox blindBox, Outbox outbox, JourneyProperties props,
          QuestionnaireLinks links, Interactions interactions, Clock clock, MeterRegistry meters) {
    this.interactions = interactions;
    this.redis = redis;
    this.blindBox = blindBox;
    this.outbox = outbox;
    this.props = props;
    this.links = links;
    this.clock = clock;
    this.meters = meters;
    // Pools are configured by the blind box and named by the journey: a typo would fail every draw at
    // run time, so refuse to start instead.
    for (Step s : Step.values()) {
      JourneyProperties.StepConfig cfg = props.steps().of(s);
      if (cfg.isEnabled() && !blindBox.pools().containsKey(cfg.pool())) {
        throw new IllegalStateException("siyu.journey.steps." + s.id().replace('_', '-') + ".pool: no blind-box pool '"
            + cfg.pool() + "' (siyu.blindbox.pools has " + blindBox.pools().keySet() + ")");
      }
    }
  }

  /**
   * Completes {@code step} for a stored person. The message goes to the person's owner relationship
   * (no WelcomeCode). Fails with {@link UnknownPersonException} for an unknown person. A disabled step
   * only records its interaction ({@code first} false, no draw, no message).
   */
  public Mono<StepOutcome> completeStep(String personId, Step step) {
    return complete(personId, step, null);
  }

  /** The steps a person has completed, in journey order. */
  public Mono<List<StepRecord>> steps(String personId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.journeySteps(personId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .map(h -> {
          List<StepRecord> out = new ArrayList<>();
          for (Step s : Step.values()) {
            String at = h.get(s.id());
            if (at != null) {
              String draw = h.get(s.id() + ":draw");
              out.add(new StepRecord(s, Instant.ofEpochMilli(Long.parseLong(at)),
                  draw == null ? null : StoredDraw.fromJson(personId, s, draw, true)));
            }
          }
          return out;
        });
  }

  /** Persons who completed each step, overall ({@code state} null) or for one channel. */
  public Mono<Map<Step, Long>> funnelCounts(String state) {
    List<Mono<Map.Entry<Step, Long>>> counts = new ArrayList<>();
    for (Step s : Step.values()) {
      String key = state == null ? RedisKeys.journeyFunnel(s.id()) : RedisKeys.journeyFunnelByState(s.id(), state);
      counts.add(redis.opsForSet().size(key).defaultIfEmpty(0L).map(n -> Map.entry(s, n)));
    }
    return Mono.zip(counts, arr -> {
      Map<Step, Long> m = new EnumMap<>(Step.class);
      for (Object o : arr) {
        @SuppressWarnings("unchecked") Map.Entry<Step, Long> e = (Map.Entry<Step, Long>) o;
        m.put(e.getKey(), e.getValue());
      }
      return m;
    });
  }

  /** Channels (add-event States) the funnel has seen. */
  public Mono<List<String>> funnelStates() {
    return redis.opsForSet().members(RedisKeys.journeyFunnelStates()).sort().collectList();
  }

  Mono<StepOutcome> complete(String personId, Step step, Delivery delivery) {
    JourneyProperties.StepConfig cfg = props.steps().of(step);
    if (!cfg.isEnabled()) {
      // no draw and no message, but the follow or questionnaire is still an interaction
      return recordInteractions(personId, step, null, delivery)
          .onErrorMap(io.siyu.growth.UnknownPersonException.class, e -> new UnknownPersonException(personId))
          .thenReturn(new StepOutcome(personId, step, false, null));
    }
    return redis.execute(COMPLETE, List.of(RedisKeys.person(personId), RedisKeys.journeySteps(personId)),
            List.of(step.id(), Long.toString(clock.millis())))
        .next()
        .flatMap(r -> {
          if (((Long) r.get(0)) < 0) {
            return Mono.error(new UnknownPersonException(personId));
          }
          Marked m = new Marked(((Long) r.get(0)) == 1L, (String) r.get(2), (String) r.get(3), (String) r.get(4),
              (String) r.get(5), (String) r.get(6));
          meters.counter("siyu.journey.steps", "step", step.id(), "first", Boolean.toString(m.first)).increment();
          return drawOnce(personId, step, cfg, m)
              .flatMap(draw -> Mono.when(queueMessage(personId, step, cfg, m, draw, delivery),
                      countInFunnel(personId, step, m.state), recordInteractions(personId, step, draw, delivery))
                  .thenReturn(new StepOutcome(personId, step, m.first, draw)));
        });
  }

  /**
   * The step's interactions. Keys: follow → the add event's staff userid and CreateTime (a re-add is a new
   * follow), or {@code journey} when completed without an add event; questionnaire → {@code journey}
   * (once per person); draw → the step (the step has one draw per person).
   */
  private Mono<Void> recordInteractions(String personId, Step step, DrawResult draw, Delivery delivery) {
    Instant now = clock.instant();
    boolean addEvent = delivery != null && delivery.staffUserId() != null && delivery.welcomeCodeAt() != null;
    Mono<?> stepIx = switch (step) {
      case FOLLOW -> interactions.record(new Interaction(personId, "follow",
          addEvent ? delivery.staffUserId() + ":" + delivery.welcomeCodeAt().getEpochSecond() : "journey",
          addEvent ? delivery.welcomeCodeAt() : now));
      case QUESTIONNAIRE -> interactions.record(new Interaction(personId, "questionnaire", "journey", now));
      case JOIN_GROUP -> Mono.empty();
    };
    Mono<?> drawIx = draw == null ? Mono.empty()
        : interactions.record(new Interaction(personId, "draw", step.id(), now));
    return Mono.when(stepIx, drawIx);
  }

  private record Marked(boolean first, String storedDraw, String state, String name, String externalUserId,
                        String ownerUserId) {}

  private Mono<DrawResult> drawOnce(String personId, Step step, JourneyProperties.StepConfig cfg, Marked m) {
    if (!m.storedDraw.isEmpty()) {
      return Mono.just(StoredDraw.fromJson(personId, step, m.storedDraw, true));
    }
    return blindBox.draw(personId, step.id(), cfg.pool())
        .flatMap(d -> redis.<String, String>opsForHash()
            .putIfAbsent(RedisKeys.journeySteps(personId), step.id() + ":draw", StoredDraw.toJson(d))
            .thenReturn(d));
  }

  private Mono<Void> queueMessage(String personId, Step step, JourneyProperties.StepConfig cfg, Marked m,
                                  DrawResult draw, Delivery delivery) {
    boolean welcome = step == Step.FOLLOW;
    String template = welcome ? props.welcomeFor(m.state) : cfg.message();
    Mono<String> link = template.contains("{questionnaireLink}")
        ? links.linkFor(personId) : Mono.just("");
    return link.flatMap(l -> {
      String text = render(template, m.name, prizeText(draw), l, draw == null ? null : draw.couponCode());
      OutboxMessage.Recipient to = delivery == null
          ? new OutboxMessage.Recipient(m.externalUserId, m.ownerUserId, null, null, null)
          : new OutboxMessage.Recipient(delivery.externalUserId(), delivery.staffUserId(), delivery.welcomeCode(),
              delivery.welcomeCodeAt(), null);
      String key = "journey:" + personId + ":" + step.id() + (welcome ? ":welcome" : ":reward");
      return outbox.enqueue(new OutboxMessage(key, personId, to, OutboxMessage.Content.text(text), welcome ? 10 : 0,
          null, welcome ? "journey-welcome" : "journey-" + step.id())).then();
    });
  }

  private Mono<Long> countInFunnel(String personId, Step step, String state) {
    return redis.execute(FUNNEL, List.of(RedisKeys.journeyFunnel(step.id()),
            RedisKeys.journeyFunnelByState(step.id(), state), RedisKeys.journeyFunnelStates()),
        List.of(personId, state)).next();
  }

  private String prizeText(DrawResult draw) {
    if (draw == null || draw.prizeName() == null || draw.prizeName().isBlank()
        || !(draw.outcome() == DrawResult.Outcome.WON || draw.outcome() == DrawResult.Outcome.FALLBACK)) {
      return props.noPrizeText();
    }
    return draw.prizeName();
  }

  static String render(String template, String name, String prize, String link, String couponCode) {
    return template.replace("{name}", name == null ? "" : name)
        .replace("{prize}", prize == null ? "" : prize)
        .replace("{questionnaireLink}", link == null ? "" : link)
        .replace("{couponCode}", couponCode == null ? "" : couponCode);
  }
}

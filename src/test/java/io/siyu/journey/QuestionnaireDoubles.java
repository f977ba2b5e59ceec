package io.siyu.journey;

import io.siyu.audience.Person;
import io.siyu.audience.PersonStore;
import io.siyu.blindbox.DrawResult;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import reactor.core.publisher.Mono;

/**
 * Test doubles for the collaborators other helpers are building at the same time (Journey, PersonStore,
 * Outbox): they record calls. Redis and the WeCom sandbox stay real. Replace with the real beans once
 * merged.
 */
@TestConfiguration(proxyBeanMethods = false)
class QuestionnaireDoubles {

  static final String PRIZE = "玫瑰精华小样";

  @Bean
  @Primary
  RecordingJourney recordingJourney() {
    return new RecordingJourney();
  }

  @Bean
  @Primary
  FakePersons fakePersons() {
    return new FakePersons();
  }

  @Bean
  @Primary
  RecordingOutbox recordingOutbox() {
    return new RecordingOutbox();
  }

  /** Counts completeStep calls per person; idempotent like the real one (later calls return the first draw). */
  static class RecordingJourney extends Journey {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<String, DrawResult> draws = new ConcurrentHashMap<>();

    @Override
    public Mono<StepOutcome> completeStep(String personId, Step step) {
      return Mono.fromCallable(() -> {
        calls.computeIfAbsent(personId + ":" + step.id(), k -> new AtomicInteger()).incrementAndGet();
        boolean[] first = {false};
        DrawResult draw = draws.computeIfAbsent(personId + ":" + step.id(), k -> {
          first[0] = true;
          return new DrawResult(personId, step.id(), "welcome", DrawResult.Outcome.WON, "p1", PRIZE,
              DrawResult.PrizeKind.SAMPLE, null, false, Instant.now());
        });
        return new StepOutcome(personId, step, first[0], draw);
      });
    }

    int calls(String personId) {
      AtomicInteger n = calls.get(personId + ":" + Step.QUESTIONNAIRE.id());
      return n == null ? 0 : n.get();
    }
  }

  static class FakePersons extends PersonStore {
    final Map<String, Person> byId = new ConcurrentHashMap<>();

    Person add(String personId, String externalUserId, String owner) {
      Person p = new Person(personId, externalUserId, null, "顾客", null, 0, owner, null, null, Set.of(), Map.of(),
          Instant.now());
      byId.put(personId, p);
      return p;
    }

    @Override
    public Mono<Person> find(String personId) {
      return Mono.justOrEmpty(byId.get(personId));
    }

    @Override
    public Mono<String> idOfExternalUser(String externalUserId) {
      return Mono.justOrEmpty(byId.values().stream().filter(p -> externalUserId.equals(p.externalUserId()))
          .map(Person::id).findFirst());
    }
  }

  /** Records enqueued messages; like the real outbox, a known key queues nothing new. */
  static class RecordingOutbox extends Outbox {
    final List<OutboxMessage> messages = new CopyOnWriteArrayList<>();
    final Set<String> keys = ConcurrentHashMap.newKeySet();

    @Override
    public Mono<Receipt> enqueue(OutboxMessage message) {
      return Mono.fromCallable(() -> {
        boolean first = keys.add(message.key());
        if (first) {
          messages.add(message);
        }
        return new Receipt(message.key(), first, "queued");
      });
    }

    List<OutboxMessage> to(String personId) {
      return messages.stream().filter(m -> personId.equals(m.personId())).toList();
    }
  }
}

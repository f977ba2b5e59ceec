package io.siyu.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.Transient;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.RedisStreamCommands.XClaimOptions;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

@SiyuIntegrationTest
@TestPropertySource(properties = {
    "siyu.inbox.enabled=true",
    "siyu.inbox.consumer=test-consumer",
    "siyu.inbox.block-timeout=200ms",
    "siyu.inbox.max-attempts=3",
    "siyu.inbox.backoff-initial=5ms",
    "siyu.inbox.backoff-max=20ms",
    "siyu.inbox.claim-idle=300ms",
    "siyu.inbox.claim-interval=100ms",
    "siyu.inbox.shutdown-timeout=5s",
    "siyu.inbox.metrics-refresh=50ms"})
@Import(InboxConsumerIntegrationTest.Handlers.class)
@DirtiesContext
class InboxConsumerIntegrationTest {

  private static final Duration T = Duration.ofSeconds(5);
  private static final String STREAM = RedisKeys.inboxStream();

  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired InboxAppender appender;
  @Autowired InboxConsumer consumer;
  @Autowired InboxProperties props;
  @Autowired Recorder recorder;
  @Autowired MeterRegistry meters;
  @Autowired SandboxWecom sandbox;

  /** Records calls per dedupe key; behaves by the kind: test:ok, test:fail-twice, test:permanent, test:transient, test:slow. */
  static class Recorder implements InboxHandler {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> completed = new ConcurrentHashMap<>();
    volatile Sinks.Empty<Void> slowGate = Sinks.empty();
    final AtomicBoolean slowStarted = new AtomicBoolean();

    @Override
    public String name() {
      return "recorder";
    }

    @Override
    public boolean supports(InboxEvent event) {
      return event.kindStartsWith("test");
    }

    @Override
    public Mono<Void> handle(InboxEvent event) {
      int n = calls.computeIfAbsent(event.dedupeKey(), k -> new AtomicInteger()).incrementAndGet();
      Mono<Void> outcome = switch (event.kind()) {
        case "test:fail-twice" -> n <= 2 ? Mono.error(new Flaky("try again")) : Mono.empty();
        case "test:permanent" -> Mono.error(new IllegalStateException("cannot handle this"));
        case "test:transient" -> Mono.error(new Flaky("still busy"));
        case "test:slow" -> Mono.defer(() -> {
          slowStarted.set(true);
          return slowGate.asMono();
        });
        default -> Mono.empty();
      };
      return outcome.doOnSuccess(v -> completed.computeIfAbsent(event.dedupeKey(), k -> new AtomicInteger())
          .incrementAndGet());
    }

    int calls(String key) {
      AtomicInteger n = calls.get(key);
      return n == null ? 0 : n.get();
    }

    int completed(String key) {
      AtomicInteger n = completed.get(key);
      return n == null ? 0 : n.get();
    }
  }

  static class Flaky extends RuntimeException implements Transient {
    Flaky(String message) {
      super(message);
    }
  }

  @TestConfiguration
  static class Handlers {
    @Bean
    Recorder recorder() {
      return new Recorder();
    }

    /** A second handler of test:two that always fails, next to the recorder that succeeds. */
    @Bean
    InboxHandler refuser() {
      return new InboxHandler() {
        @Override
        public String name() {
          return "refuser";
        }

        @Override
        public boolean supports(InboxEvent event) {
          return "test:two".equals(event.kind());
        }

        @Override
        public Mono<Void> handle(InboxEvent event) {
          return Mono.error(new IllegalStateException("refused"));
        }
      };
    }

    /** Throws from supports(): must not break the consumer. */
    @Bean
    InboxHandler brokenSupports() {
      return new InboxHandler() {
        @Override
        public String name() {
          return "broken";
        }

        @Override
        public boolean supports(InboxEvent event) {
          if ("test:breaks-supports".equals(event.kind())) {
            throw new IllegalStateException("bug in supports");
          }
          return false;
        }

        @Override
        public Mono<Void> handle(InboxEvent event) {
          return Mono.empty();
        }
      };
    }
  }

  @BeforeEach
  void consumerRunsAndStreamIsDrained() {
    if (!consumer.isRunning()) {
      consumer.start();
    }
    // entries left by other test classes (consumers off there) are processed first, so counts are exact
    await().atMost(Duration.ofSeconds(10)).until(() -> streamLength() == 0 && pendingCount() == 0);
  }

  @Test
  void handlesEntriesAppendedWhileRunningExactlyOnceAndDeletesThem() {
    long processedBefore = processedCounter();
    List<String> keys = IntStream.range(0, 40).mapToObj(i -> key()).toList();
    Flux.fromIterable(keys).flatMap(k -> appender.append(event("test:ok", k))).blockLast(T);

    await().atMost(T).until(() -> keys.stream().allMatch(k -> recorder.completed(k) == 1) && streamLength() == 0);
    assertThat(keys).allSatisfy(k -> assertThat(recorder.calls(k)).isEqualTo(1));
    assertThat(pendingCount()).isZero();
    assertThat(processedCounter() - processedBefore).isEqualTo(40);
    assertThat(meters.counter("siyu.inbox.processed", "kind", "test:ok", "outcome", "handled").count())
        .isGreaterThanOrEqualTo(40);
  }

  @Test
  void processesEntriesAppendedBeforeTheConsumerGroupExisted() {
    stopConsumer();
    redis.opsForStream().destroyGroup(STREAM, props.group()).onErrorResume(e -> Mono.empty()).block(T);
    List<String> keys = IntStream.range(0, 5).mapToObj(i -> key()).toList();
    Flux.fromIterable(keys).concatMap(k -> appender.append(event("test:ok", k))).blockLast(T);

    consumer.start();

    await().atMost(T).until(() -> keys.stream().allMatch(k -> recorder.completed(k) == 1) && streamLength() == 0);
  }

  @Test
  void acknowledgesEntriesNoHandlerSupportsAsUnhandled() {
    double before = meters.counter("siyu.inbox.processed", "kind", "nobody:cares", "outcome", "unhandled").count();
    appender.append(event("nobody:cares:at-all", key())).block(T);

    await().atMost(T).until(() -> streamLength() == 0 && pendingCount() == 0);
    assertThat(meters.counter("siyu.inbox.processed", "kind", "nobody:cares", "outcome", "unhandled").count())
        .isEqualTo(before + 1);
  }

  @Test
  void retriesTransientFailuresWithBackoffThenSucceeds() {
    String key = key();
    appender.append(event("test:fail-twice", key)).block(T);

    await().atMost(T).until(() -> recorder.completed(key) == 1 && streamLength() == 0);
    assertThat(recorder.calls(key)).isEqualTo(3);
    assertThat(deadLetterWithKey(key)).isNull();
    assertThat(meters.counter("siyu.inbox.processed", "kind", "test:fail-twice", "outcome", "retried").count())
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void deadLettersPermanentFailureAtOnceWithTheErrorAndNothingPending() {
    String key = key();
    String id = appender.append(event("test:permanent", key)).block(T).entryId();

    await().atMost(T).until(() -> deadLetterWithKey(key) != null);
    Map<Object, Object> dead = deadLetterWithKey(key).getValue();
    assertThat(dead).containsEntry("entryId", id)
        .containsEntry("kind", "test:permanent")
        .containsEntry("app", "contact")
        .containsEntry("error", IllegalStateException.class.getName())
        .containsEntry("errorMessage", "cannot handle this")
        .containsEntry("handler", "recorder")
        .containsEntry("attempts", "1")
        .containsKey("failedAt")
        .containsKey("payload");
    assertThat(recorder.calls(key)).isEqualTo(1);
    assertThat(streamLength()).isZero();
    assertThat(pendingCount()).isZero();
  }

  @Test
  void deadLettersTransientFailureWhenRetriesAreExhausted() {
    String key = key();
    appender.append(event("test:transient", key)).block(T);

    await().atMost(T).until(() -> deadLetterWithKey(key) != null);
    assertThat(deadLetterWithKey(key).getValue()).containsEntry("error", Flaky.class.getName())
        .containsEntry("attempts", "3");
    assertThat(recorder.calls(key)).isEqualTo(3);
    assertThat(pendingCount()).isZero();
  }

  @Test
  void deadLettersMalformedEntries() {
    String marker = key();
    RecordId id = redis.opsForStream().add(STREAM, Map.of("kind", "test:ok", "key", marker)).block(T);

    await().atMost(T).until(() -> deadLetterWithKey(marker) != null);
    assertThat(deadLetterWithKey(marker).getValue()).containsEntry("entryId", id.getValue())
        .containsEntry("error", IllegalArgumentException.class.getName());
    assertThat(recorder.calls(marker)).isZero();
    assertThat(pendingCount()).isZero();
  }

  @Test
  void takesOverEntriesACrashedConsumerLeftPending() {
    stopConsumer();
    List<String> keys = IntStream.range(0, 3).mapToObj(i -> key()).toList();
    Flux.fromIterable(keys).concatMap(k -> appender.append(event("test:ok", k))).blockLast(T);
    List<MapRecord<String, Object, Object>> taken = crashedConsumerReads(10);
    assertThat(taken).hasSize(3);

    consumer.start();

    await().atMost(T).until(() -> keys.stream().allMatch(k -> recorder.completed(k) == 1) && streamLength() == 0);
    assertThat(keys).allSatisfy(k -> assertThat(recorder.calls(k)).isEqualTo(1));
    assertThat(pendingCount()).isZero();
  }

  @Test
  void deadLettersPoisonEntriesDeliveredMoreThanMaxAttempts() {
    stopConsumer();
    String poison = key();
    String healthy = key();
    appender.append(event("test:ok", poison)).block(T);
    List<MapRecord<String, Object, Object>> taken = crashedConsumerReads(10);
    assertThat(taken).hasSize(1);
    RecordId id = taken.get(0).getId();
    // two more crashed deliveries: three in all, as many as max-attempts
    for (int i = 0; i < 2; i++) {
      redis.opsForStream().claim(STREAM, props.group(), "crashed", XClaimOptions.minIdle(Duration.ZERO).ids(id))
          .collectList().block(T);
    }
    appender.append(event("test:ok", healthy)).block(T);
    crashedConsumerReads(10);

    consumer.start();

    await().atMost(T).until(() -> deadLetterWithKey(poison) != null && recorder.completed(healthy) == 1);
    assertThat(deadLetterWithKey(poison).getValue()).containsEntry("error", "poison")
        .containsEntry("attempts", "3").containsEntry("entryId", id.getValue());
    assertThat(recorder.calls(poison)).isZero();
    await().atMost(T).until(() -> streamLength() == 0 && pendingCount() == 0);
  }

  @Test
  void acknowledgesClaimedEntriesThatWereDeletedMeanwhile() {
    stopConsumer();
    String key = key();
    appender.append(event("test:ok", key)).block(T);
    RecordId id = crashedConsumerReads(10).get(0).getId();
    redis.opsForStream().delete(STREAM, id).block(T);

    consumer.start();

    await().atMost(T).until(() -> pendingCount() == 0);
    assertThat(recorder.calls(key)).isZero();
    assertThat(deadLetterWithKey(key)).isNull();
  }

  @Test
  void handlesTheSameDedupeKeyAppendedConcurrentlyAndReplayedOnce() {
    String key = key();
    long firsts = Flux.range(0, 50)
        .flatMap(i -> appender.append(event("test:ok", key)), 50)
        .filter(InboxAppender.Appended::first)
        .count().block(T);
    assertThat(firsts).isEqualTo(1);
    await().atMost(T).until(() -> recorder.completed(key) == 1 && streamLength() == 0);

    assertThat(appender.append(event("test:ok", key)).block(T).first()).isFalse();
    await().during(Duration.ofMillis(500)).atMost(T).until(() -> recorder.calls(key) == 1);
  }

  @Test
  void stopWaitsForInFlightHandlersAndAcknowledgesThem() throws InterruptedException {
    String key = key();
    recorder.slowGate = Sinks.empty();
    recorder.slowStarted.set(false);
    appender.append(event("test:slow", key)).block(T);
    await().atMost(T).untilTrue(recorder.slowStarted);

    CountDownLatch stopped = new CountDownLatch(1);
    consumer.stop(stopped::countDown);
    assertThat(stopped.await(300, TimeUnit.MILLISECONDS)).as("stop waits for the in-flight handler").isFalse();
    assertThat(recorder.completed(key)).isZero();

    recorder.slowGate.tryEmitEmpty();

    assertThat(stopped.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(recorder.completed(key)).isEqualTo(1);
    assertThat(streamLength()).isZero();
    assertThat(pendingCount()).isZero();
    assertThat(consumer.isRunning()).isFalse();
  }

  @Test
  void keepsItsOwnSlowEntriesFreshSoTheyAreNeitherClaimedNorPoisoned() {
    String key = key();
    recorder.slowGate = Sinks.empty();
    recorder.slowStarted.set(false);
    appender.append(event("test:slow", key)).block(T);
    await().atMost(T).untilTrue(recorder.slowStarted);

    // several claim idle times (300 ms) and claim ticks (100 ms) pass while the handler works
    await().during(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(3)).until(() -> {
      var pending = redis.opsForStream().pending(STREAM, props.group(), Range.unbounded(), 10).block(T);
      return pending.size() == 1 && pending.get(0).getTotalDeliveryCount() == 1
          && "test-consumer".equals(pending.get(0).getConsumerName());
    });
    recorder.slowGate.tryEmitEmpty();

    await().atMost(T).until(() -> recorder.completed(key) == 1 && streamLength() == 0 && pendingCount() == 0);
    assertThat(recorder.calls(key)).isEqualTo(1);
    assertThat(deadLetterWithKey(key)).isNull();
  }

  @Test
  void blockingReadsUseTheirOwnConnectionNotTheSharedOne() {
    // CLIENT LIST goes over the shared connection: it could not run while a blocked XREADGROUP held it
    await().atMost(T).until(() -> redis.execute(c -> c.serverCommands().getClientList()).collectList().block(T)
        .stream().anyMatch(c -> "xreadgroup".equals(c.get("cmd")) && c.get("flags").contains("b")));
  }

  @Test
  void gaugesReportPendingLagAndDeadLetters() {
    String key = key();
    appender.append(event("test:permanent", key)).block(T);
    await().atMost(T).until(() -> deadLetterWithKey(key) != null);

    long dead = redis.opsForStream().size(RedisKeys.inboxDeadLetters()).block(T);
    await().atMost(T).until(() -> meters.get("siyu.inbox.dead").gauge().value() == dead);
    assertThat(meters.get("siyu.inbox.pending").gauge().value()).isZero();
    assertThat(meters.get("siyu.inbox.lag").gauge().value()).isZero();
  }

  @Test
  void runsEveryHandlerOnceAndDeadLettersWithTheOneThatFailed() {
    String key = key();
    appender.append(event("test:two", key)).block(T);

    await().atMost(T).until(() -> deadLetterWithKey(key) != null);
    assertThat(deadLetterWithKey(key).getValue()).containsEntry("handler", "refuser")
        .containsEntry("error", IllegalStateException.class.getName());
    assertThat(recorder.calls(key)).as("the succeeding handler is not re-run").isEqualTo(1);
    assertThat(pendingCount()).isZero();
  }

  @Test
  void keepsConsumingWhenAHandlerThrowsFromSupports() {
    appender.append(event("test:breaks-supports", key())).block(T);
    String after = key();
    appender.append(event("test:ok", after)).block(T);

    await().atMost(T).until(() -> recorder.completed(after) == 1);
    // the broken entry stays pending until it is claimed back and finally dead-lettered as poison
    await().atMost(Duration.ofSeconds(10)).until(() -> streamLength() == 0 && pendingCount() == 0);
  }

  @Test
  void syncsKfMessagesWhenItDispatchesAKfEvent() {
    String kf = "wk" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    List<String> msgids = IntStream.range(0, 3).mapToObj(i -> sandbox.queueKfText(kf, "wmCust", "hi " + i, null))
        .toList();
    sandbox.injectEmptySyncPages(kf, 1);
    appender.append(KfSyncHandlerIntegrationTest.kfEvent(kf, sandbox.issueKfToken())).block(T);

    await().atMost(T).until(() -> msgids.stream()
        .allMatch(id -> redis.hasKey(RedisKeys.inboxSeen("kf:" + id)).block(T)));
    await().atMost(T).until(() -> streamLength() == 0 && pendingCount() == 0);
    assertThat(meters.counter("siyu.inbox.processed", "kind", "kf:text", "outcome", "handled").count())
        .isGreaterThanOrEqualTo(3);
    assertThat(redis.opsForValue().get(RedisKeys.kfCursor("kf", kf)).block(T)).isNotBlank();
  }

  // --- helpers -------------------------------------------------------------------------------------

  private void stopConsumer() {
    CountDownLatch stopped = new CountDownLatch(1);
    consumer.stop(stopped::countDown);
    try {
      assertThat(stopped.await(5, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private List<MapRecord<String, Object, Object>> crashedConsumerReads(int count) {
    return redis.opsForStream().read(Consumer.from(props.group(), "crashed"), StreamReadOptions.empty().count(count),
        StreamOffset.create(STREAM, ReadOffset.lastConsumed())).collectList().block(T);
  }

  private static String key() {
    return "test:" + UUID.randomUUID();
  }

  private static InboxEvent event(String kind, String key) {
    return new InboxEvent("", "contact", kind, key, InboxEvent.JSON, "{}", Instant.now());
  }

  private long streamLength() {
    return redis.opsForStream().size(STREAM).block(T);
  }

  private long pendingCount() {
    return redis.opsForStream().pending(STREAM, props.group()).map(s -> s.getTotalPendingMessages())
        .onErrorResume(e -> Mono.just(0L)).block(T);
  }

  private long processedCounter() {
    String v = redis.opsForValue().get(RedisKeys.inboxProcessedCounter()).block(T);
    return v == null ? 0 : Long.parseLong(v);
  }

  private MapRecord<String, Object, Object> deadLetterWithKey(String key) {
    return redis.opsForStream().range(RedisKeys.inboxDeadLetters(), Range.unbounded()).collectList().block(T).stream()
        .filter(r -> key.equals(r.getValue().get("key")))
        .findFirst().orElse(null);
  }
}

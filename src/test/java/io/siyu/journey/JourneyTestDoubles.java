package io.siyu.journey;

import io.siyu.blindbox.BlindBox;
import io.siyu.blindbox.DrawResult;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxMessage;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import reactor.core.publisher.Mono;

/**
 * Test doubles for the two collaborators built by other features (the blind box and the outbox) while the
 * journey was written; everything else in the journey tests is real. Both keep their contracts'
 * idempotency (a replayed draw returns the first result; a known outbox key queues nothing). Remove the
 * {@code @Import} of this class to run the tests against the real beans.
 */
@TestConfiguration(proxyBeanMethods = false)
public class JourneyTestDoubles {

  @Bean
  @Primary
  RecordingBlindBox recordingBlindBox(Clock clock) {
    return new RecordingBlindBox(clock);
  }

  @Bean
  @Primary
  RecordingOutbox recordingOutbox() {
    return new RecordingOutbox();
  }

  /** Draws a sample prize named after the step, once per (person, step). */
  public static class RecordingBlindBox extends BlindBox {
    private final Clock clock;
    final Map<String, DrawResult> draws = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();

    RecordingBlindBox(Clock clock) {
      this.clock = clock;
    }

    @Override
    public Mono<DrawResult> draw(String personId, String step, String poolId) {
      return Mono.fromSupplier(() -> {
        calls.incrementAndGet();
        boolean[] fresh = {false};
        DrawResult d = draws.computeIfAbsent(personId + "|" + step, k -> {
          fresh[0] = true;
          return new DrawResult(personId, step, poolId, DrawResult.Outcome.WON, "prize-" + step, "奖品-" + step,
              DrawResult.PrizeKind.COUPON, "CODE-" + step + "-" + personId, false, clock.instant());
        });
        return fresh[0] ? d : new DrawResult(d.personId(), d.step(), d.poolId(), d.outcome(), d.prizeId(),
            d.prizeName(), d.kind(), d.couponCode(), true, d.drawnAt());
      });
    }

    /** Draws made (not replays) for one person. */
    List<DrawResult> drawsOf(String personId) {
      return draws.values().stream().filter(d -> d.personId().equals(personId)).toList();
    }
  }

  /** Records messages by key; a known key is not queued again. */
  public static class RecordingOutbox extends Outbox {
    final Map<String, OutboxMessage> messages = new ConcurrentHashMap<>();
    final AtomicInteger enqueues = new AtomicInteger();

    @Override
    public Mono<Receipt> enqueue(OutboxMessage message) {
      return Mono.fromSupplier(() -> {
        enqueues.incrementAndGet();
        boolean first = messages.putIfAbsent(message.key(), message) == null;
        return new Receipt(message.key(), first, "queued");
      });
    }

    List<OutboxMessage> of(String personId) {
      return messages.values().stream().filter(m -> personId.equals(m.personId())).toList();
    }
  }
}

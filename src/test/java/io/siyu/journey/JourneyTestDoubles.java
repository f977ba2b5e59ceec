package io.siyu.journey;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.blindbox.BlindBox;
import io.siyu.blindbox.BlindBoxProperties;
import io.siyu.blindbox.DrawResult;
import io.siyu.outbox.RecordingOutbox;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * Spies over the real blind box and outbox (real Redis, real pools from config/application.yml): they
 * only count calls ({@link RecordingBlindBox}) and keep the content of queued messages
 * ({@link RecordingOutbox}); every draw and every message is real.
 */
@TestConfiguration(proxyBeanMethods = false)
@Import(RecordingOutbox.Config.class)
public class JourneyTestDoubles {

  @Bean
  @Primary
  RecordingBlindBox recordingBlindBox(ReactiveStringRedisTemplate redis, BlindBoxProperties properties, Clock clock,
                                      MeterRegistry meters) {
    return new RecordingBlindBox(redis, properties, clock, meters);
  }

  /** Counts draw calls (replays included), then draws for real. */
  public static class RecordingBlindBox extends BlindBox {
    final AtomicInteger calls = new AtomicInteger();

    RecordingBlindBox(ReactiveStringRedisTemplate redis, BlindBoxProperties properties, Clock clock,
                      MeterRegistry meters) {
      super(redis, properties, clock, meters);
    }

    @Override
    public Mono<DrawResult> draw(String personId, String step, String poolId) {
      return Mono.defer(() -> {
        calls.incrementAndGet();
        return super.draw(personId, step, poolId);
      });
    }
  }
}

package io.siyu.outbox;

import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** The delivery pipeline: channel choice, caps, quiet hours, shared rate limits, retries, dead letters. */
@Component
public class Outbox {

  /** What {@link #enqueue} did: {@code first} false when the key was already known (nothing new queued). */
  public record Receipt(String key, boolean first, String status) {}

  public Mono<Receipt> enqueue(OutboxMessage message) {
    return Mono.error(new IllegalStateException("outbox not built yet"));
  }
}

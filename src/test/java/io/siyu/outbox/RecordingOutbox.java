package io.siyu.outbox;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import reactor.core.publisher.Mono;

/**
 * A spy over the real outbox (real store, real Redis): every message really is queued; this only keeps a
 * copy of the messages the outbox accepted as new, so tests can read their content (the outbox's own API
 * gives a message's status, not its text or menu). Lives in this package because the outbox's
 * constructor is package-private. {@code @Import(RecordingOutbox.Config.class)} makes it the primary
 * {@link Outbox}.
 */
public class RecordingOutbox extends Outbox {

  private final List<OutboxMessage> accepted = new CopyOnWriteArrayList<>();
  private final AtomicInteger enqueues = new AtomicInteger();

  RecordingOutbox(OutboxStore store, Clock clock) {
    super(store, clock);
  }

  /** {@link #enqueue} goes through here too. */
  @Override
  public Mono<List<Receipt>> enqueueAll(List<OutboxMessage> messages) {
    return Mono.defer(() -> {
      enqueues.addAndGet(messages.size());
      return super.enqueueAll(messages).doOnNext(receipts -> {
        for (int i = 0; i < receipts.size(); i++) {
          if (receipts.get(i).first()) {
            accepted.add(messages.get(i));
          }
        }
      });
    });
  }

  /** Messages the real outbox queued as new (a known key is not recorded again), in order. */
  public List<OutboxMessage> messages() {
    return List.copyOf(accepted);
  }

  public List<OutboxMessage> to(String personId) {
    return accepted.stream().filter(m -> personId.equals(m.personId())).toList();
  }

  public List<OutboxMessage> toExternalUser(String externalUserId) {
    return accepted.stream().filter(m -> m.to() != null && externalUserId.equals(m.to().externalUserId())).toList();
  }

  /** The accepted message with this key, or null. */
  public OutboxMessage get(String key) {
    return accepted.stream().filter(m -> m.key().equals(key)).findFirst().orElse(null);
  }

  /** Messages handed to {@link #enqueue} or {@link #enqueueAll}, new or not. */
  public int enqueues() {
    return enqueues.get();
  }

  @TestConfiguration(proxyBeanMethods = false)
  public static class Config {
    @Bean
    @Primary
    RecordingOutbox recordingOutbox(OutboxStore store, Clock clock) {
      return new RecordingOutbox(store, clock);
    }
  }
}

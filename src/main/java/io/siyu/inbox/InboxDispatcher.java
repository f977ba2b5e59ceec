package io.siyu.inbox;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.siyu.infra.Transient;
import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Runs every handler that supports an entry, together; retries retriable failures with exponential
 * backoff; acknowledges (and deletes) the entry when all succeeded, or moves it to the dead letters.
 * Each handler is retried on its own, so a slow retry of one does not re-run the others.
 */
@Component
class InboxDispatcher {

  private static final Logger log = LoggerFactory.getLogger(InboxDispatcher.class);
  private static final int MAX_ERROR_MESSAGE = 500;

  /** A handler that ended in failure (not retriable, or retries exhausted). */
  record Failure(String handler, Throwable error, int attempts) {}

  private final ObjectProvider<InboxHandler> handlers;
  private final InboxStream stream;
  private final InboxProperties props;
  private final MeterRegistry meters;
  private final Clock clock;
  private volatile List<InboxHandler> handlerList;

  InboxDispatcher(ObjectProvider<InboxHandler> handlers, InboxStream stream, InboxProperties props,
                  MeterRegistry meters, Clock clock) {
    this.handlers = handlers;
    this.stream = stream;
    this.props = props;
    this.meters = meters;
    this.clock = clock;
  }

  /** Processes one delivered entry to its end: acknowledged or dead-lettered. Never errors for handler failures. */
  Mono<Void> dispatch(InboxStream.Entry entry) {
    InboxEvent event;
    try {
      event = InboxEvent.fromFields(entry.id(), entry.fields());
    } catch (RuntimeException e) {
      log.warn("inbox entry {} is malformed: {}: {}", entry.id(), e.getClass().getName(), e.getMessage());
      return deadLetter(entry, "unknown", new Failure("", e, 0));
    }
    String kind = kindTag(event.kind());
    List<InboxHandler> matching = handlers().stream().filter(h -> h.supports(event)).toList();
    if (matching.isEmpty()) {
      return stream.ack(entry.id()).doOnSuccess(done -> count(kind, "unhandled")).then();
    }
    Timer.Sample sample = Timer.start(meters);
    return Flux.fromIterable(matching)
        .flatMap(h -> run(h, event, kind))
        .collectList()
        .flatMap(failures -> {
          if (failures.isEmpty()) {
            sample.stop(meters.timer("siyu.inbox.handle", "kind", kind, "outcome", "handled"));
            return stream.ack(entry.id()).doOnSuccess(done -> count(kind, "handled")).then();
          }
          sample.stop(meters.timer("siyu.inbox.handle", "kind", kind, "outcome", "dead"));
          Failure first = failures.get(0);
          log.warn("inbox entry {} kind {} failed in handler {} after {} attempt(s): {}: {}", entry.id(), event.kind(),
              first.handler(), first.attempts(), first.error().getClass().getName(), first.error().getMessage());
          return deadLetter(entry, kind, first);
        });
  }

  /** Looked up on first use, not in the constructor, so handlers may depend on inbox beans themselves. */
  private List<InboxHandler> handlers() {
    List<InboxHandler> list = handlerList;
    if (list == null) {
      list = handlers.orderedStream().toList();
      handlerList = list;
    }
    return list;
  }

  private Mono<Failure> run(InboxHandler handler, InboxEvent event, String kind) {
    AtomicInteger attempts = new AtomicInteger();
    return Mono.defer(() -> {
          attempts.incrementAndGet();
          return handler.handle(event);
        })
        .retryWhen(Retry.backoff(props.maxAttempts() - 1L, props.backoffInitial())
            .maxBackoff(props.backoffMax())
            .filter(InboxDispatcher::retriable)
            .doBeforeRetry(signal -> {
              count(kind, "retried");
              log.debug("inbox entry {} handler {} retry {}: {}", event.id(), handler.name(),
                  signal.totalRetries() + 1, signal.failure().getClass().getName());
            })
            .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
        .then(Mono.<Failure>empty())
        .onErrorResume(e -> Mono.just(new Failure(handler.name(), e, attempts.get())));
  }

  private Mono<Void> deadLetter(InboxStream.Entry entry, String kind, Failure failure) {
    Map<String, String> fields = new LinkedHashMap<>(entry.fields());
    fields.put("entryId", entry.id());
    fields.put("error", failure.error().getClass().getName());
    fields.put("errorMessage", truncate(String.valueOf(failure.error().getMessage())));
    fields.put("handler", failure.handler());
    fields.put("attempts", Integer.toString(failure.attempts()));
    fields.put("failedAt", Long.toString(clock.millis()));
    return stream.deadLetter(entry.id(), fields).doOnSuccess(done -> {
      if (Boolean.TRUE.equals(done)) {
        count(kind, "dead");
      } else {
        // another delivery of the same entry (a claim after a stall) finished it first
        log.warn("inbox entry {} kind {} was no longer pending when dead-lettering; left as finished", entry.id(), kind);
      }
    }).then();
  }

  void count(String kind, String outcome) {
    meters.counter("siyu.inbox.processed", "kind", kind, "outcome", outcome).increment();
  }

  /**
   * Failures worth another attempt: our {@link Transient} marker, Redis/data access trouble (which
   * includes connection failures), timeouts and I/O errors, anywhere in the cause chain.
   */
  static boolean retriable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Transient || t instanceof DataAccessException || t instanceof TimeoutException
          || t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /** The first two segments of a kind (event:change_external_contact, kf:text), a low-cardinality tag. */
  static String kindTag(String kind) {
    if (kind == null || kind.isBlank()) {
      return "unknown";
    }
    int first = kind.indexOf(':');
    if (first < 0) {
      return kind;
    }
    int second = kind.indexOf(':', first + 1);
    return second < 0 ? kind : kind.substring(0, second);
  }

  private static String truncate(String s) {
    return s.length() <= MAX_ERROR_MESSAGE ? s : s.substring(0, MAX_ERROR_MESSAGE);
  }
}

package io.siyu.inbox;

import reactor.core.publisher.Mono;

/**
 * A feature's reaction to inbox events. Features register handlers as beans; the dispatcher calls
 * every handler that supports an event and acknowledges the entry only when all of them succeeded.
 * An entry can be delivered again (retries, a crashed instance's pending entries), so a handler's
 * effects must be idempotent: key them on the event's natural identity, not on the delivery.
 */
public interface InboxHandler {

  /** A short stable name for metrics and dead-letter records. */
  String name();

  boolean supports(InboxEvent event);

  Mono<Void> handle(InboxEvent event);
}

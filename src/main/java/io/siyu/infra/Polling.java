package io.siyu.infra;

import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The background loop of the workers (outbox, points expiry, audience evaluator, campaign planner and
 * triggers): one round every interval, never two at once (a tick that arrives during a round is dropped),
 * and a failed round is logged and the loop goes on.
 */
public final class Polling {

  private static final Logger log = LoggerFactory.getLogger(Polling.class);

  private Polling() {}

  /** Starts the loop; dispose the result to stop it. {@code what} names the round in the failure log. */
  public static Disposable every(Duration interval, String what, Supplier<? extends Mono<?>> round) {
    return Flux.interval(interval, interval)
        .onBackpressureDrop()
        .concatMap(tick -> round.get().onErrorResume(e -> {
          log.warn("{} failed: {}: {}", what, e.getClass().getName(), e.getMessage());
          return Mono.empty();
        }))
        .subscribe();
  }
}

package io.siyu.blindbox;

import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Blind-box draws: one atomic Lua script per draw, idempotent on (person, step). */
@Component
public class BlindBox {

  /** Draws from {@code poolId} for {@code personId}'s {@code step}; a replay returns the first result. */
  public Mono<DrawResult> draw(String personId, String step, String poolId) {
    return Mono.error(new IllegalStateException("blind box not built yet"));
  }

  /** Blacklisted persons get no draw (outcome BLACKLISTED). */
  public Mono<Void> blacklist(String personId, boolean blacklisted) {
    return Mono.error(new IllegalStateException("blind box not built yet"));
  }
}

package io.siyu.journey;

import io.siyu.blindbox.DrawResult;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Completes journey steps: idempotent per (person, step), earns the step's draw, queues its message. */
@Component
public class Journey {

  /** @param first false when the step was already complete (no new draw; {@code draw} is the first one) */
  public record StepOutcome(String personId, Step step, boolean first, DrawResult draw) {}

  public Mono<StepOutcome> completeStep(String personId, Step step) {
    return Mono.error(new IllegalStateException("journey not built yet"));
  }
}

package io.siyu.infra;

import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Many commands in one round trip over the shared reactive connection: every command is issued before any
 * reply is awaited, so Lettuce writes them back to back (it pipelines by itself; Spring Data's
 * {@code executePipelined} is blocking-template only). The replies are collected into one list before the
 * caller issues anything else, as the Lettuce rule on multi-element replies requires.
 */
public final class RedisPipeline {

  private RedisPipeline() {}

  /**
   * {@code command} for every input, all in flight at once; the replies in input order. Each command must
   * answer exactly one value (map an empty reply to a value), or the positions would shift.
   */
  public static <T, R> Mono<List<R>> all(List<T> inputs, Function<T, Mono<R>> command) {
    if (inputs.isEmpty()) {
      return Mono.just(List.of());
    }
    return Flux.fromIterable(inputs).flatMapSequential(command, inputs.size(), 1).collectList();
  }
}

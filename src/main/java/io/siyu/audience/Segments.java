package io.siyu.audience;

import io.siyu.infra.RedisKeys;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Segments as other features see them: whether one exists and its members, streamed (never loaded whole).
 */
@Component
public class Segments {

  private final ReactiveStringRedisTemplate redis;

  Segments(ReactiveStringRedisTemplate redis) {
    this.redis = redis;
  }

  /** Whether a segment of this name is defined. */
  public Mono<Boolean> exists(String name) {
    return redis.hasKey(RedisKeys.segmentMembers(name));
  }

  /** The segment's current members, streamed with SSCAN (a person may appear twice if the set is rehashed). */
  public Flux<String> members(String name) {
    return redis.opsForSet().scan(RedisKeys.segmentMembers(name), ScanOptions.scanOptions().count(1000).build());
  }
}

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
  private final SegmentDefinitions definitions;

  Segments(ReactiveStringRedisTemplate redis, SegmentDefinitions definitions) {
    this.redis = redis;
    this.definitions = definitions;
  }

  /** Whether a segment of this name is defined (in the configuration or through the admin API). */
  public Mono<Boolean> exists(String name) {
    return definitions.find(name).hasElement();
  }

  /** The number of members now (SCARD). */
  public Mono<Long> size(String name) {
    return redis.opsForSet().size(RedisKeys.segmentMembers(name));
  }

  /** Whether the person is a member now. */
  public Mono<Boolean> isMember(String name, String personId) {
    return redis.opsForSet().isMember(RedisKeys.segmentMembers(name), personId);
  }

  /** Which of {@code personIds} are members now: one SMISMEMBER. */
  public Mono<java.util.Set<String>> membersAmong(String name, java.util.List<String> personIds) {
    if (personIds.isEmpty()) {
      return Mono.just(java.util.Set.of());
    }
    return redis.opsForSet().isMember(RedisKeys.segmentMembers(name), personIds.toArray())
        .map(m -> {
          java.util.Set<String> in = new java.util.HashSet<>();
          m.forEach((id, member) -> {
            if (Boolean.TRUE.equals(member)) {
              in.add(String.valueOf(id));
            }
          });
          return in;
        });
  }

  /** The segment's current members, streamed with SSCAN (a person may appear twice if the set is rehashed). */
  public Flux<String> members(String name) {
    return redis.opsForSet().scan(RedisKeys.segmentMembers(name), ScanOptions.scanOptions().count(1000).build());
  }
}

package io.siyu.audience;

import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/** Test-only stand-in for the growth scripts: sets/deletes profile fields, bumps v, marks the person changed. */
final class ProfileWriter {

  private static final Duration T = Duration.ofSeconds(10);
  // HSET the pairs ('' value = HDEL) and HINCRBY v in one step, as the real writers do
  private static final RedisScript<Long> WRITE = RedisScript.of("""
      for i = 1, #ARGV, 2 do
        if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
      end
      return redis.call('HINCRBY', KEYS[1], 'v', 1)""", Long.class);

  private final ReactiveStringRedisTemplate redis;
  private final ProfileChanges changes;

  ProfileWriter(ReactiveStringRedisTemplate redis, ProfileChanges changes) {
    this.redis = redis;
    this.changes = changes;
  }

  Mono<Void> write(String id, Map<String, String> fields) {
    List<String> args = new ArrayList<>();
    fields.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    return redis.execute(WRITE, List.of(RedisKeys.person(id)), args).then(changes.changed(id));
  }

  void set(String id, Map<String, String> fields) {
    write(id, fields).block(T);
  }

  Map<String, String> hash(String id) {
    return redis.<String, String>opsForHash().entries(RedisKeys.person(id))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue).block(T);
  }
}

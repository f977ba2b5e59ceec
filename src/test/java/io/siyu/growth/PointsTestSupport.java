package io.siyu.growth;

import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** Persons for points tests: a minimal profile hash under a unique id. */
final class PointsTestSupport {

  static final Duration T = Duration.ofSeconds(20);

  private PointsTestSupport() {}

  static String person(ReactiveStringRedisTemplate redis) {
    String id = "pt-" + UUID.randomUUID();
    redis.<String, String>opsForHash().putAll(RedisKeys.person(id), Map.of("id", id,
        "externalUserId", "wm" + id, "ownerUserId", "zhangsan", "name", "小红")).block(T);
    return id;
  }
}

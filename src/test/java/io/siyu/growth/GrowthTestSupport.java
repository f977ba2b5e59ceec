package io.siyu.growth;

import io.siyu.MutableClock;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.context.annotation.Import;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.context.TestPropertySource;

/** Shared set-up of the growth integration tests: one configuration (one cached context), persons, the stream. */
@TestPropertySource(properties = {
    "siyu.growth.kinds.big.growth=60",
    "siyu.growth.kinds.tap.growth=1",
    "siyu.growth.kinds.tap.daily-cap=1000",
    "siyu.growth.levels.thresholds=0,30,60,90,120",
    "siyu.growth.orders.secret=test-orders-secret-0123456789"})
@Import(MutableClock.Config.class)
abstract class GrowthTestSupport {

  static final Duration T = Duration.ofSeconds(20);
  static final String SECRET = "test-orders-secret-0123456789";

  static String newPerson(ReactiveStringRedisTemplate redis) {
    String id = "g-" + UUID.randomUUID();
    redis.opsForHash().putAll(RedisKeys.person(id), Map.of("id", id, "name", "测试" + id.substring(2, 6))).block(T);
    return id;
  }

  static List<MapRecord<String, Object, Object>> events(ReactiveStringRedisTemplate redis, String person) {
    return redis.opsForStream().range(RedisKeys.events(), Range.unbounded())
        .filter(r -> person.equals(r.getValue().get("person"))).collectList().block(T);
  }

  static Map<Object, Object> profile(ReactiveStringRedisTemplate redis, String person) {
    return redis.opsForHash().entries(RedisKeys.person(person)).collectMap(Map.Entry::getKey, Map.Entry::getValue).block(T);
  }
}

package io.siyu.growth;

import static io.siyu.growth.PointsTestSupport.T;
import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Redis memory of a typical person's points keys (MEMORY USAGE), logged for docs/BENCHMARKS.md: 12
 * rewards over a year (one expired, 3 redemptions), i.e. ~16 ledger entries and 15 remembered keys.
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class PointsFootprintIntegrationTest {

  private static final Logger log = LoggerFactory.getLogger(PointsFootprintIntegrationTest.class);
  private static final RedisScript<Long> USAGE = RedisScript.of(
      "return redis.call('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', 0) or 0", Long.class);

  @Autowired
  Points points;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  @Test
  void typicalPersonsPointsKeysStayCompact() {
    Instant start = Instant.parse("2026-01-10T02:00:00Z");
    clock.set(start);
    String p = PointsTestSupport.person(redis);
    for (int i = 0; i < 12; i++) {
      points.earn(p, 50 + i, "order-20260" + i + "-" + 1000 + i, "订单奖励", "system", null).block(T);
      if (i % 4 == 3) {
        points.redeem(p, 80, "redeem-" + i, "兑换小样", "shop").block(T);
      }
      clock.advance(Duration.ofDays(30));
    }
    points.earn(p, 10, "short", "签到", "system", clock.instant().plus(Duration.ofDays(1))).block(T);
    clock.advance(Duration.ofDays(2));
    points.expire(p).block(T);

    Map<String, Long> usage = new LinkedHashMap<>();
    for (String key : List.of(RedisKeys.pointsLots(p), RedisKeys.pointsLotsByExpiry(p), RedisKeys.pointsLedger(p),
        RedisKeys.pointsKeys(p), RedisKeys.pointsOutcomes(p))) {
      usage.put(key.substring(key.lastIndexOf(':') + 1), redis.execute(USAGE, List.of(key), List.of()).next().block(T));
    }
    long total = usage.values().stream().mapToLong(Long::longValue).sum();
    log.info("points footprint of one person: {} bytes in all: {}; lots {}, ledger entries {}", total, usage,
        points.balance(p).block(T).lots().size(), redis.opsForList().size(RedisKeys.pointsLedger(p)).block(T));
    assertThat(total).isLessThan(8_000);
  }
}

package io.siyu.growth;

import static io.siyu.growth.PointsTestSupport.T;
import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The expiry job: two instances against one Redis expire each lot exactly once; the lease admits one tick. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class PointsExpiryJobIntegrationTest {

  @Autowired
  PointsExpiringNotices notices;

  @Autowired
  Points points;

  @Autowired
  PointsExtensions extensions;

  @Autowired
  PointsProperties props;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  Instant start;

  @BeforeEach
  void fixedTime() {
    start = Instant.parse("2026-06-15T02:00:00Z");
    clock.set(start);
    redis.delete(RedisKeys.pointsJobLease()).block(T);
  }

  PointsExpiryJob newInstance() {
    return new PointsExpiryJob(redis, points, extensions, notices, props, clock);
  }

  long expireEntries(String person) {
    return points.ledger(person, 0, 1000).filter(e -> e.type().equals("expire")).count().block(T);
  }

  @Test
  void twoInstancesExpireEachLotExactlyOnce() {
    List<String> persons = Flux.range(0, 40).map(i -> PointsTestSupport.person(redis)).collectList().block(T);
    for (String p : persons) {
      points.earn(p, 10, "e1", "test", "tester", start.plus(Duration.ofDays(1))).block(T);
      points.earn(p, 5, "e2", "test", "tester", start.plus(Duration.ofDays(3))).block(T);
    }
    PointsExpiryJob one = newInstance();
    PointsExpiryJob two = newInstance();

    clock.set(start.plus(Duration.ofDays(1)));
    // bypass the lease: both run the same work at once, which must still be harmless
    Mono.zip(one.expireDue(), two.expireDue()).block(T);
    Mono.zip(one.tick(), two.tick()).block(T);

    for (String p : persons) {
      assertThat(expireEntries(p)).isEqualTo(1);
      assertThat(points.balance(p).block(T).balance()).isEqualTo(5);
      assertThat(redis.<String, String>opsForHash().get(RedisKeys.person(p), "points").block(T)).isEqualTo("5");
      assertThat(redis.opsForZSet().score(RedisKeys.pointsLeaderboard(), p).block(T)).isEqualTo(5.0);
      assertThat(redis.opsForZSet().score(RedisKeys.pointsDue(), p).block(T))
          .isEqualTo((double) start.plus(Duration.ofDays(3)).toEpochMilli());
    }

    clock.set(start.plus(Duration.ofDays(3)));
    Mono.zip(one.tick(), two.tick(), one.expireDue(), two.expireDue()).block(T);
    for (String p : persons) {
      assertThat(expireEntries(p)).isEqualTo(2);
      assertThat(points.ledger(p, 0, 1000).map(Points.LedgerEntry::amount).reduce(0L, Long::sum).block(T)).isZero();
      assertThat(redis.<String, String>opsForHash().get(RedisKeys.person(p), "points").block(T)).isEqualTo("0");
      assertThat(redis.opsForZSet().score(RedisKeys.pointsDue(), p).block(T)).isNull();
      assertThat(redis.opsForZSet().score(RedisKeys.pointsLeaderboard(), p).block(T)).isNull();
    }
  }

  @Test
  void leaseLetsOnlyOneInstanceRunATick() {
    String p = PointsTestSupport.person(redis);
    points.earn(p, 10, "e1", "test", "tester", start.plus(Duration.ofHours(1))).block(T);
    clock.set(start.plus(Duration.ofHours(2)));

    redis.opsForValue().set(RedisKeys.pointsJobLease(), "another-instance", Duration.ofMinutes(1)).block(T);
    PointsExpiryJob.Tick blocked = newInstance().tick().block(T);
    assertThat(blocked.ran()).isFalse();
    assertThat(expireEntries(p)).isZero();

    redis.delete(RedisKeys.pointsJobLease()).block(T);
    PointsExpiryJob.Tick ran = newInstance().tick().block(T);
    assertThat(ran.ran()).isTrue();
    assertThat(ran.persons()).isGreaterThanOrEqualTo(1);
    assertThat(expireEntries(p)).isEqualTo(1);
    assertThat(redis.hasKey(RedisKeys.pointsJobLease()).block(T)).as("released after the tick").isFalse();
  }

  @Test
  void concurrentTicksOfTwoInstancesRunOnceWhileTheLeaseIsHeld() {
    // The tick holding the lease is slow (many persons): the other finds the lease taken.
    List<String> persons = Flux.range(0, 300).map(i -> PointsTestSupport.person(redis)).collectList().block(T);
    Flux.fromIterable(persons).flatMap(p -> points.earn(p, 3, "e", "test", "tester", start.plus(Duration.ofHours(1))), 32)
        .blockLast(T);
    clock.set(start.plus(Duration.ofHours(1)));
    var ticks = Mono.zip(newInstance().tick(), newInstance().tick()).block(T);
    assertThat(List.of(ticks.getT1().ran(), ticks.getT2().ran())).contains(true);
    for (String p : persons) {
      assertThat(expireEntries(p)).isEqualTo(1);
    }
  }
}

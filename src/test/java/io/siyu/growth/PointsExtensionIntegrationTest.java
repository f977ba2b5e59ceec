package io.siyu.growth;

import static io.siyu.growth.PointsTestSupport.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.Outbox;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** Batch extension: exactly the segment's members with expiring points, one notice each, resumable. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class PointsExtensionIntegrationTest {

  @Autowired
  PointsExpiringNotices notices;

  @Autowired
  Points points;

  @Autowired
  PointsExtensions extensions;

  @Autowired
  PointsProperties props;

  @Autowired
  Outbox outbox;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  Instant start;
  String segment;
  String expiring;
  String nothingExpiring;
  String outsider;

  @BeforeEach
  void setUp() {
    start = Instant.parse("2026-06-15T02:00:00Z");
    clock.set(start);
    segment = "ext-" + UUID.randomUUID();
    expiring = PointsTestSupport.person(redis);
    nothingExpiring = PointsTestSupport.person(redis);
    outsider = PointsTestSupport.person(redis);
    points.earn(expiring, 30, "e1", "test", "tester", start.plus(Duration.ofDays(10))).block(T);
    points.earn(expiring, 20, "e2", "test", "tester", start.plus(Duration.ofDays(20))).block(T);
    points.earn(expiring, 70, "e3", "test", "tester", start.plus(Duration.ofDays(200))).block(T);
    points.earn(nothingExpiring, 50, "e1", "test", "tester", start.plus(Duration.ofDays(100))).block(T);
    points.earn(outsider, 40, "e1", "test", "tester", start.plus(Duration.ofDays(10))).block(T);
    redis.opsForSet().add(RedisKeys.segmentMembers(segment), expiring, nothingExpiring, "pt-unknown-" + UUID.randomUUID())
        .block(T);
  }

  PointsExtensions.Batch awaitCompleted(String id) {
    await().atMost(Duration.ofSeconds(20)).until(() -> "completed".equals(extensions.status(id).block(T).status()));
    return extensions.status(id).block(T);
  }

  @Test
  void extendsExactlyTheSegmentMembersWithExpiringPointsAndNotifiesEachOnceEvenWhenRunTwice() {
    String id = "b-" + UUID.randomUUID();
    extensions.start(id, segment, 15, Duration.ofDays(30), "会员日延期", "ops").block(T);
    PointsExtensions.Batch done = awaitCompleted(id);

    assertThat(done.personsScanned()).isEqualTo(3);
    assertThat(done.personsExtended()).isEqualTo(1);
    assertThat(done.pointsExtended()).isEqualTo(50);
    assertThat(done.noticesQueued()).isEqualTo(1);

    // run again (as a resumed or repeated run would): nothing twice
    assertThat(extensions.run(id).block(T)).isTrue();
    PointsExtensions.Batch again = extensions.status(id).block(T);
    assertThat(again.personsExtended()).isEqualTo(1);
    assertThat(again.pointsExtended()).isEqualTo(50);
    assertThat(again.noticesQueued()).isEqualTo(1);
    // the same key through start returns the same batch and runs nothing
    assertThat(extensions.start(id, segment, 15, Duration.ofDays(30), "会员日延期", "ops").block(T).id()).isEqualTo(id);

    assertThat(points.balance(expiring).block(T).lots()).extracting(Points.Lot::expiresAt).containsExactly(
        start.plus(Duration.ofDays(25)), start.plus(Duration.ofDays(35)), start.plus(Duration.ofDays(200)));
    assertThat(points.ledger(expiring, 0, 100).filter(e -> e.type().equals("extend")).collectList().block(T))
        .singleElement().satisfies(e -> {
          assertThat(e.amount()).isZero();
          assertThat(e.points()).isEqualTo(50);
          assertThat(e.expiresAt()).isEqualTo(start.plus(Duration.ofDays(25)));
          assertThat(e.operator()).isEqualTo("ops");
          assertThat(e.key()).isEqualTo("ext:" + id);
        });
    assertThat(points.balance(expiring).block(T).balance()).isEqualTo(120);

    assertThat(points.balance(outsider).block(T).lots()).singleElement()
        .satisfies(l -> assertThat(l.expiresAt()).isEqualTo(start.plus(Duration.ofDays(10))));
    assertThat(points.ledger(outsider, 0, 100).filter(e -> e.type().equals("extend")).count().block(T)).isZero();
    assertThat(points.ledger(nothingExpiring, 0, 100).filter(e -> e.type().equals("extend")).count().block(T)).isZero();

    assertThat(outbox.status("points-ext:" + id + ":" + expiring).block(T)).isNotNull();
    assertThat(outbox.status("points-ext:" + id + ":" + nothingExpiring).blockOptional(T)).isEmpty();
    assertThat(outbox.status("points-ext:" + id + ":" + outsider).blockOptional(T)).isEmpty();
    String text = redis.<String, String>opsForHash().entries(RedisKeys.outboxEntry("points-ext:" + id + ":" + expiring))
        .filter(e -> e.getValue().contains("积分")).map(java.util.Map.Entry::getValue).blockFirst(T);
    assertThat(text).contains("小红").contains("50").contains("2026年7月10日");
  }

  @Test
  void anOrphanedBatchIsFinishedByTheNextExpiryTick() {
    String id = "b-" + UUID.randomUUID();
    // recorded, but its instance "died" before running it
    extensions.create(id, segment, 15, Duration.ofDays(30), "会员日延期", "ops").block(T);
    assertThat(extensions.status(id).block(T).status()).isEqualTo("running");

    new PointsExpiryJob(redis, points, extensions, notices, props, clock).tick().block(T);

    PointsExtensions.Batch done = awaitCompleted(id);
    assertThat(done.personsExtended()).isEqualTo(1);
    assertThat(done.noticesQueued()).isEqualTo(1);
    assertThat(redis.opsForZSet().score(RedisKeys.pointsExtensionsRunning(), id).block(T)).isNull();
  }

  @Test
  void aBatchHeldByAnotherLiveInstanceIsNotTakenOver() {
    String id = "b-" + UUID.randomUUID();
    extensions.create(id, segment, 15, Duration.ofDays(30), "会员日延期", "ops").block(T);
    redis.opsForValue().set(RedisKeys.pointsExtensionLease(id), "other-instance", Duration.ofMinutes(1)).block(T);

    assertThat(extensions.run(id).block(T)).isFalse();
    assertThat(extensions.status(id).block(T).personsExtended()).isZero();
    redis.delete(RedisKeys.pointsExtensionLease(id)).block(T);
    assertThat(extensions.run(id).block(T)).isTrue();
  }
}

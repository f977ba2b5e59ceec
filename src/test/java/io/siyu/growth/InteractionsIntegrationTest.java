package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

@SiyuIntegrationTest
class InteractionsIntegrationTest extends GrowthTestSupport {

  static final Instant LAST_SECOND = OffsetDateTime.parse("2026-03-01T23:59:59+08:00").toInstant();
  static final Instant MIDNIGHT = OffsetDateTime.parse("2026-03-02T00:00:00+08:00").toInstant();

  @Autowired
  Interactions interactions;

  @Autowired
  Growth growth;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  @Autowired
  GrowthFollowUp followUp;

  String person;

  @BeforeEach
  void setUp() {
    clock.set(LAST_SECOND);
    person = newPerson(redis);
  }

  private Recorded record(String kind, String key) {
    return record(kind, key, Map.of());
  }

  private Recorded record(String kind, String key, Map<String, String> attrs) {
    return interactions.record(new Interaction(person, kind, key, clock.instant(), attrs)).block(T);
  }

  @Test
  void perKindDailyCapResetsAtLocalMidnightInShanghai() {
    for (int i = 0; i < 12; i++) {
      record("chat", "m" + i);
    }
    assertThat(profile(redis, person)).containsEntry("growth", "10").containsEntry("n:chat", "12");
    clock.set(MIDNIGHT);
    Recorded r = record("chat", "m-next-day");
    assertThat(r.growthAdded()).isEqualTo(1);
    assertThat(r.growth()).isEqualTo(11);
  }

  @Test
  void globalCapLimitsAllKindsTogetherAndResetsAtMidnight() {
    assertThat(record("big", "b1").growthAdded()).isEqualTo(60);
    assertThat(record("big", "b2").growthAdded()).isEqualTo(40); // global cap 100
    assertThat(record("chat", "c1").growthAdded()).isZero();     // kind cap left, global cap not
    assertThat(profile(redis, person)).containsEntry("growth", "100").containsEntry("n:chat", "1");
    clock.set(MIDNIGHT);
    assertThat(record("big", "b3").growthAdded()).isEqualTo(60);
    assertThat(record("chat", "c2").growthAdded()).isEqualTo(1);
    assertThat(record("big", "b4").growthAdded()).isEqualTo(39);
    assertThat(profile(redis, person)).containsEntry("growth", "200");
  }

  @Test
  void replayedInteractionChangesNothing() {
    Recorded first = record("big", "same");
    Map<Object, Object> before = profile(redis, person);
    for (int i = 0; i < 5; i++) {
      Recorded again = record("big", "same");
      assertThat(again.first()).isFalse();
      assertThat(again.growthAdded()).isZero();
      assertThat(again.growth()).isEqualTo(first.growth());
    }
    assertThat(profile(redis, person)).isEqualTo(before);
  }

  @Test
  void fiftyConcurrentReplaysCountOnce() {
    List<Recorded> all = Flux.range(0, 50)
        .flatMap(i -> interactions.record(new Interaction(person, "big", "race", clock.instant())), 50)
        .collectList().block(T);
    assertThat(all).filteredOn(Recorded::first).hasSize(1);
    assertThat(profile(redis, person)).containsEntry("growth", "60").containsEntry("n:big", "1").containsEntry("v", "1");
  }

  @Test
  void concurrentDistinctInteractionsSumExactly() {
    Flux.range(0, 80)
        .flatMap(i -> interactions.record(new Interaction(person, "tap", "t" + i, clock.instant())), 64)
        .blockLast(T);
    assertThat(profile(redis, person)).containsEntry("growth", "80").containsEntry("n:tap", "80")
        .containsEntry("v", "80").containsEntry("gd:tap", "20513:80");
    assertThat(redis.opsForZSet().score(RedisKeys.growthLeaderboard(), person).block(T)).isEqualTo(80.0);
  }

  @Test
  void levelUpPublishedOncePerLevelEvenWithReplays() {
    record("big", "lv1");            // 0 → 60: levels 2 and 3
    record("big", "lv1");
    record("big", "lv1");
    clock.set(MIDNIGHT);
    record("big", "lv2");            // 60 → 120: levels 4 and 5
    Flux.range(0, 20).flatMap(i -> interactions.record(new Interaction(person, "big", "lv2", clock.instant())), 20)
        .blockLast(T);
    var events = events(redis, person);
    List<String> levelUps = events.stream().filter(e -> "level_up".equals(e.getValue().get("type")))
        .map(e -> (String) e.getValue().get("key")).toList();
    assertThat(levelUps).containsExactly("level_up:" + person + ":2", "level_up:" + person + ":3",
        "level_up:" + person + ":4", "level_up:" + person + ":5");
    // Interaction events: republished on replays, always with the same key.
    Map<Object, Long> keys = events.stream().filter(e -> "interaction".equals(e.getValue().get("type")))
        .collect(Collectors.groupingBy(e -> e.getValue().get("key"), Collectors.counting()));
    assertThat(keys).containsOnlyKeys(Events.interactionKey(person, "big", "lv1"), Events.interactionKey(person, "big", "lv2"));
    assertThat(keys.get(Events.interactionKey(person, "big", "lv1"))).isEqualTo(3);
    assertThat(profile(redis, person)).containsEntry("level", "5");
  }

  @Test
  void levelAndProgressFollowCorrectionsUpAndDown() {
    record("big", "x");
    Growth.Corrected up = growth.correct(person, "fix-1", 45, "lost order", "op").block(T);
    assertThat(up).isEqualTo(new Growth.Corrected(true, 105, 4, 3));
    assertThat(growth.correct(person, "fix-1", 45, "lost order", "op").block(T).first()).isFalse();
    Growth.Corrected down = growth.correct(person, "fix-2", -80, "fraud", "op").block(T);
    assertThat(down).isEqualTo(new Growth.Corrected(true, 25, 1, 4));
    assertThat(profile(redis, person)).containsEntry("growth", "25").containsEntry("level", "1");
    assertThat(growth.levels().levelOf(25)).isEqualTo(1);
    assertThat(growth.corrections(person, 10).collectList().block(T)).extracting(Growth.Correction::key)
        .containsExactly("fix-2", "fix-1");
    assertThat(redis.opsForZSet().score(RedisKeys.growthLeaderboard(), person).block(T)).isEqualTo(25.0);
  }

  @Test
  void correctionBelowZeroIsRefusedAndWritesNothing() {
    record("chat", "c");
    Map<Object, Object> before = profile(redis, person);
    assertThatThrownBy(() -> growth.correct(person, "neg", -2, "too much", "op").block(T))
        .isInstanceOf(Growth.BelowZeroException.class);
    assertThat(profile(redis, person)).isEqualTo(before);
    assertThat(growth.corrections(person, 10).collectList().block(T)).isEmpty();
  }

  @Test
  void unknownPersonAndKindAreRefused() {
    assertThatThrownBy(() -> interactions.record(new Interaction("nobody-" + person, "chat", "k", null)).block(T))
        .isInstanceOf(UnknownPersonException.class);
    assertThat(redis.hasKey(RedisKeys.interactionsSeen("nobody-" + person)).block(T)).isFalse();
    assertThatThrownBy(() -> record("no_such_kind", "k")).isInstanceOf(InvalidInteractionException.class);
    assertThatThrownBy(() -> record("order", "o1", Map.of("amount", "-5"))).isInstanceOf(InvalidInteractionException.class);
  }

  @Test
  void kindSpecificCountersAreKept() {
    Instant t1 = clock.instant().minus(Duration.ofDays(3));
    interactions.record(new Interaction(person, "order", "o1", t1, Map.of("amount", "19900"))).block(T);
    interactions.record(new Interaction(person, "order", "o2", clock.instant(), Map.of("amount", "100"))).block(T);
    record("ugc", "u1", Map.of("engagement", "7"));
    record("referral", "r1");
    record("group_joined", "j1", Map.of("chatId", "wrA"));
    record("group_joined", "j2", Map.of("chatId", "wrB"));
    record("group_left", "l1", Map.of("chatId", "wrA"));
    record("draw", "d1");
    Map<Object, Object> p = profile(redis, person);
    assertThat(p).containsEntry("orders", "2").containsEntry("amount", "20000")
        .containsEntry("firstOrderAt", Long.toString(t1.toEpochMilli()))
        .containsEntry("lastOrderAt", Long.toString(clock.millis()))
        .containsEntry("ugc", "1").containsEntry("ugcEng", "7").containsEntry("referrals", "1")
        .containsEntry("groups", "1").containsEntry("gr:wrB", "1").doesNotContainKey("gr:wrA")
        .containsEntry("n:draw", "1").containsEntry("lastAt", Long.toString(clock.millis()));
    assertThat(p.get("growth")).isEqualTo("100"); // 199 for the order capped by the global cap
    long periods7 = Windows.period(7, clock.instant(), java.time.ZoneId.of("Asia/Shanghai"));
    assertThat((String) p.get("w7:*")).startsWith(periods7 + ":");
    assertThat(Windows.count((String) p.get("w7:order"), 7, clock.instant(), java.time.ZoneId.of("Asia/Shanghai")))
        .isBetween(1L, 2L);
    assertThat(p).doesNotContainKey("w7:draw");
  }

  @Test
  void keyIsForgottenAfterItsRetention() {
    assertThat(record("chat", "old").first()).isTrue();
    clock.advance(Duration.ofDays(34));
    assertThat(record("chat", "old").first()).isFalse();
    clock.advance(Duration.ofDays(2)); // past siyu.growth.dedupe-retention (35 d)
    assertThat(record("chat", "old").first()).isTrue();
    assertThat(record("chat", "old").first()).isFalse();
    assertThat(profile(redis, person)).containsEntry("n:chat", "2");
  }

  @Test
  void aLeaderboardWriteFinishingLateNeverLowersTheBoardButACorrectionDoes() {
    // Two instances record for one person; the one that read the lower total finishes last.
    followUp.afterInteraction(person, true, 30, "chat", "late-b", clock.millis(), 1, 1, 1).block(T);
    followUp.afterInteraction(person, true, 20, "chat", "late-a", clock.millis(), 1, 1, 1).block(T);
    assertThat(redis.opsForZSet().score(RedisKeys.growthLeaderboard(), person).block(T)).isEqualTo(30.0);
    followUp.afterCorrection(person, 5, 1, 1).block(T);
    assertThat(redis.opsForZSet().score(RedisKeys.growthLeaderboard(), person).block(T)).isEqualTo(5.0);
  }

  @Test
  void aLongLeaderboardIsReadWithoutStallingTheSharedConnection() {
    // Regression: per-row reads issued while the ZRANGE reply was still streaming stalled Lettuce.
    Flux.range(0, 1500).flatMap(i -> redis.opsForZSet().add(RedisKeys.growthLeaderboard(), "lb-" + person + "-" + i, 1e9 + i), 64)
        .blockLast(T);
    assertThat(growth.leaderboard(1000).collectList().block(T)).hasSize(1000)
        .first().satisfies(r -> assertThat(r.growth()).isEqualTo(1_000_001_499L));
    redis.opsForZSet().removeRangeByScore(RedisKeys.growthLeaderboard(), org.springframework.data.domain.Range.closed(1e9, 2e9))
        .block(T);
  }
}

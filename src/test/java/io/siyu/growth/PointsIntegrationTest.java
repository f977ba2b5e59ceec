package io.siyu.growth;

import static io.siyu.growth.PointsTestSupport.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/** Points against the real Redis: lots, FIFO, expiry boundary, refusals, concurrency, idempotency, ledger. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class PointsIntegrationTest {

  @Autowired
  Points points;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  Instant start;

  @BeforeEach
  void fixedTime() {
    start = Instant.parse("2026-06-15T02:00:00Z");
    clock.set(start);
  }

  String person() {
    return PointsTestSupport.person(redis);
  }

  Points.Change earn(String p, long amount, String key, Duration expiresIn) {
    return points.earn(p, amount, key, "test", "tester", start.plus(expiresIn)).block(T);
  }

  long profilePoints(String p) {
    String v = redis.<String, String>opsForHash().get(RedisKeys.person(p), "points").block(T);
    return v == null ? 0 : Long.parseLong(v);
  }

  List<Points.LedgerEntry> ledger(String p) {
    return points.ledger(p, 0, 10_000).collectList().block(T);
  }

  @Test
  void spendsFirstToExpireFirstAcrossLots() {
    String p = person();
    long late = earn(p, 10, "e1", Duration.ofDays(30)).lotId();
    long early = earn(p, 20, "e2", Duration.ofDays(10)).lotId();
    long middle = earn(p, 5, "e3", Duration.ofDays(20)).lotId();

    Points.Change r = points.redeem(p, 27, "r1", "兑换", "tester").block(T);

    assertThat(r.outcome()).isEqualTo(Points.Outcome.APPLIED);
    assertThat(r.amount()).isEqualTo(-27);
    assertThat(r.balance()).isEqualTo(8);
    Points.Balance b = points.balance(p).block(T);
    assertThat(b.balance()).isEqualTo(8);
    assertThat(b.lots()).extracting(Points.Lot::id, Points.Lot::remaining).containsExactly(
        org.assertj.core.groups.Tuple.tuple(late, 8L));
    Points.LedgerEntry spend = ledger(p).get(0);
    assertThat(spend.type()).isEqualTo("spend");
    assertThat(spend.lots()).extracting(Points.LotPart::lot, Points.LotPart::amount)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(early, 20L), org.assertj.core.groups.Tuple.tuple(middle, 5L),
            org.assertj.core.groups.Tuple.tuple(late, 2L));
    assertThat(profilePoints(p)).isEqualTo(8);
  }

  @Test
  void lotExpiringAtTIsSpendableAtTMinusOneMillisecondAndGoneAtT() {
    String a = person();
    String b = person();
    Duration life = Duration.ofDays(7);
    earn(a, 10, "e", life);
    earn(b, 10, "e", life);
    Instant expiry = start.plus(life);

    clock.set(expiry.minusMillis(1));
    assertThat(points.balance(a).block(T).balance()).isEqualTo(10);
    assertThat(points.redeem(a, 10, "r", "兑换", "tester").block(T).outcome()).isEqualTo(Points.Outcome.APPLIED);

    clock.set(expiry);
    assertThat(points.balance(b).block(T).balance()).isZero();
    assertThat(points.redeem(b, 1, "r", "兑换", "tester").block(T).outcome()).isEqualTo(Points.Outcome.INSUFFICIENT);
    assertThat(profilePoints(b)).isZero();
    Points.LedgerEntry expired = ledger(b).get(0);
    assertThat(expired.type()).isEqualTo("expire");
    assertThat(expired.amount()).isEqualTo(-10);
    assertThat(expired.balance()).isZero();
    assertThat(points.expiring(b, Duration.ofDays(30)).block(T).points()).isZero();
  }

  @Test
  void redeemAboveBalanceIsRefusedAndWritesNothing() {
    String p = person();
    earn(p, 30, "e", Duration.ofDays(30));
    Map<String, String> profileBefore = hash(RedisKeys.person(p));
    Map<String, String> lotsBefore = hash(RedisKeys.pointsLots(p));
    long ledgerBefore = redis.opsForList().size(RedisKeys.pointsLedger(p)).block(T);

    Points.Change r = points.redeem(p, 31, "too-much", "兑换", "tester").block(T);

    assertThat(r.outcome()).isEqualTo(Points.Outcome.INSUFFICIENT);
    assertThat(r.balance()).isEqualTo(30);
    assertThat(hash(RedisKeys.person(p))).isEqualTo(profileBefore);
    assertThat(hash(RedisKeys.pointsLots(p))).isEqualTo(lotsBefore);
    assertThat(redis.opsForList().size(RedisKeys.pointsLedger(p)).block(T)).isEqualTo(ledgerBefore);
    assertThat(redis.<String, String>opsForHash().hasKey(RedisKeys.pointsOutcomes(p), "too-much").block(T)).isFalse();
    // the refused key is not burnt: the same request succeeds once the balance allows it
    earn(p, 1, "e2", Duration.ofDays(30));
    assertThat(points.redeem(p, 31, "too-much", "兑换", "tester").block(T).outcome()).isEqualTo(Points.Outcome.APPLIED);
  }

  @Test
  void hundredConcurrentRedeemsOfOneAgainstFiftyNeverOverdraw() {
    String p = person();
    earn(p, 30, "e1", Duration.ofDays(30));
    earn(p, 20, "e2", Duration.ofDays(3));

    List<Points.Change> results = Flux.range(0, 100)
        .flatMap(i -> points.redeem(p, 1, "r" + i, "兑换", "tester"), 100)
        .collectList().block(T);

    assertThat(results).filteredOn(c -> c.outcome() == Points.Outcome.APPLIED).hasSize(50);
    assertThat(results).filteredOn(c -> c.outcome() == Points.Outcome.INSUFFICIENT).hasSize(50);
    assertThat(results).allSatisfy(c -> assertThat(c.balance()).isNotNegative());
    assertThat(points.balance(p).block(T).balance()).isZero();
    assertThat(profilePoints(p)).isZero();
    assertThat(redis.opsForZSet().score(RedisKeys.pointsLeaderboard(), p).block(T)).isNull();
    assertThat(ledger(p).stream().mapToLong(Points.LedgerEntry::amount).sum()).isZero();
  }

  @Test
  void concurrentReplaysOfOneKeyCountOnce() {
    String p = person();
    List<Points.Change> results = Flux.range(0, 50)
        .flatMap(i -> points.earn(p, 40, "grant-1", "活动奖励", "tester", null), 50)
        .collectList().block(T);

    assertThat(results).filteredOn(c -> !c.replay()).hasSize(1);
    assertThat(results).allSatisfy(c -> {
      assertThat(c.amount()).isEqualTo(40);
      assertThat(c.balance()).isEqualTo(40);
    });
    assertThat(points.balance(p).block(T).balance()).isEqualTo(40);
    assertThat(ledger(p)).hasSize(1);
    assertThat(redis.opsForZSet().score(RedisKeys.pointsLeaderboard(), p).block(T)).isEqualTo(40.0);

    List<Points.Change> redeems = Flux.range(0, 50)
        .flatMap(i -> points.redeem(p, 15, "order-9", "兑换", "tester"), 50)
        .collectList().block(T);
    assertThat(redeems).filteredOn(c -> !c.replay()).hasSize(1);
    assertThat(points.balance(p).block(T).balance()).isEqualTo(25);
  }

  @Test
  void replayLaterReturnsTheOriginalOutcome() {
    String p = person();
    Points.Change first = points.earn(p, 40, "grant-1", "活动奖励", "tester", null).block(T);
    clock.advance(Duration.ofDays(2));
    points.redeem(p, 10, "r", "兑换", "tester").block(T);
    Points.Change again = points.earn(p, 40, "grant-1", "活动奖励", "tester", null).block(T);
    assertThat(again.replay()).isTrue();
    assertThat(again.balance()).isEqualTo(first.balance());
    assertThat(again.at()).isEqualTo(first.at());
    assertThat(points.balance(p).block(T).balance()).isEqualTo(30);
  }

  @Test
  void sameKeyWithOtherArgumentsIsRefused() {
    String p = person();
    points.earn(p, 40, "grant-1", "活动奖励", "tester", null).block(T);
    assertThatThrownBy(() -> points.earn(p, 41, "grant-1", "活动奖励", "tester", null).block(T))
        .isInstanceOfSatisfying(PointsException.class, e -> assertThat(e.reason()).isEqualTo(PointsException.Reason.KEY_REUSED));
    assertThatThrownBy(() -> points.redeem(p, 40, "grant-1", "活动奖励", "tester").block(T))
        .isInstanceOfSatisfying(PointsException.class, e -> assertThat(e.reason()).isEqualTo(PointsException.Reason.KEY_REUSED));
    assertThat(points.balance(p).block(T).balance()).isEqualTo(40);
  }

  @Test
  void unknownPersonIsRefusedAndNothingWritten() {
    String ghost = "pt-ghost-" + java.util.UUID.randomUUID();
    assertThatThrownBy(() -> points.earn(ghost, 10, "k", "x", "tester", null).block(T))
        .isInstanceOfSatisfying(PointsException.class, e -> assertThat(e.reason()).isEqualTo(PointsException.Reason.UNKNOWN_PERSON));
    assertThat(redis.hasKey(RedisKeys.person(ghost)).block(T)).isFalse();
    assertThat(redis.hasKey(RedisKeys.pointsLots(ghost)).block(T)).isFalse();
    assertThat(redis.hasKey(RedisKeys.pointsLedger(ghost)).block(T)).isFalse();
    assertThat(redis.opsForZSet().score(RedisKeys.pointsDue(), ghost).block(T)).isNull();
  }

  @Test
  void negativeAdjustSpendsFifoAndIsRefusedBelowZero() {
    String p = person();
    earn(p, 10, "e1", Duration.ofDays(30));
    earn(p, 10, "e2", Duration.ofDays(5));
    assertThat(points.adjust(p, -21, "a1", "纠错", "tester").block(T).outcome()).isEqualTo(Points.Outcome.INSUFFICIENT);
    Points.Change c = points.adjust(p, -15, "a2", "纠错", "tester").block(T);
    assertThat(c.balance()).isEqualTo(5);
    assertThat(points.balance(p).block(T).lots()).singleElement().satisfies(l -> {
      assertThat(l.remaining()).isEqualTo(5);
      assertThat(l.expiresAt()).isEqualTo(start.plus(Duration.ofDays(30)));
    });
    Points.Change plus = points.adjust(p, 7, "a3", "补发", "tester").block(T);
    assertThat(plus.balance()).isEqualTo(12);
    assertThat(ledger(p).get(0)).satisfies(e -> {
      assertThat(e.type()).isEqualTo("adjust");
      assertThat(e.operator()).isEqualTo("tester");
      assertThat(e.reason()).isEqualTo("补发");
      assertThat(e.expiresAt()).isEqualTo(points.defaultExpiry(start));
    });
  }

  @Test
  void ledgerSumEqualsBalanceAfterRandomOperations() {
    String p = person();
    Random random = new Random(42);
    List<java.util.function.Supplier<reactor.core.publisher.Mono<?>>> done = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int op = random.nextInt(10);
      String key = "k" + i;
      java.util.function.Supplier<reactor.core.publisher.Mono<?>> call;
      if (op < 4) {
        int amount = 1 + random.nextInt(100);
        Instant expiresAt = clock.instant().plus(Duration.ofHours(1 + random.nextInt(24 * 20)));
        call = () -> points.earn(p, amount, key, "earn", "tester", expiresAt);
      } else if (op < 7) {
        int amount = 1 + random.nextInt(120);
        call = () -> points.redeem(p, amount, key, "spend", "tester");
      } else if (op < 8) {
        long delta = random.nextInt(100) - 50;
        call = () -> points.adjust(p, delta == 0 ? 1 : delta, key, "adjust", "tester");
      } else if (op < 9) {
        Instant cutoff = clock.instant().plus(Duration.ofDays(2));
        call = () -> points.extend(p, cutoff, Duration.ofDays(1), key, "ext", "tester");
      } else {
        // a replay of an earlier request (possibly refused then, possibly with its lots expired since)
        call = done.isEmpty() ? () -> points.expire(p) : done.get(random.nextInt(done.size()));
      }
      call.get().onErrorResume(PointsException.class, e -> reactor.core.publisher.Mono.empty()).block(T);
      done.add(call);
      clock.advance(Duration.ofHours(random.nextInt(12)));
      if (i % 25 == 0) {
        assertConsistent(p);
      }
    }
    points.expire(p).block(T);
    assertConsistent(p);
  }

  void assertConsistent(String p) {
    long ledgerSum = ledger(p).stream().mapToLong(Points.LedgerEntry::amount).sum();
    // lots as stored (also any not yet expired by a script) must equal the profile balance
    long storedLots = hash(RedisKeys.pointsLots(p)).entrySet().stream().filter(e -> !e.getKey().equals("n"))
        .mapToLong(e -> Points.parseLot(e.getKey(), e.getValue()).remaining()).sum();
    assertThat(ledgerSum).isEqualTo(profilePoints(p)).isEqualTo(storedLots);
    List<Points.LedgerEntry> entries = ledger(p);
    if (!entries.isEmpty()) {
      assertThat(entries.get(0).balance()).isEqualTo(profilePoints(p));
    }
    assertThat(profilePoints(p)).isNotNegative();
  }

  @Test
  void aReplayedEarnAnswersTheOriginalOutcomeAfterItsExpiryHasPassed() {
    String p = person();
    Points.Change first = earn(p, 10, "short", Duration.ofHours(2));
    clock.advance(Duration.ofHours(3)); // the retry comes after the lot expired
    Points.Change replay = earn(p, 10, "short", Duration.ofHours(2));
    assertThat(replay.replay()).isTrue();
    assertThat(replay.outcome()).isEqualTo(Points.Outcome.APPLIED);
    assertThat(replay.balance()).isEqualTo(first.balance()).isEqualTo(10);
    assertThat(replay.lotId()).isEqualTo(first.lotId());
    // a new key with a past expiry is still refused, and writes nothing
    assertThatThrownBy(() -> earn(p, 10, "past", Duration.ofHours(2)))
        .isInstanceOfSatisfying(PointsException.class, e -> assertThat(e.reason()).isEqualTo(PointsException.Reason.INVALID));
    assertThat(ledger(p)).extracting(Points.LedgerEntry::key).doesNotContain("past");
  }

  Map<String, String> hash(String key) {
    return redis.<String, String>opsForHash().entries(key).collectMap(Map.Entry::getKey, Map.Entry::getValue).block(T);
  }
}

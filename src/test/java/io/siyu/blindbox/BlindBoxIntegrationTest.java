package io.siyu.blindbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.SiyuIntegrationTest;
import io.siyu.blindbox.BlindBoxProperties.Fallback;
import io.siyu.blindbox.BlindBoxProperties.Pool;
import io.siyu.blindbox.BlindBoxProperties.Prize;
import io.siyu.blindbox.DrawResult.Outcome;
import io.siyu.blindbox.DrawResult.PrizeKind;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/** The draw script and the service around it, against the real Redis. Each test uses its own pool id. */
@SiyuIntegrationTest
class BlindBoxIntegrationTest {

  static final Duration T = Duration.ofSeconds(30);
  static final Fallback THANKS = new Fallback("thanks", "谢谢参与 + 10 积分", PrizeKind.POINTS, 10);
  static final Instant NOW = Instant.parse("2026-03-01T08:00:00Z");

  @Autowired
  ReactiveStringRedisTemplate redis;

  final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

  static String poolId() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Prize prize(String id, PrizeKind kind, int weight, int stock, int limit) {
    return new Prize(id, id + " 奖品", kind, weight, stock, limit, kind == PrizeKind.POINTS ? 50 : null);
  }

  BlindBox box(String poolId, Fallback fallback, Prize... prizes) {
    return box(poolId, Math::random, fallback, prizes);
  }

  BlindBox box(String poolId, java.util.function.DoubleSupplier random, Fallback fallback, Prize... prizes) {
    BlindBox box = new BlindBox(redis, new BlindBoxProperties(Map.of(poolId, new Pool("测试", List.of(prizes), fallback))),
        clock, random, null);
    box.initialiseStock().block(T);
    return box;
  }

  long stock(String pool, String prize) {
    return Long.parseLong(redis.<String, String>opsForHash().get(RedisKeys.blindboxStock(pool), prize).block(T));
  }

  List<DrawResult> drawConcurrently(BlindBox box, String pool, int n, Function<Integer, String> person, String step) {
    return Flux.range(0, n)
        .flatMap(i -> box.draw(person.apply(i), step, pool).subscribeOn(Schedulers.parallel()), n)
        .collectList().block(T);
  }

  @Test
  void sixtyFourConcurrentDrawsOnStockTenGiveExactlyTenPrizesAndFiftyFourFallbacks() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("trial", PrizeKind.SAMPLE, 1, 10, 1));
    String run = UUID.randomUUID().toString();

    List<DrawResult> results = drawConcurrently(box, pool, 64, i -> "p-" + run + "-" + i, "follow");

    Map<Outcome, Long> byOutcome = results.stream().collect(Collectors.groupingBy(DrawResult::outcome, Collectors.counting()));
    assertThat(byOutcome).containsExactlyInAnyOrderEntriesOf(Map.of(Outcome.WON, 10L, Outcome.FALLBACK, 54L));
    assertThat(results).filteredOn(r -> r.outcome() == Outcome.WON).allSatisfy(r -> {
      assertThat(r.prizeId()).isEqualTo("trial");
      assertThat(r.kind()).isEqualTo(PrizeKind.SAMPLE);
    });
    assertThat(results).filteredOn(r -> r.outcome() == Outcome.FALLBACK)
        .allSatisfy(r -> assertThat(r.prizeName()).isEqualTo("谢谢参与 + 10 积分"));
    assertThat(stock(pool, "trial")).isZero();
    assertThat(results).noneMatch(DrawResult::replay);
  }

  @Test
  void couponPrizeWithFewerCodesThanStockIssuesEachCodeOnceAndNeverMoreThanTheCodes() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("coupon", PrizeKind.COUPON, 1, 10, 1));
    List<String> codes = List.of("C-1", "C-2", "C-3", "C-4", "C-5");
    assertThat(box.addCodes(pool, "coupon", codes).block(T)).isEqualTo(new BlindBox.CodesAdded(5, 0, 5));
    String run = UUID.randomUUID().toString();

    List<DrawResult> results = drawConcurrently(box, pool, 64, i -> "p-" + run + "-" + i, "follow");

    List<String> issued = results.stream().filter(r -> r.outcome() == Outcome.WON).map(DrawResult::couponCode).toList();
    assertThat(issued).hasSize(5).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(codes);
    assertThat(results).filteredOn(r -> r.outcome() == Outcome.FALLBACK).hasSize(59)
        .allSatisfy(r -> assertThat(r.couponCode()).isNull());
    assertThat(stock(pool, "coupon")).isEqualTo(5); // the stock the codes could not back is still there
    assertThat(box.codesRemaining(pool, "coupon").block(T)).isZero();
  }

  @Test
  void stockAndCodesAddUpUnderConcurrencyWithSeveralPrizes() {
    String pool = poolId();
    BlindBox box = box(pool, null, prize("a", PrizeKind.SAMPLE, 3, 7, 1), prize("b", PrizeKind.COUPON, 2, 20, 1),
        prize("c", PrizeKind.SERVICE, 1, 3, 1));
    box.addCodes(pool, "b", IntStream.range(0, 8).mapToObj(i -> "B" + i).toList()).block(T);
    String run = UUID.randomUUID().toString();

    List<DrawResult> results = drawConcurrently(box, pool, 64, i -> "p-" + run + "-" + i, "follow");

    Map<String, Long> won = results.stream().filter(r -> r.outcome() == Outcome.WON)
        .collect(Collectors.groupingBy(DrawResult::prizeId, Collectors.counting()));
    assertThat(won).isEqualTo(Map.of("a", 7L, "b", 8L, "c", 3L));
    assertThat(results).filteredOn(r -> r.outcome() == Outcome.EMPTY).hasSize(64 - 18)
        .allSatisfy(r -> assertThat(r.prizeId()).isNull());
    assertThat(results.stream().map(DrawResult::couponCode).filter(java.util.Objects::nonNull))
        .hasSize(8).doesNotHaveDuplicates();
    assertThat(stock(pool, "a")).isZero();
    assertThat(stock(pool, "b")).isEqualTo(12);
    assertThat(stock(pool, "c")).isZero();
  }

  @Test
  void replayedDrawReturnsTheFirstResultAndDrawsNothingMore() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("trial", PrizeKind.SAMPLE, 1, 5, 5));
    String person = "p-" + UUID.randomUUID();

    DrawResult first = box.draw(person, "follow", pool).block(T);
    DrawResult again = box.draw(person, "follow", pool).block(T);

    assertThat(first.replay()).isFalse();
    assertThat(first.outcome()).isEqualTo(Outcome.WON);
    assertThat(first.drawnAt()).isEqualTo(NOW);
    assertThat(again.replay()).isTrue();
    assertThat(again).usingRecursiveComparison().ignoringFields("replay").isEqualTo(first);
    assertThat(stock(pool, "trial")).isEqualTo(4);
    // another step is another draw
    assertThat(box.draw(person, "questionnaire", pool).block(T).replay()).isFalse();
    assertThat(stock(pool, "trial")).isEqualTo(3);
  }

  @Test
  void concurrentDrawsForTheSamePersonAndStepDrawOnceAndAllGetTheSameResult() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("coupon", PrizeKind.COUPON, 1, 10, 10));
    box.addCodes(pool, "coupon", List.of("X1", "X2", "X3")).block(T);
    String person = "p-" + UUID.randomUUID();

    List<DrawResult> results = drawConcurrently(box, pool, 32, i -> person, "join_group");

    assertThat(results).filteredOn(r -> !r.replay()).hasSize(1);
    assertThat(results.stream().map(DrawResult::couponCode).distinct()).hasSize(1);
    assertThat(results).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.WON));
    assertThat(stock(pool, "coupon")).isEqualTo(9);
    assertThat(box.codesRemaining(pool, "coupon").block(T)).isEqualTo(2);
    assertThat(box.stats(pool).block(T).draws()).isEqualTo(1);
  }

  @Test
  void perPersonLimitStopsAPrizeForThatPersonOnly() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("trial", PrizeKind.SAMPLE, 1, 100, 2));
    String person = "p-" + UUID.randomUUID();

    List<Outcome> outcomes = new ArrayList<>();
    for (String step : List.of("s1", "s2", "s3", "s4")) {
      outcomes.add(box.draw(person, step, pool).block(T).outcome());
    }

    assertThat(outcomes).containsExactly(Outcome.WON, Outcome.WON, Outcome.FALLBACK, Outcome.FALLBACK);
    assertThat(box.draw("other-" + person, "s1", pool).block(T).outcome()).isEqualTo(Outcome.WON);
    assertThat(stock(pool, "trial")).isEqualTo(97);
  }

  @Test
  void blacklistedPersonGetsNoDrawAndItsReplayAnswersTheSameAfterRemoval() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("trial", PrizeKind.SAMPLE, 1, 10, 5));
    String person = "p-" + UUID.randomUUID();

    box.blacklist(person, true).block(T);
    assertThat(box.isBlacklisted(person).block(T)).isTrue();
    DrawResult refused = box.draw(person, "follow", pool).block(T);
    box.blacklist(person, false).block(T);
    DrawResult replay = box.draw(person, "follow", pool).block(T);
    DrawResult later = box.draw(person, "questionnaire", pool).block(T);

    assertThat(refused.outcome()).isEqualTo(Outcome.BLACKLISTED);
    assertThat(refused.prizeId()).isNull();
    assertThat(refused.kind()).isNull();
    assertThat(replay.outcome()).isEqualTo(Outcome.BLACKLISTED);
    assertThat(replay.replay()).isTrue();
    assertThat(later.outcome()).isEqualTo(Outcome.WON);
    assertThat(stock(pool, "trial")).isEqualTo(9);
    assertThat(box.stats(pool).block(T).blacklisted()).isEqualTo(1);
  }

  @Test
  void weightsAreRespectedOverTenThousandDrawsWithASeededRandom() {
    String pool = poolId();
    SplittableRandom seeded = new SplittableRandom(42);
    BlindBox box = box(pool, () -> {
      synchronized (seeded) {
        return seeded.nextDouble();
      }
    }, THANKS, prize("one", PrizeKind.SAMPLE, 1, 100_000, 1), prize("three", PrizeKind.SERVICE, 3, 100_000, 1),
        prize("six", PrizeKind.POINTS, 6, 100_000, 1));
    String run = UUID.randomUUID().toString();

    Map<String, Long> won = Flux.range(0, 10_000)
        .flatMap(i -> box.draw(run + "-" + i, "follow", pool), 64)
        .collect(Collectors.groupingBy(DrawResult::prizeId, Collectors.counting())).block(T);

    assertThat(won.get("one")).isBetween(850L, 1150L);
    assertThat(won.get("three")).isBetween(2750L, 3250L);
    assertThat(won.get("six")).isBetween(5700L, 6300L);
    assertThat(box.stats(pool).block(T).wonByPrize()).isEqualTo(won);
  }

  @Test
  void weightedChoiceMapsTheRandomNumberOntoCumulativeWeights() {
    String pool = poolId();
    double[] next = {0};
    BlindBox box = box(pool, () -> next[0], null, prize("a", PrizeKind.SAMPLE, 1, 10, 10),
        prize("b", PrizeKind.SAMPLE, 3, 10, 10));
    String person = "p-" + UUID.randomUUID();
    next[0] = 0.0;
    assertThat(box.draw(person, "1", pool).block(T).prizeId()).isEqualTo("a");
    next[0] = 0.2499;
    assertThat(box.draw(person, "2", pool).block(T).prizeId()).isEqualTo("a");
    next[0] = 0.25;
    assertThat(box.draw(person, "3", pool).block(T).prizeId()).isEqualTo("b");
    next[0] = 0.9999999;
    assertThat(box.draw(person, "4", pool).block(T).prizeId()).isEqualTo("b");
  }

  @Test
  void restartDoesNotResetStockAndAPrizeAddedLaterGetsItsInitialStock() {
    String pool = poolId();
    BlindBox before = box(pool, THANKS, prize("trial", PrizeKind.SAMPLE, 1, 10, 1));
    String run = UUID.randomUUID().toString();
    for (int i = 0; i < 3; i++) {
      before.draw(run + i, "follow", pool).block(T);
    }

    // a new instance with the same prize and a new one, as after a restart with an edited config
    BlindBox after = box(pool, THANKS, prize("trial", PrizeKind.SAMPLE, 1, 10, 1), prize("new", PrizeKind.SAMPLE, 1, 4, 1));
    after.initialiseStock().block(T);

    assertThat(stock(pool, "trial")).isEqualTo(7);
    assertThat(stock(pool, "new")).isEqualTo(4);
    assertThat(after.stock(pool).block(T)).containsExactly(Map.entry("trial", 7L), Map.entry("new", 4L));
  }

  @Test
  void prizeRemovedFromTheConfigIsNotDrawn() {
    String pool = poolId();
    box(pool, THANKS, prize("old", PrizeKind.SAMPLE, 100, 50, 1), prize("kept", PrizeKind.SAMPLE, 1, 50, 1));
    BlindBox after = box(pool, THANKS, prize("kept", PrizeKind.SAMPLE, 1, 50, 1));
    String run = UUID.randomUUID().toString();

    List<DrawResult> results = drawConcurrently(after, pool, 20, i -> run + i, "follow");

    assertThat(results).allSatisfy(r -> assertThat(r.prizeId()).isEqualTo("kept"));
    assertThat(stock(pool, "old")).isEqualTo(50);
  }

  @Test
  void outOfEverythingWithoutAFallbackIsEmpty() {
    String pool = poolId();
    BlindBox box = box(pool, null, prize("trial", PrizeKind.SAMPLE, 1, 0, 1));

    DrawResult r = box.draw("p-" + UUID.randomUUID(), "follow", pool).block(T);

    assertThat(r.outcome()).isEqualTo(Outcome.EMPTY);
    assertThat(r.prizeId()).isNull();
    assertThat(box.stats(pool).block(T).empties()).isEqualTo(1);
  }

  @Test
  void unknownPoolIsRefusedAsAnIllegalArgument() {
    BlindBox box = box(poolId(), THANKS, prize("trial", PrizeKind.SAMPLE, 1, 1, 1));
    assertThatThrownBy(() -> box.draw("p", "follow", "no-such-pool").block(T))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-pool");
  }

  @Test
  void statsCountDrawsByPrizeFallbacksAndBlacklisted() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("a", PrizeKind.SAMPLE, 1, 2, 1));
    String run = UUID.randomUUID().toString();
    box.blacklist(run + "-bad", true).block(T);
    for (String p : List.of("1", "2", "3", "-bad")) {
      box.draw(run + p, "follow", pool).block(T);
      box.draw(run + p, "follow", pool).block(T); // replays are not counted
    }

    BlindBox.Stats stats = box.stats(pool).block(T);

    assertThat(stats).isEqualTo(new BlindBox.Stats(pool, Map.of("a", 2L), 2, 1, 0, 1, 4));
  }

  @Test
  void drawsOfAPersonListsEveryStepInOrder() {
    String pool = poolId();
    BlindBox box = box(pool, THANKS, prize("a", PrizeKind.SAMPLE, 1, 10, 3));
    String person = "p-" + UUID.randomUUID();
    box.draw(person, "follow", pool).block(T);
    box.draw(person, "questionnaire", pool).block(T);

    List<DrawResult> draws = box.drawsOf(person).collectList().block(T);

    assertThat(draws).extracting(DrawResult::step).containsExactly("follow", "questionnaire");
    assertThat(draws).allSatisfy(d -> {
      assertThat(d.poolId()).isEqualTo(pool);
      assertThat(d.prizeName()).isEqualTo("a 奖品");
      assertThat(d.replay()).isFalse();
    });
  }

  @Test
  void codeUploadRefusesCodesSeenBeforeEvenAfterTheyWereIssued() {
    String pool = poolId();
    BlindBox box = box(pool, null, prize("c", PrizeKind.COUPON, 1, 10, 1));
    assertThat(box.addCodes(pool, "c", List.of("A", "B", "A")).block(T)).isEqualTo(new BlindBox.CodesAdded(2, 1, 2));
    String issued = box.draw("p-" + UUID.randomUUID(), "follow", pool).block(T).couponCode();

    BlindBox.CodesAdded again = box.addCodes(pool, "c", List.of(issued, "C")).block(T);

    assertThat(again).isEqualTo(new BlindBox.CodesAdded(1, 1, 2));
    Set<String> left = new HashSet<>(redis.opsForList().range(RedisKeys.blindboxCodes(pool, "c"), 0, -1).collectList().block(T));
    assertThat(left).doesNotContain(issued).contains("C");
  }

  @Test
  void topUpAddsToTheRuntimeStock() {
    String pool = poolId();
    BlindBox box = box(pool, null, prize("a", PrizeKind.SAMPLE, 1, 1, 1));
    box.draw("p-" + UUID.randomUUID(), "follow", pool).block(T);

    assertThat(box.topUp(pool, "a", 5).block(T)).isEqualTo(5);
    assertThat(stock(pool, "a")).isEqualTo(5);
  }
}

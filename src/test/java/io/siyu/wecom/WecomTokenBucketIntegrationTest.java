package io.siyu.wecom;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@code redis/wecom/token_bucket.lua} against the real Redis, time from a clock the test moves. */
@SiyuIntegrationTest
class WecomTokenBucketIntegrationTest {

  @Autowired
  ReactiveStringRedisTemplate redis;

  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);

  WecomRateLimiter limiter(Map<String, String> props) {
    WecomClientProperties p = new Binder(new MapConfigurationPropertySource(props))
        .bindOrCreate("siyu.wecom.client", WecomClientProperties.class);
    return new WecomRateLimiter(redis, p, clock);
  }

  static String api() {
    return "test/" + UUID.randomUUID();
  }

  @Test
  void fullBucketGivesCapacityAtOnceThenReservesWithAWait() {
    WecomRateLimiter limiter = limiter(Map.of());
    String api = api();
    for (int i = 0; i < 6; i++) {
      assertThat(limiter.take(api, 6, 6, Duration.ZERO).block(Duration.ofSeconds(5)))
          .isEqualTo(new WecomRateLimiter.Decision(true, Duration.ZERO));
    }
    // 6 per minute: the next token comes in 10 s; refused when the caller waits less, reserved otherwise
    assertThat(limiter.take(api, 6, 6, Duration.ofSeconds(9)).block(Duration.ofSeconds(5)))
        .isEqualTo(new WecomRateLimiter.Decision(false, Duration.ofSeconds(10)));
    assertThat(limiter.take(api, 6, 6, Duration.ofSeconds(10)).block(Duration.ofSeconds(5)))
        .isEqualTo(new WecomRateLimiter.Decision(true, Duration.ofSeconds(10)));
    // that reservation holds: the one after waits 20 s
    assertThat(limiter.take(api, 6, 6, Duration.ofSeconds(30)).block(Duration.ofSeconds(5)))
        .isEqualTo(new WecomRateLimiter.Decision(true, Duration.ofSeconds(20)));
  }

  @Test
  void refillsAtTheRatePerMinuteUpToCapacity() {
    WecomRateLimiter limiter = limiter(Map.of());
    String api = api();
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.take(api, 60, 3, Duration.ZERO).block(Duration.ofSeconds(5)).allowed()).isTrue();
    }
    assertThat(limiter.take(api, 60, 3, Duration.ZERO).block(Duration.ofSeconds(5)).allowed()).isFalse();
    clock.advance(Duration.ofSeconds(1)); // 60/min: one token per second
    assertThat(limiter.take(api, 60, 3, Duration.ZERO).block(Duration.ofSeconds(5)).allowed()).isTrue();
    assertThat(limiter.take(api, 60, 3, Duration.ZERO).block(Duration.ofSeconds(5)).allowed()).isFalse();
    clock.advance(Duration.ofHours(1)); // never more than capacity
    long allowed = Flux.range(0, 10)
        .concatMap(i -> limiter.take(api, 60, 3, Duration.ZERO))
        .filter(WecomRateLimiter.Decision::allowed).count().block(Duration.ofSeconds(5));
    assertThat(allowed).isEqualTo(3);
  }

  @Test
  void bucketIsSharedByTwoLimitersLikeTwoInstances() {
    String api = api();
    Map<String, String> props = Map.of("siyu.wecom.client.rate-limits[" + api + "]", "4",
        "siyu.wecom.client.max-rate-wait", "0s", "siyu.wecom.client.rate-burst", "1m");
    WecomRateLimiter one = limiter(props);
    WecomRateLimiter two = limiter(props);
    StepVerifier.create(one.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(two.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(one.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(two.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(one.reserve("app", api))
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(WecomRateLimitedException.class)
            .isInstanceOf(io.siyu.infra.Transient.class)
            .satisfies(r -> assertThat(((WecomRateLimitedException) r).retryAfter()).isEqualTo(Duration.ofSeconds(15))))
        .verify(Duration.ofSeconds(5));
    StepVerifier.create(two.reserve("app", api)).expectError(WecomRateLimitedException.class).verify(Duration.ofSeconds(5));
    assertThat(redis.hasKey(RedisKeys.wecomRateBucket(api)).block(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void theBucketHoldsOneSecondOfCallsSoNoMinuteGetsMoreThanTheLimitPlusThat() {
    String api = api();
    WecomRateLimiter limiter = limiter(Map.of("siyu.wecom.client.rate-limits[" + api + "]", "120",
        "siyu.wecom.client.max-rate-wait", "0s"));
    // 120 per minute, rate-burst 1s: a full bucket is 2 calls, then one every 500 ms
    StepVerifier.create(limiter.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(limiter.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(limiter.reserve("app", api)).expectError(WecomRateLimitedException.class).verify(Duration.ofSeconds(5));
    clock.advance(Duration.ofMinutes(1));
    int inAMinute = 0;
    for (int ms = 0; ms < 60_000; ms += 100, clock.advance(Duration.ofMillis(100))) {
      while (limiter.take(api, 120, 2, Duration.ZERO).block(Duration.ofSeconds(5)).allowed()) {
        inAMinute++;
      }
    }
    assertThat(inAMinute).isLessThanOrEqualTo(122);
  }

  @Test
  void concurrentTakersNeverGetMoreThanTheBucket() {
    String api = api();
    WecomRateLimiter a = limiter(Map.of());
    WecomRateLimiter b = limiter(Map.of());
    List<WecomRateLimiter.Decision> decisions = Flux.range(0, 400)
        .flatMap(i -> (i % 2 == 0 ? a : b).take(api, 50, 50, Duration.ofSeconds(6))
            .subscribeOn(Schedulers.parallel()), 64)
        .collectList().block(Duration.ofSeconds(30));
    // capacity 50 at once, plus 50/min * 6 s = 5 reservations within the accepted wait
    assertThat(decisions).filteredOn(d -> d.allowed() && d.delay().isZero()).hasSize(50);
    assertThat(decisions).filteredOn(d -> d.allowed() && !d.delay().isZero()).hasSize(5)
        .allSatisfy(d -> assertThat(d.delay()).isLessThanOrEqualTo(Duration.ofSeconds(6)));
    assertThat(decisions).filteredOn(d -> !d.allowed()).hasSize(345);
  }

  @Test
  void acquireDelaysReactivelyUntilTheReservedToken() {
    String api = api();
    WecomRateLimiter limiter = limiter(Map.of("siyu.wecom.client.rate-limits[" + api + "]", "60",
        "siyu.wecom.client.max-rate-wait", "2s"));
    limiter.take(api, 60, 60, Duration.ZERO).repeat(58).blockLast(Duration.ofSeconds(5));
    StepVerifier.create(limiter.reserve("app", api)).expectNext(Duration.ZERO).verifyComplete();
    StepVerifier.create(limiter.reserve("app", api)).expectNext(Duration.ofSeconds(1)).verifyComplete();
    StepVerifier.create(limiter.reserve("app", api)).expectNext(Duration.ofSeconds(2)).verifyComplete();
    StepVerifier.create(limiter.reserve("app", api)).expectError(WecomRateLimitedException.class).verify(Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(2)); // both reservations are due; the next token is 1 s away
    StepVerifier.withVirtualTime(() -> limiter.acquire("app", api))
        .expectSubscription()
        .thenAwait(Duration.ofMillis(999))
        .thenAwait(Duration.ofMillis(1))
        .verifyComplete();
  }
}

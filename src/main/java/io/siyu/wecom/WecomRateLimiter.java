package io.siyu.wecom;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * Per-API token buckets in Redis, shared by every instance ({@code redis/wecom/token_bucket.lua}). A call
 * that gets a token within {@code max-rate-wait} is delayed reactively (no thread sleeps); otherwise it
 * fails with {@link WecomRateLimitedException} without reaching WeCom.
 */
class WecomRateLimiter {

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> SCRIPT = LuaScripts.load("wecom/token_bucket.lua", List.class);

  private final ReactiveStringRedisTemplate redis;
  private final WecomClientProperties props;
  private final Clock clock;

  WecomRateLimiter(ReactiveStringRedisTemplate redis, WecomClientProperties props, Clock clock) {
    this.redis = redis;
    this.props = props;
    this.clock = clock;
  }

  /** Reserves one token for {@code api}: answers the delay before the call may go, or fails. */
  Mono<Duration> reserve(String app, String api) {
    // A bucket as big as the minute's limit would allow a full bucket plus a minute's refill in one minute:
    // twice what WeCom counts per minute. The bucket holds rate-burst worth of calls instead.
    return take(api, props.rateLimit(api), props.rateCapacity(api), props.maxRateWait())
        .flatMap(d -> d.allowed()
            ? Mono.just(d.delay())
            : Mono.error(new WecomRateLimitedException(app, api, d.delay())));
  }

  /** Reserves then waits out the delay. */
  Mono<Void> acquire(String app, String api) {
    return reserve(app, api).flatMap(wait -> wait.isZero() ? Mono.empty() : Mono.delay(wait).then());
  }

  record Decision(boolean allowed, Duration delay) {}

  Mono<Decision> take(String api, int perMinute, int capacity, Duration maxWait) {
    List<String> args = List.of(Integer.toString(perMinute), Integer.toString(capacity),
        Long.toString(clock.millis()), "1", Long.toString(maxWait.toMillis()));
    return redis.execute(SCRIPT, List.of(RedisKeys.wecomRateBucket(api)), args)
        .next()
        .map(r -> new Decision(((Number) r.get(0)).longValue() == 1,
            Duration.ofMillis(((Number) r.get(1)).longValue())));
  }
}

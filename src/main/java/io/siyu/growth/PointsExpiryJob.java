package io.siyu.growth;

import io.siyu.infra.Polling;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ZSetOperations.TypedTuple;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Expires due lots every {@code siyu.points.job.interval}, once across instances: a tick runs only under
 * the job lease (SET NX PX with an owner token, released by compare-and-delete). Running twice anyway is
 * harmless, since the per-person script only expires what is due and a lot once gone is gone. Each tick
 * also resumes batch extensions whose instance died.
 *
 * <p>Due index upkeep for a person taken from it: expire, remove the entry only if it still has the score
 * read (an operation may have lowered it meanwhile), then re-read the person's earliest lot and add it
 * back with ZADD LT. Any lot added concurrently is either seen by that re-read or added by its own
 * operation's ZADD LT after the removal, so no person with live lots drops out of the index.
 */
@Component
class PointsExpiryJob implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(PointsExpiryJob.class);
  private static final RedisScript<Long> LEASE = LuaScripts.load("points/lease.lua", Long.class);
  private static final RedisScript<Long> UNSCHEDULE = LuaScripts.load("points/unschedule.lua", Long.class);
  private static final RedisScript<Long> LOWER = LuaScripts.load("points/lower.lua", Long.class);
  /** Rounds of one batch per tick: bounds a tick; the rest waits for the next one. */
  private static final int MAX_ROUNDS = 1000;
  private static final int CONCURRENCY = 16;

  private final ReactiveStringRedisTemplate redis;
  private final Points points;
  private final PointsExtensions extensions;
  private final PointsExpiringNotices notices;
  private final PointsProperties.Job props;
  private final Clock clock;
  private final String instance = UUID.randomUUID().toString();
  private volatile Disposable loop;

  PointsExpiryJob(ReactiveStringRedisTemplate redis, Points points, PointsExtensions extensions,
                  PointsExpiringNotices notices, PointsProperties props, Clock clock) {
    this.notices = notices;
    this.redis = redis;
    this.points = points;
    this.extensions = extensions;
    this.props = props.job();
    this.clock = clock;
  }

  /** What one tick did: whether it held the lease, and persons processed. */
  record Tick(boolean ran, long persons) {}

  /**
   * One tick: under the lease, expire everyone due and publish the points_expiring notices that are due;
   * then resume orphaned batch extensions.
   */
  Mono<Tick> tick() {
    String token = instance + ":" + UUID.randomUUID();
    return redis.opsForValue().setIfAbsent(RedisKeys.pointsJobLease(), token, props.lease())
        .flatMap(acquired -> !acquired ? Mono.just(new Tick(false, 0))
            : expireDue()
                .flatMap(n -> notices.noticeDue().thenReturn(new Tick(true, n)))
                .flatMap(t -> release(token).thenReturn(t))
                .onErrorResume(e -> release(token).then(Mono.error(e))))
        .flatMap(t -> extensions.resumeOrphans().thenReturn(t));
  }

  private Mono<Long> release(String token) {
    return redis.execute(LEASE, List.of(RedisKeys.pointsJobLease()), List.of(token, "0")).next();
  }

  /** Expires every person due now, batch by batch; the number of persons processed. Safe to run concurrently. */
  Mono<Long> expireDue() {
    return round()
        .expand(n -> n >= props.batch() ? round() : Mono.empty())
        .take(MAX_ROUNDS)
        .reduce(0L, Long::sum);
  }

  private Mono<Long> round() {
    return redis.opsForZSet()
        .rangeByScoreWithScores(RedisKeys.pointsDue(), Range.closed(Double.NEGATIVE_INFINITY, (double) clock.millis()),
            Limit.limit().count(props.batch()))
        // Collected first: while a streamed reply waits for demand, Lettuce stops reading the shared
        // connection, so the per-person scripts issued below would never get their replies (deadlock).
        .collectList()
        .flatMapMany(Flux::fromIterable)
        .flatMap(this::expireOne, CONCURRENCY)
        .count();
  }

  private Mono<String> expireOne(TypedTuple<String> due) {
    String person = due.getValue();
    return points.expire(person)
        .then(redis.execute(UNSCHEDULE, List.of(RedisKeys.pointsDue()),
            List.of(person, Long.toString(due.getScore().longValue()))).next())
        .then(redis.opsForZSet().rangeWithScores(RedisKeys.pointsLotsByExpiry(person), Range.closed(0L, 0L)).next())
        .flatMap(first -> redis.execute(LOWER, List.of(RedisKeys.pointsDue()),
            List.of(Long.toString(first.getScore().longValue()), person)).next())
        .thenReturn(person);
  }

  @Override
  public synchronized void start() {
    if (!props.enabled()) {
      log.info("points expiry job disabled (siyu.points.job.enabled=false)");
      return;
    }
    if (loop != null) {
      return;
    }
    loop = Polling.every(props.interval(), "points expiry tick", this::tick);
    log.info("points expiry job {} started", instance);
  }

  @Override
  public synchronized void stop() {
    if (loop != null) {
      loop.dispose();
      loop = null;
    }
    extensions.stopAll();
  }

  @Override
  public boolean isRunning() {
    return loop != null;
  }

  /** Stops before Redis, with the other background workers. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }
}

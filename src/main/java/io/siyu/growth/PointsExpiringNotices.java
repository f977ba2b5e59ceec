package io.siyu.growth;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ZSetOperations.TypedTuple;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Publishes {@code points_expiring} events ({@link Events#POINTS_EXPIRING}) for persons whose points expire
 * within {@code siyu.points.expiring-notice-lead}, once per person and expiry day (key
 * {@code points_expiring:<person>:<yyyy-MM-dd>} in {@code siyu.zone}); triggered campaigns turn them into
 * reminders. Fields: {@code points} (all expiring on that day), {@code expiresAt} (epoch millis of the earliest
 * of them) and {@code date} (the day). A window holding lots of several days not told yet publishes one
 * event per day.
 *
 * <p>Driven by the expiry job's tick (under its lease). The index {@link RedisKeys#pointsNoticeDue()} holds
 * person → earliest lot expiry minus the lead, lowered by every points change ({@link Points}). Per person
 * taken from it: an event for every day in the window not marked yet, each followed by its mark
 * ({@code points/noticed.lua}): publishing before marking makes a crash publish twice rather than never,
 * and consumers dedupe on the key. Then the
 * entry is removed if unchanged and the first lot expiring after the window is scheduled, so a noticed day
 * is not looked at again.
 */
@Component
class PointsExpiringNotices {

  private static final RedisScript<Long> NOTICED = LuaScripts.load("points/noticed.lua", Long.class);
  private static final RedisScript<Long> UNSCHEDULE = LuaScripts.load("points/unschedule.lua", Long.class);
  private static final RedisScript<Long> LOWER = LuaScripts.load("points/lower.lua", Long.class);
  private static final int MAX_ROUNDS = 1000;
  private static final int CONCURRENCY = 16;

  private final ReactiveStringRedisTemplate redis;
  private final Points points;
  private final Events events;
  private final Duration lead;
  private final int batch;
  private final ZoneId zone;
  private final Clock clock;
  private final MeterRegistry meters;

  PointsExpiringNotices(ReactiveStringRedisTemplate redis, Points points, Events events, PointsProperties props,
                        SiyuProperties siyu, Clock clock, MeterRegistry meters) {
    this.redis = redis;
    this.points = points;
    this.events = events;
    this.lead = props.expiringNoticeLead();
    this.batch = props.job().batch();
    this.zone = siyu.zone();
    this.clock = clock;
    this.meters = meters;
  }

  /** Publishes, then marks the day (a crash in between publishes again: consumers dedupe on the key). */
  private Mono<Void> publish(String person, LocalDate day, long pts, Instant earliest, Instant now) {
    return events.publish(Events.POINTS_EXPIRING, key(person, day), person, now, Map.of("points", Long.toString(pts),
            "expiresAt", Long.toString(earliest.toEpochMilli()), "date", day.toString()))
        .then(redis.execute(NOTICED, List.of(RedisKeys.pointsNoticed(person)), List.of(day.toString(),
            now.atZone(zone).toLocalDate().toString(),
            Long.toString(Duration.between(now, earliest).plus(Duration.ofDays(2)).toMillis()))).next())
        .doOnNext(x -> meters.counter("siyu.points.expiring_notices").increment())
        .then();
  }

  /** The idempotency key of the notice for a person's expiry day. */
  static String key(String personId, LocalDate day) {
    return Events.POINTS_EXPIRING + ":" + personId + ":" + day;
  }

  /** Handles every person whose notice time has come; the number of events published. */
  Mono<Long> noticeDue() {
    return round()
        .expand(r -> r[0] >= batch ? round() : Mono.empty())
        .take(MAX_ROUNDS)
        .reduce(0L, (sum, r) -> sum + r[1]);
  }

  /** {persons taken, events published}. */
  private Mono<long[]> round() {
    return redis.opsForZSet()
        .rangeByScoreWithScores(RedisKeys.pointsNoticeDue(),
            Range.closed(Double.NEGATIVE_INFINITY, (double) clock.millis()), Limit.limit().count(batch))
        .collectList() // before the per-person commands (Lettuce: see PointsExpiryJob)
        .flatMap(due -> Flux.fromIterable(due).flatMap(this::noticeOne, CONCURRENCY)
            .reduce(0L, Long::sum)
            .map(published -> new long[] {due.size(), published}));
  }

  private Mono<Long> noticeOne(TypedTuple<String> due) {
    String person = due.getValue();
    Instant now = clock.instant();
    Instant windowEnd = now.plus(lead);
    String marker = RedisKeys.pointsNoticed(person);
    Mono<Long> published = points.balance(person)
        .flatMap(b -> redis.<String, String>opsForHash().keys(marker).collect(Collectors.toSet())
            .map(told -> reactor.util.function.Tuples.of(b, told)))
        .flatMap(t -> {
          // One event per expiry day reached by the window and not told yet, with ALL of that day's points
          // (a later lot of the same day is not told again) and its earliest expiry.
          Map<LocalDate, long[]> days = new TreeMap<>();
          for (Points.Lot l : t.getT1().lots()) {
            LocalDate day = l.expiresAt().atZone(zone).toLocalDate();
            if (!l.expiresAt().isAfter(windowEnd) && l.remaining() > 0 && !t.getT2().contains(day.toString())) {
              days.put(day, new long[] {0, Long.MAX_VALUE});
            }
          }
          for (Points.Lot l : t.getT1().lots()) {
            long[] d = days.get(l.expiresAt().atZone(zone).toLocalDate());
            if (d != null) {
              d[0] += l.remaining();
              d[1] = Math.min(d[1], l.expiresAt().toEpochMilli());
            }
          }
          return Flux.fromIterable(days.entrySet())
              .concatMap(e -> publish(person, e.getKey(), e.getValue()[0], Instant.ofEpochMilli(e.getValue()[1]), now))
              .count();
        });
    // Re-index at the first lot expiring after this window (the ones inside it were just covered).
    Mono<Void> reindex = redis.execute(UNSCHEDULE, List.of(RedisKeys.pointsNoticeDue()),
            List.of(person, Long.toString(due.getScore().longValue()))).next()
        .then(redis.opsForZSet().rangeByScoreWithScores(RedisKeys.pointsLotsByExpiry(person),
            Range.leftOpen((double) windowEnd.toEpochMilli(), Double.POSITIVE_INFINITY), Limit.limit().count(1)).next())
        .flatMap(first -> redis.execute(LOWER, List.of(RedisKeys.pointsNoticeDue()),
            List.of(Long.toString(first.getScore().longValue() - lead.toMillis()), person)).next())
        .then();
    return published.defaultIfEmpty(0L).flatMap(n -> reindex.thenReturn(n));
  }
}

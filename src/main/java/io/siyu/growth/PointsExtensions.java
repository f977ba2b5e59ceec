package io.siyu.growth;

import io.siyu.audience.ProfileFields;
import io.siyu.audience.Segments;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Batch extensions (seed 001): for every member of a segment, move the expiry of the points expiring
 * within a window by N days and queue a notice through the outbox.
 *
 * <p>A batch is a hash in Redis (parameters, status, counters) listed as running until completed. The
 * instance that runs it holds a lease it renews; if it dies, the expiry job's next tick on any instance
 * takes the lease and runs the batch again from the start. That is safe: each person's extension is
 * idempotent on {@code ext:<batch>} (a replay moves nothing and returns the first outcome) and the notice's
 * outbox key is {@code points-ext:<batch>:<person>}, so a member seen twice is extended and told once.
 * The window's cutoff is fixed when the batch is created, so a resumed run extends the same lots.
 */
@Component
class PointsExtensions {

  private static final Logger log = LoggerFactory.getLogger(PointsExtensions.class);
  private static final RedisScript<Long> CREATE = LuaScripts.load("points/ext_create.lua", Long.class);
  private static final RedisScript<Long> COMPLETE = LuaScripts.load("points/ext_complete.lua", Long.class);
  private static final RedisScript<Long> LEASE = LuaScripts.load("points/lease.lua", Long.class);
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy年M月d日");

  /** A batch as the API reports it; counters are as of now. */
  record Batch(String id, String segment, int days, Duration expiringWithin, Instant cutoff, String reason,
               String operator, String status, Instant createdAt, Instant completedAt, long personsScanned,
               long personsExtended, long pointsExtended, long noticesQueued, long noticesFailed) {}

  /** Thrown when a batch id is reused with other parameters. */
  static class KeyReused extends RuntimeException {
    KeyReused(String id) {
      super("batch " + id + " exists with other parameters");
    }
  }

  private final ReactiveStringRedisTemplate redis;
  private final Points points;
  private final Segments segments;
  private final Outbox outbox;
  private final PointsProperties.Extension props;
  private final SiyuProperties siyu;
  private final Clock clock;
  private final String instance = UUID.randomUUID().toString();
  private final Map<String, Disposable> runningHere = new ConcurrentHashMap<>();

  PointsExtensions(ReactiveStringRedisTemplate redis, Points points, Segments segments, Outbox outbox,
                   PointsProperties props, SiyuProperties siyu, Clock clock) {
    this.redis = redis;
    this.points = points;
    this.segments = segments;
    this.outbox = outbox;
    this.props = props.extension();
    this.siyu = siyu;
    this.clock = clock;
  }

  /**
   * Records the batch (once per id) and starts it in the background on this instance. The same id with
   * the same parameters returns the existing batch; with others fails with {@link KeyReused}.
   */
  Mono<Batch> start(String id, String segment, int days, Duration within, String reason, String operator) {
    return create(id, segment, days, within, reason, operator)
        .doOnNext(b -> {
          if (!"completed".equals(b.status())) {
            launch(id);
          }
        });
  }

  /** Records the batch without running it (the start of {@link #start}; tests use it to leave a batch orphaned). */
  Mono<Batch> create(String id, String segment, int days, Duration within, String reason, String operator) {
    Instant now = clock.instant();
    List<String> args = new ArrayList<>(List.of(id, Long.toString(now.toEpochMilli()),
        "segment", segment, "days", Integer.toString(days), "within", Long.toString(within.toMillis()),
        "cutoff", Long.toString(now.plus(within).toEpochMilli()), "reason", reason == null ? "" : reason,
        "operator", operator, "status", "running", "createdAt", Long.toString(now.toEpochMilli()),
        "scanned", "0", "extended", "0", "points", "0", "notices", "0", "noticesFailed", "0"));
    return redis.execute(CREATE, List.of(RedisKeys.pointsExtension(id), RedisKeys.pointsExtensionsRunning()), args).next()
        .then(status(id))
        .flatMap(b -> b.segment().equals(segment) && b.days() == days && b.expiringWithin().equals(within)
            && b.reason().equals(reason == null ? "" : reason) ? Mono.just(b) : Mono.error(new KeyReused(id)));
  }

  /** The batch; empty when unknown. */
  Mono<Batch> status(String id) {
    return redis.<String, String>opsForHash().entries(RedisKeys.pointsExtension(id))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .filter(m -> !m.isEmpty())
        .map(m -> new Batch(id, m.get("segment"), Integer.parseInt(m.get("days")),
            Duration.ofMillis(Long.parseLong(m.get("within"))), millis(m.get("cutoff")), m.get("reason"),
            m.get("operator"), m.get("status"), millis(m.get("createdAt")), millis(m.get("completedAt")),
            num(m.get("scanned")), num(m.get("extended")), num(m.get("points")), num(m.get("notices")),
            num(m.get("noticesFailed"))));
  }

  /** Starts here every running batch that no instance holds (its runner died). Called by the expiry job's tick. */
  Mono<Void> resumeOrphans() {
    // collected before issuing more commands on the shared connection (see PointsExpiryJob#round)
    return redis.opsForZSet().range(RedisKeys.pointsExtensionsRunning(), org.springframework.data.domain.Range.closed(0L, 99L))
        .collectList()
        .flatMapMany(Flux::fromIterable)
        .filter(id -> !runningHere.containsKey(id))
        .concatMap(id -> redis.hasKey(RedisKeys.pointsExtensionLease(id))
            .filter(held -> !held)
            .doOnNext(x -> launch(id)))
        .then();
  }

  /** Runs the batch in the background if this instance gets its lease. */
  void launch(String id) {
    if (runningHere.containsKey(id)) {
      return;
    }
    Disposable d = run(id)
        .doFinally(s -> runningHere.remove(id))
        .subscribe(done -> { }, e -> log.warn("points extension batch {} interrupted: {}: {}", id,
            e.getClass().getName(), e.getMessage()));
    runningHere.put(id, d);
    if (d.isDisposed()) {
      // finished before it was registered; the lease, not this map, is what keeps runs exclusive
      runningHere.remove(id, d);
    }
  }

  /** Runs the batch to completion if this caller gets its lease; true when it completed it. */
  Mono<Boolean> run(String id) {
    String token = instance + ":" + UUID.randomUUID();
    String lease = RedisKeys.pointsExtensionLease(id);
    return redis.opsForValue().setIfAbsent(lease, token, props.lease())
        .filter(Boolean::booleanValue)
        .flatMap(x -> status(id))
        .flatMap(batch -> {
          Mono<Long> lost = Flux.interval(props.lease().dividedBy(3))
              .concatMap(t -> redis.execute(LEASE, List.of(lease), List.of(token, Long.toString(props.lease().toMillis()))).next())
              .filter(renewed -> renewed == 0)
              .next();
          return redis.<String, String>opsForHash().put(RedisKeys.pointsExtension(id), "scanned", "0")
              .thenMany(segments.members(batch.segment()).flatMap(person -> extendOne(batch, person), props.concurrency()))
              .then(Mono.just(true))
              .takeUntilOther(lost)
              .flatMap(ok -> redis.execute(COMPLETE, List.of(RedisKeys.pointsExtension(id),
                      RedisKeys.pointsExtensionsRunning(), lease), List.of(id, Long.toString(clock.millis()), token))
                  .next().map(n -> n > 0))
              .doOnNext(done -> log.info("points extension batch {} completed", id))
              .onErrorResume(e -> redis.execute(LEASE, List.of(lease), List.of(token, "0")).then(Mono.error(e)));
        })
        .defaultIfEmpty(false);
  }

  private Mono<Void> extendOne(Batch batch, String person) {
    String key = RedisKeys.pointsExtension(batch.id());
    return redis.<String, String>opsForHash().increment(key, "scanned", 1)
        .then(points.extend(person, batch.cutoff(), Duration.ofDays(batch.days()), "ext:" + batch.id(),
            batch.reason(), batch.operator()))
        .flatMap(ext -> {
          if (ext.points() == 0) {
            return Mono.<Void>empty();
          }
          Mono<Void> counted = ext.replay() ? Mono.empty()
              : redis.<String, String>opsForHash().increment(key, "extended", 1)
                  .then(redis.<String, String>opsForHash().increment(key, "points", ext.points())).then();
          return counted.then(notify(batch, person, ext));
        })
        .onErrorResume(e -> e instanceof PointsException pe && pe.reason() == PointsException.Reason.UNKNOWN_PERSON,
            e -> Mono.empty());
  }

  private Mono<Void> notify(Batch batch, String person, Points.Extension ext) {
    String key = RedisKeys.pointsExtension(batch.id());
    return redis.<String, String>opsForHash().multiGet(RedisKeys.person(person),
            List.of(ProfileFields.EXTERNAL_USER_ID, ProfileFields.OWNER, ProfileFields.NAME))
        .flatMap(f -> {
          String text = props.notice(f.get(2), ext.points(), DATE.format(ext.newExpiry().atZone(siyu.zone())));
          OutboxMessage m = new OutboxMessage("points-ext:" + batch.id() + ":" + person, person,
              new OutboxMessage.Recipient(f.get(0), f.get(1), null, null, null), OutboxMessage.Content.text(text),
              0, null, "points-extension");
          return outbox.enqueue(m)
              .flatMap(r -> r.first() ? redis.<String, String>opsForHash().increment(key, "notices", 1).then()
                  : Mono.<Void>empty())
              .onErrorResume(IllegalArgumentException.class, e -> {
                log.warn("points extension batch {}: notice not queued: {}", batch.id(), e.getMessage());
                return redis.<String, String>opsForHash().increment(key, "noticesFailed", 1).then();
              });
        });
  }

  /** Stops the batches running here; their leases lapse and another instance (or a restart) resumes them. */
  @jakarta.annotation.PreDestroy
  void stopAll() {
    runningHere.values().forEach(Disposable::dispose);
    runningHere.clear();
  }

  Set<String> runningHere() {
    return Set.copyOf(runningHere.keySet());
  }

  private static Instant millis(String s) {
    return s == null || s.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(s));
  }

  private static long num(String s) {
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }
}

package io.siyu.audience;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Full passes over every profile: the periodic sweep (time-based stage changes such as dormant after 30
 * silent days, quantile cut points, the super-user threshold) and segment rebuilds. One pass at a time
 * across instances (a lease in Redis, renewed per batch).
 *
 * <p>A pass streams the person hashes with {@code SCAN MATCH siyu:person:{p:*}} (the pattern must end
 * with the closing brace, so it matches only the main hashes, not {@code ...}:follows}), {@code COUNT}
 * = the fetch batch, and HGETALLs each batch pipelined; it never holds more than a batch. Each person is
 * scored and written with the evaluator's compare-and-set (skipped when nothing changed), the members of
 * the segments being rebuilt are added to their build sets, and at the end each build set is RENAMEd over
 * the members (same slot). While a segment builds, a marker tells live evaluations to write to its build
 * set too, so changes during the pass are not lost.
 *
 * <p>Quantiles come from the same pass in bounded memory: fixed histograms (days since last order up to
 * 3650, orders up to 10,000, spend in log-scale buckets of 1 %, value 0–100), so cut points are exact for
 * days, orders and value and within 1 % for spend. The cut points are stored at the end and used from
 * then on: scores written during a pass use the previous pass's cut points.
 */
@Component
public class AudienceRebuilds implements SmartLifecycle, DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(AudienceRebuilds.class);
  private static final RedisScript<Long> LEASE = LuaScripts.load("audience/lease.lua", Long.class);
  private static final RedisScript<Long> FINISH = LuaScripts.load("audience/finish_build.lua", Long.class);
  static final String PERSON_PATTERN = "siyu:person:{p:*}";
  private static final int READ_CONCURRENCY = 128;
  private static final int BATCHES_IN_FLIGHT = 2;

  /** A rebuild's progress as this instance saw it. */
  public record Status(String state, Instant startedAt, Instant finishedAt, long processed, String error) {
    static Status idle() {
      return new Status("idle", null, null, 0, null);
    }
  }

  private final ReactiveStringRedisTemplate redis;
  private final AudienceEvaluator evaluator;
  private final AudienceProperties props;
  private final ProfileChanges changes;
  private final Clock clock;
  private final Map<String, Status> statuses = new ConcurrentHashMap<>();
  private volatile Disposable sweeps;
  private volatile StatefulRedisConnection<String, String> bulk;
  private volatile boolean bulkUnavailable;

  AudienceRebuilds(ReactiveStringRedisTemplate redis, AudienceEvaluator evaluator, AudienceProperties props,
                   ProfileChanges changes, Clock clock) {
    this.redis = redis;
    this.evaluator = evaluator;
    this.props = props;
    this.changes = changes;
    this.clock = clock;
  }

  @Override
  public synchronized void start() {
    if (!props.sweep().enabled() || sweeps != null) {
      return;
    }
    Duration every = props.sweep().interval();
    sweeps = Flux.interval(every, every).onBackpressureDrop()
        .concatMap(t -> rebuild(null).onErrorResume(e -> {
          log.warn("audience sweep failed: {}: {}", e.getClass().getName(), e.getMessage());
          return Mono.empty();
        }))
        .subscribe();
  }

  @Override
  public synchronized void stop() {
    if (sweeps != null) {
      sweeps.dispose();
      sweeps = null;
    }
  }

  @Override
  public boolean isRunning() {
    return sweeps != null;
  }

  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }

  /** The last status of a segment's rebuild on this instance ({@code *} = all). */
  public Status status(String segment) {
    return statuses.getOrDefault(segment, Status.idle());
  }

  /** Starts a rebuild in the background (null = all segments, with the sweep). */
  public void startInBackground(Collection<String> segments) {
    // while another pass holds the lease, wait for it (a new segment must not stay half-built until the sweep)
    rebuild(segments)
        .flatMap(s -> "busy".equals(s.state()) ? Mono.<Status>error(new Busy()) : Mono.just(s))
        .retryWhen(reactor.util.retry.Retry.fixedDelay(BUSY_RETRIES, BUSY_DELAY).filter(Busy.class::isInstance))
        .subscribeOn(Schedulers.boundedElastic())
        .subscribe(s -> {}, e -> log.warn("segment rebuild failed: {}: {}", e.getClass().getName(), e.getMessage()));
  }

  private static final int BUSY_RETRIES = 360;
  private static final Duration BUSY_DELAY = Duration.ofSeconds(5);

  /** Another full pass holds the lease. */
  static final class Busy extends RuntimeException {
    Busy() {
      super("another full pass is running", null, false, false);
    }
  }

  /**
   * One full pass: scores every profile and rebuilds {@code segments} (null = every defined segment).
   * Completes with state {@code done}, or {@code busy} when another pass holds the lease.
   */
  public Mono<Status> rebuild(Collection<String> segments) {
    String token = UUID.randomUUID().toString();
    long leaseMs = props.sweep().lease().toMillis();
    String statusKey = segments == null ? "*" : null;
    return lease(token, "take", leaseMs).flatMap(took -> {
      if (!took) {
        Status busy = new Status("busy", clock.instant(), clock.instant(), 0, "another full pass is running");
        record(statusKey, segments, busy);
        return Mono.just(busy);
      }
      Instant started = clock.instant();
      AtomicLong processed = new AtomicLong();
      Histograms hist = new Histograms();
      return evaluator.frame().flatMap(frame -> {
        List<String> targets = frame.definitions().stream().map(SegmentDefinitions.Definition::name)
            .filter(n -> segments == null || segments.contains(n)).toList();
        record(statusKey, targets, new Status("running", started, null, 0, null));
        return Flux.fromIterable(targets)
            .concatMap(seg -> redis.opsForValue().set(RedisKeys.segmentBuilding(seg), token, props.sweep().lease())
                .then(redis.delete(RedisKeys.segmentBuild(seg))))
            .thenMany(scan())
            .buffer(props.sweep().fetchBatch())
            // two batches in flight: one is read from Redis while the other is scored and written (each
            // batch's live-write check brackets its own writes, so overlapping batches keep it sound)
            .flatMapSequential(batch -> batch(batch, frame, Set.copyOf(targets), hist)
                .doOnSuccess(n -> {
                  processed.addAndGet(n);
                  record(statusKey, targets, new Status("running", started, null, processed.get(), null));
                })
                .then(renew(token, targets)), BATCHES_IN_FLIGHT)
            .then(Mono.defer(() -> storeCuts(hist)))
            .thenMany(Flux.fromIterable(targets).concatMap(seg -> redis.execute(FINISH, List.of(
                RedisKeys.segmentMembers(seg), RedisKeys.segmentBuild(seg), RedisKeys.segmentBuilding(seg)), List.of(token))))
            .then(Mono.fromSupplier(() -> {
              Status done = new Status("done", started, clock.instant(), processed.get(), null);
              record(statusKey, targets, done);
              log.info("audience full pass: {} profiles, {} segment(s) rebuilt", processed.get(), targets.size());
              return done;
            }))
            .onErrorResume(e -> {
              Status failed = new Status("failed", started, clock.instant(), processed.get(), e.getClass().getSimpleName());
              record(statusKey, targets, failed);
              return Flux.fromIterable(targets).concatMap(seg -> redis.delete(RedisKeys.segmentBuilding(seg)))
                  .then(Mono.error(e));
            });
      }).doFinally(sig -> lease(token, "release", leaseMs).subscribe());
    });
  }

  private void record(String all, Collection<String> segments, Status s) {
    if (all != null) {
      statuses.put(all, s);
    }
    if (segments != null) {
      segments.forEach(seg -> statuses.put(seg, s));
    }
  }

  /** Person ids of every profile, streamed. */
  Flux<String> scan() {
    String prefix = "siyu:person:{p:";
    return redis.scan(ScanOptions.scanOptions().match(PERSON_PATTERN).count(props.sweep().fetchBatch()).build())
        .filter(k -> k.endsWith("}"))
        .map(k -> k.substring(prefix.length(), k.length() - 1));
  }

  /** Streams every profile (as stored) that matches; previews use it. */
  public Flux<Profile> profiles(Predicate<Profile> filter) {
    return scan().buffer(props.sweep().fetchBatch())
        .concatMap(this::readAll)
        .flatMapIterable(read -> read)
        .map(e -> evaluator.scorerProfile(e.getValue()))
        .filter(filter);
  }

  private record Done(String id, String sv, boolean conflict, Map<String, Boolean> flags) {}

  private Mono<Long> batch(List<String> ids, AudienceEvaluator.Frame frame, Set<String> targets, Histograms hist) {
    List<String> all = frame.definitions().stream().map(SegmentDefinitions.Definition::name).toList();
    return liveWrites(all).flatMap(before -> Flux.fromIterable(ids)
        .collectList()
        .flatMap(this::readAll)
        // scoring is CPU work: off the connection's I/O thread, on every core
        .flatMapMany(read -> Flux.fromIterable(read).parallel().runOn(Schedulers.parallel())
            .map(e -> evaluator.compute(e.getKey(), e.getValue(), frame))
            .doOnNext(c -> hist.add(c.profile(), c.scores().value()))
            .sequential())
        .flatMap(c -> commit(c, targets), READ_CONCURRENCY)
        .collectList()
        .flatMap(done -> {
          Map<String, List<String>> add = new HashMap<>();
          for (Done d : done) {
            if (!d.conflict()) {
              d.flags().forEach((seg, in) -> {
                if (in && targets.contains(seg)) {
                  add.computeIfAbsent(seg, k -> new ArrayList<>()).add(d.id());
                }
              });
            }
          }
          return Flux.fromIterable(add.entrySet())
              .flatMap(e -> redis.opsForSet().add(RedisKeys.segmentBuild(e.getKey()), e.getValue().toArray(String[]::new)))
              .then(liveWrites(all))
              .flatMapMany(after -> {
                // Our set writes may have overtaken a live evaluation's only if one wrote a member set during
                // this batch (its counter moved): then every person of the batch gets the evaluator's sv check.
                // Persons whose compare failed get the hash's current flags applied and a fresh mark.
                boolean interleaved = !after.equals(before);
                return Flux.fromIterable(done).filter(d -> interleaved || d.conflict());
              })
              .flatMap(d -> d.conflict()
                  ? evaluator.stabilize(d.id(), d.sv(), true).then(changes.changed(d.id()))
                  : evaluator.stabilize(d.id(), d.sv(), false), READ_CONCURRENCY)
              .then(Mono.just((long) done.size()));
        }));
  }

  /**
   * The hashes of a batch (persons without one left out). HGETALLs through Lettuce's async API on a
   * dedicated connection, the whole batch written with one flush, when the connection factory is Lettuce's
   * standalone one; otherwise (and for any read that fails there) through the evaluator, one reactive
   * command per person. Spring's reactive machinery around each command cost more client CPU than decoding
   * the profile; plain HGETALL here (not read_profile.lua) costs Redis a third of the script's CPU, and Redis
   * is the one shared single thread (docs/BENCHMARKS.md, "Segments and profiles").
   */
  private Mono<List<Map.Entry<String, Map<String, String>>>> readAll(List<String> ids) {
    StatefulRedisConnection<String, String> c = bulk;
    if (c == null && !bulkUnavailable) {
      // connecting blocks: never on a Redis I/O thread (a batch's reads continue on one)
      return Mono.fromCallable(this::bulk).subscribeOn(Schedulers.boundedElastic()).then(Mono.defer(() -> readAll(ids)));
    }
    if (c == null) {
      return Flux.fromIterable(ids)
          .flatMapSequential(id -> evaluator.read(id).map(h -> Map.entry(id, h)), READ_CONCURRENCY)
          .filter(e -> !e.getValue().isEmpty())
          .collectList();
    }
    return Mono.defer(() -> {
      List<RedisFuture<Map<String, String>>> futures = new ArrayList<>(ids.size());
      // auto-flush is per connection: two batches in flight must not interleave their toggles
      synchronized (c) {
        c.setAutoFlushCommands(false);
        try {
          for (String id : ids) {
            futures.add(c.async().hgetall(RedisKeys.person(id)));
          }
          c.flushCommands();
        } finally {
          c.setAutoFlushCommands(true);
        }
      }
      CompletableFuture<?>[] all = futures.stream().map(RedisFuture::toCompletableFuture).toArray(CompletableFuture[]::new);
      return Mono.fromCompletionStage(CompletableFuture.allOf(all).handle((v, e) -> Boolean.TRUE))
          .flatMapMany(done -> Flux.range(0, ids.size()).flatMapSequential(i -> {
            String id = ids.get(i);
            CompletableFuture<?> f = all[i];
            @SuppressWarnings("unchecked")
            Map<String, String> h = f.isCompletedExceptionally() ? null : (Map<String, String>) f.join();
            return (h != null ? Mono.just(h) : evaluator.read(id)).map(m -> Map.entry(id, m));
          }, READ_CONCURRENCY))
          .filter(e -> !e.getValue().isEmpty())
          .collectList();
    });
  }

  /** The dedicated connection of full-pass reads, or null when the factory is not Lettuce's standalone one. */
  private StatefulRedisConnection<String, String> bulk() {
    StatefulRedisConnection<String, String> c = bulk;
    if (c != null || bulkUnavailable) {
      return c;
    }
    synchronized (this) {
      if (bulk == null && !bulkUnavailable) {
        if (redis.getConnectionFactory() instanceof LettuceConnectionFactory f && f.getNativeClient() instanceof RedisClient client) {
          bulk = client.connect(StringCodec.UTF8);
        } else {
          bulkUnavailable = true;
        }
      }
      return bulk;
    }
  }

  @Override
  public void destroy() {
    StatefulRedisConnection<String, String> c = bulk;
    if (c != null) {
      c.close();
    }
  }

  private Mono<List<String>> liveWrites(List<String> segments) {
    return Flux.fromIterable(segments)
        .flatMapSequential(seg -> redis.opsForValue().get(RedisKeys.segmentLiveWrites(seg)).defaultIfEmpty("0"))
        .collectList();
  }

  /**
   * The compare-and-set write of one person. Flag changes of the segments being rebuilt are not written to
   * their member sets one by one: the bulk SADD into the build set and the final RENAME publish them (if the
   * pass fails, the next sweep, a rebuild of every segment, repairs those sets).
   */
  private Mono<Done> commit(AudienceEvaluator.Computed c, Set<String> targets) {
    String id = c.personId();
    if (c.unchanged()) {
      return Mono.just(new Done(id, c.v(), false, c.flags()));
    }
    return evaluator.commit(c).flatMap(r -> {
      if (r.isEmpty()) {
        return Mono.just(new Done(id, c.v(), true, c.flags()));
      }
      List<String> others = r.get().stream().filter(f -> !targets.contains(f.substring(1))).toList();
      return evaluator.applyChanges(id, others, false).thenReturn(new Done(id, c.v(), false, c.flags()));
    });
  }

  private Mono<Void> renew(String token, List<String> targets) {
    Duration lease = props.sweep().lease();
    return lease(token, "renew", lease.toMillis())
        .thenMany(Flux.fromIterable(targets).flatMap(seg -> redis.expire(RedisKeys.segmentBuilding(seg), lease)))
        .then();
  }

  private Mono<Boolean> lease(String token, String op, long ttlMs) {
    return redis.execute(LEASE, List.of(RedisKeys.audienceRebuildLease()), List.of(token, op, Long.toString(ttlMs)))
        .next().map(r -> r == 1L);
  }

  private Mono<Void> storeCuts(Histograms h) {
    Map<String, String> cuts = h.cuts(props.value().superTopPercent());
    return cuts.isEmpty() ? Mono.empty() : redis.<String, String>opsForHash().putAll(RedisKeys.audienceCuts(), cuts).then();
  }

  /** Bounded-memory distributions of one pass (see the class comment). */
  static final class Histograms {
    private static final int MAX_DAYS = 3650;
    private static final int MAX_ORDERS = 10_000;
    private static final int SPEND_BUCKETS = 1200;
    private final long[] days = new long[MAX_DAYS + 1];
    private final long[] orders = new long[MAX_ORDERS + 1];
    private final long[] spend = new long[SPEND_BUCKETS + 1];
    private final long[] value = new long[101];
    private long withOrders;
    private long all;

    synchronized void add(Profile p, int v) {
      all++;
      value[Math.max(0, Math.min(100, v))]++;
      if (p.orders() > 0 && p.daysSinceLastOrder() != null) {
        withOrders++;
        days[(int) Math.min(MAX_DAYS, p.daysSinceLastOrder())]++;
        orders[(int) Math.min(MAX_ORDERS, p.orders())]++;
        spend[spendBucket(p.spend())]++;
      }
    }

    /** Bucket b holds spends in [1.015^b - 1, 1.015^(b+1) - 1): 1.5 % wide, up to ~5.6e7 yuan. */
    static int spendBucket(double yuan) {
      return (int) Math.min(SPEND_BUCKETS, Math.floor(Math.log1p(Math.max(0, yuan)) / Math.log(1.015)));
    }

    static double spendOf(int bucket) {
      return Math.expm1(bucket * Math.log(1.015));
    }

    synchronized Map<String, String> cuts(double superTopPercent) {
      Map<String, String> out = new HashMap<>();
      if (withOrders > 0) {
        for (int i = 1; i <= 4; i++) {
          double q = i / 5.0;
          out.put("r" + i, Long.toString(quantile(days, q)));
          out.put("f" + i, Long.toString(quantile(orders, q)));
          out.put("m" + i, String.format(java.util.Locale.ROOT, "%.2f", spendOf(quantile(spend, q))));
        }
      }
      if (all > 0) {
        double allowed = all * superTopPercent / 100.0;
        long cum = 0;
        int threshold = 0;
        for (int t = 100; t >= 0; t--) {
          cum += value[t];
          if (cum > allowed) {
            threshold = t + 1;
            break;
          }
        }
        out.put("super", Integer.toString(threshold));
      }
      return out;
    }

    private long quantileTotal(long[] h) {
      long n = 0;
      for (long c : h) {
        n += c;
      }
      return n;
    }

    /** The smallest bucket whose cumulative count reaches q of the total. */
    private int quantile(long[] h, double q) {
      long total = quantileTotal(h);
      long cum = 0;
      for (int b = 0; b < h.length; b++) {
        cum += h[b];
        if (cum >= q * total) {
          return b;
        }
      }
      return h.length - 1;
    }
  }
}

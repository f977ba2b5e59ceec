package io.siyu.blindbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.siyu.blindbox.BlindBoxProperties.Pool;
import io.siyu.blindbox.BlindBoxProperties.Prize;
import io.siyu.blindbox.DrawResult.Outcome;
import io.siyu.blindbox.DrawResult.PrizeKind;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Blind-box draws: one atomic Lua script per draw ({@code redis/blindbox/draw.lua}), idempotent on
 * (person, step). The random number and the time come from here (the caller) so the script is
 * deterministic and testable; prize definitions are passed on each call, so a prize removed from the
 * config is no longer drawn and its stock simply stays in Redis.
 */
@Component
public class BlindBox {

  private static final Logger log = LoggerFactory.getLogger(BlindBox.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> DRAW = LuaScripts.load("blindbox/draw.lua", List.class);
  private static final RedisScript<Long> INIT_STOCK = LuaScripts.load("blindbox/init_stock.lua", Long.class);
  private static final RedisScript<Long> TOPUP = LuaScripts.load("blindbox/topup.lua", Long.class);
  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> ADD_CODES = LuaScripts.load("blindbox/add_codes.lua", List.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ReactiveStringRedisTemplate redis;
  private final Clock clock;
  private final DoubleSupplier random;
  private final Map<String, PoolCall> pools = new LinkedHashMap<>();
  private final Map<String, Pool> config;
  private final MeterRegistry meters;
  private final Map<Outcome, Map<String, Counter>> counters = new EnumMap<>(Outcome.class);

  @Autowired
  public BlindBox(ReactiveStringRedisTemplate redis, BlindBoxProperties properties, Clock clock, MeterRegistry meters) {
    this(redis, properties, clock, () -> ThreadLocalRandom.current().nextDouble(), meters);
  }

  /** @param random numbers in [0, 1); a seeded source makes a sequence of draws reproducible */
  public BlindBox(ReactiveStringRedisTemplate redis, BlindBoxProperties properties, Clock clock,
                  DoubleSupplier random, MeterRegistry meters) {
    this.redis = redis;
    this.clock = clock;
    this.random = random;
    this.meters = meters == null ? new SimpleMeterRegistry() : meters;
    this.config = Map.copyOf(properties.pools());
    properties.pools().forEach((id, pool) -> pools.put(id, new PoolCall(id, pool)));
    for (Outcome o : Outcome.values()) {
      counters.put(o, new java.util.concurrent.ConcurrentHashMap<>());
    }
  }

  /** Draws from {@code poolId} for {@code personId}'s {@code step}; a replay returns the first result. */
  public Mono<DrawResult> draw(String personId, String step, String poolId) {
    PoolCall pool = pools.get(poolId);
    if (pool == null) {
      return Mono.error(new IllegalArgumentException("unknown blind-box pool: " + poolId));
    }
    if (personId == null || personId.isBlank() || step == null || step.isBlank()) {
      return Mono.error(new IllegalArgumentException("a draw needs a person id and a step"));
    }
    List<String> keys = new ArrayList<>(5 + pool.codeKeys.size());
    keys.add(RedisKeys.blindboxDraws(personId));
    keys.add(RedisKeys.blindboxBlacklist());
    keys.add(RedisKeys.blindboxStock(poolId));
    keys.add(RedisKeys.blindboxPersonCounts(personId));
    keys.add(RedisKeys.blindboxStats(poolId));
    keys.addAll(pool.codeKeys);
    List<String> args = new ArrayList<>(5 + pool.args.size());
    args.add(step);
    args.add(poolId);
    args.add(personId);
    args.add(Double.toString(random.getAsDouble()));
    args.add(Long.toString(clock.millis()));
    args.addAll(pool.args);
    return redis.execute(DRAW, keys, args).next()
        .map(reply -> {
          DrawResult result = fromReply(personId, step, reply);
          if (!result.replay()) {
            count(result);
          }
          return result;
        });
  }

  /** Blacklisted persons get no draw (outcome BLACKLISTED). */
  public Mono<Void> blacklist(String personId, boolean blacklisted) {
    Mono<Long> op = blacklisted
        ? redis.opsForSet().add(RedisKeys.blindboxBlacklist(), personId)
        : redis.opsForSet().remove(RedisKeys.blindboxBlacklist(), personId);
    return op.then();
  }

  public Mono<Boolean> isBlacklisted(String personId) {
    return redis.opsForSet().isMember(RedisKeys.blindboxBlacklist(), personId);
  }

  /** The configured pools, by id, in configuration order. */
  public Map<String, Pool> pools() {
    return config;
  }

  /**
   * Copies each configured prize's initial stock to Redis where it has none yet. Runs at start-up;
   * idempotent, so it can run again at any time (tests, another instance starting).
   */
  public Mono<Void> initialiseStock() {
    return Flux.fromIterable(config.entrySet())
        .concatMap(e -> initialiseStock(e.getKey(), e.getValue()))
        .then();
  }

  private Mono<Long> initialiseStock(String poolId, Pool pool) {
    List<String> args = new ArrayList<>();
    for (Prize p : pool.prizes()) {
      args.add(p.id());
      args.add(Integer.toString(p.initialStock()));
    }
    return redis.execute(INIT_STOCK, List.of(RedisKeys.blindboxStock(poolId)), args).next()
        .doOnNext(n -> {
          if (n > 0) {
            log.info("Blind-box pool {}: initial stock set for {} prize(s)", poolId, n);
          }
        });
  }

  @EventListener(ApplicationReadyEvent.class)
  void initialiseOnStartup() {
    // Blocking is fine here: the ready event runs on the main thread, before traffic matters.
    initialiseStock().block(STARTUP_TIMEOUT);
  }

  /** Current stock by prize id (only configured prizes; a missing entry reads as 0). */
  public Mono<Map<String, Long>> stock(String poolId) {
    Pool pool = requirePool(poolId);
    return redis.<String, String>opsForHash().entries(RedisKeys.blindboxStock(poolId))
        .collectMap(Map.Entry::getKey, e -> Long.parseLong(e.getValue()))
        .map(all -> {
          Map<String, Long> out = new LinkedHashMap<>();
          pool.prizes().forEach(p -> out.put(p.id(), all.getOrDefault(p.id(), 0L)));
          return out;
        });
  }

  /** Unused codes left for a coupon prize. */
  public Mono<Long> codesRemaining(String poolId, String prizeId) {
    return redis.opsForList().size(RedisKeys.blindboxCodes(poolId, prizeId));
  }

  /** Adds {@code amount} (> 0) to a prize's stock, atomically; returns the new stock. */
  public Mono<Long> topUp(String poolId, String prizeId, long amount) {
    Pool pool = requirePool(poolId);
    requirePrize(pool, poolId, prizeId);
    if (amount <= 0) {
      return Mono.error(new IllegalArgumentException("amount must be > 0"));
    }
    return initialiseStock(poolId, pool)
        .then(redis.execute(TOPUP, List.of(RedisKeys.blindboxStock(poolId)), List.of(prizeId, Long.toString(amount))).next());
  }

  /** The outcome of a code upload. */
  public record CodesAdded(long accepted, long duplicates, long remaining) {}

  /** Adds codes (already validated) to a coupon prize, refusing any code ever seen for that prize. */
  public Mono<CodesAdded> addCodes(String poolId, String prizeId, List<String> codes) {
    return redis.execute(ADD_CODES,
            List.of(RedisKeys.blindboxCodesSeen(poolId, prizeId), RedisKeys.blindboxCodes(poolId, prizeId)), codes)
        .next()
        .map(r -> new CodesAdded(num(r.get(0)), num(r.get(1)), num(r.get(2))));
  }

  /** Every recorded draw of a person, by step. */
  public Flux<DrawResult> drawsOf(String personId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.blindboxDraws(personId))
        .map(e -> fromRecord(personId, e.getKey(), e.getValue()))
        .sort(java.util.Comparator.comparing(DrawResult::drawnAt).thenComparing(DrawResult::step));
  }

  /** A pool's statistics since the beginning. */
  public record Stats(String poolId, Map<String, Long> wonByPrize, long won, long fallbacks, long empties,
                      long blacklisted, long draws) {}

  public Mono<Stats> stats(String poolId) {
    Pool pool = requirePool(poolId);
    return redis.<String, String>opsForHash().entries(RedisKeys.blindboxStats(poolId))
        .collectMap(Map.Entry::getKey, e -> Long.parseLong(e.getValue()))
        .map(raw -> {
          Map<String, Long> byPrize = new LinkedHashMap<>();
          pool.prizes().forEach(p -> byPrize.put(p.id(), raw.getOrDefault("won:" + p.id(), 0L)));
          // prizes since removed from the config still have draws in the record
          raw.forEach((k, v) -> {
            if (k.startsWith("won:")) {
              byPrize.putIfAbsent(k.substring(4), v);
            }
          });
          long won = byPrize.values().stream().mapToLong(Long::longValue).sum();
          long fallbacks = raw.getOrDefault("fallback", 0L);
          long empties = raw.getOrDefault("empty", 0L);
          long blacklisted = raw.getOrDefault("blacklisted", 0L);
          return new Stats(poolId, byPrize, won, fallbacks, empties, blacklisted,
              won + fallbacks + empties + blacklisted);
        });
  }

  Pool requirePool(String poolId) {
    Pool pool = config.get(poolId);
    if (pool == null) {
      throw new UnknownPrizeException("unknown-pool", "pool " + poolId + " is not configured");
    }
    return pool;
  }

  Prize requirePrize(Pool pool, String poolId, String prizeId) {
    return pool.prize(prizeId).orElseThrow(() ->
        new UnknownPrizeException("unknown-prize", "prize " + prizeId + " is not configured in pool " + poolId));
  }

  /** A pool or prize that is not configured. */
  static final class UnknownPrizeException extends IllegalArgumentException {
    final String slug;

    UnknownPrizeException(String slug, String message) {
      super(message);
      this.slug = slug;
    }
  }

  private void count(DrawResult r) {
    counters.get(r.outcome()).computeIfAbsent(r.poolId(), pool -> Counter.builder("siyu.blindbox.draws")
        .description("Blind-box draws (replays not counted)")
        .tag("pool", pool).tag("outcome", r.outcome().name().toLowerCase(Locale.ROOT))
        .register(meters)).increment();
  }

  private static DrawResult fromReply(String personId, String step, List<?> r) {
    return new DrawResult(personId, step, str(r.get(1)), Outcome.valueOf(str(r.get(2))), str(r.get(3)),
        str(r.get(4)), kind(str(r.get(5))), str(r.get(6)), num(r.get(0)) == 1,
        Instant.ofEpochMilli(Long.parseLong(str(r.get(7)))));
  }

  private static DrawResult fromRecord(String personId, String step, String json) {
    Map<?, ?> m = JSON.readValue(json, Map.class);
    return new DrawResult(personId, step, str(m.get("pool")), Outcome.valueOf(str(m.get("outcome"))),
        str(m.get("prize")), str(m.get("name")), kind(str(m.get("kind"))), str(m.get("code")), false,
        Instant.ofEpochMilli(Long.parseLong(str(m.get("at")))));
  }

  private static String str(Object o) {
    if (o == null) {
      return null;
    }
    String s = o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : o.toString();
    return s.isEmpty() ? null : s;
  }

  private static long num(Object o) {
    return o instanceof Number n ? n.longValue() : Long.parseLong(Objects.toString(o));
  }

  private static PrizeKind kind(String s) {
    return s == null ? null : PrizeKind.valueOf(s);
  }

  /** The per-pool part of the draw script's arguments, built once. */
  private static final class PoolCall {
    final List<String> codeKeys = new ArrayList<>();
    final List<String> args = new ArrayList<>();

    PoolCall(String poolId, Pool pool) {
      var fb = pool.fallback();
      args.add(fb == null ? "" : fb.id());
      args.add(fb == null ? "" : fb.name());
      args.add(fb == null ? "" : fb.kind().name());
      args.add(Integer.toString(pool.prizes().size()));
      for (Prize p : pool.prizes()) {
        int codesIndex = 0;
        if (p.kind() == PrizeKind.COUPON) {
          codeKeys.add(RedisKeys.blindboxCodes(poolId, p.id()));
          codesIndex = 5 + codeKeys.size();
        }
        args.add(p.id());
        args.add(p.name());
        args.add(p.kind().name());
        args.add(Integer.toString(p.weight()));
        args.add(Integer.toString(p.limitPerPerson()));
        args.add(Integer.toString(codesIndex));
      }
    }
  }
}

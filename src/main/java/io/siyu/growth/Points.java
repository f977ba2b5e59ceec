package io.siyu.growth;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.audience.ProfileChanges;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Points (积分): lots that expire, spent first-to-expire-first, with a ledger per person.
 *
 * <p>Every change of a person's points is one run of {@code redis/points/change.lua} on the person's slot
 * ({@code {p:<id>}}): it first expires due lots (so a lagging expiry job never lets expired points be
 * spent), then applies the operation, writes the ledger entry and keeps the profile's {@code points} field
 * (and {@code v}) current. Each operation is idempotent on its key per person: a replay returns the
 * original outcome, a key reused with other arguments fails with {@link PointsException.Reason#KEY_REUSED}.
 *
 * <p>After the script, in the same chain and each idempotent, so the caller's retry repairs a crash in
 * between: the due index (person → earliest expiry, lowered only) and the expiring-notice index
 * ({@link PointsExpiringNotices}: the same minus the notice lead), the points leaderboard (written only
 * for a newer profile version, so out-of-order completions cannot leave a stale balance), and the
 * profile-change mark.
 */
@Component
public class Points {

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> CHANGE = LuaScripts.load("points/change.lua", List.class);
  private static final RedisScript<Long> LOWER = LuaScripts.load("points/lower.lua", Long.class);
  private static final RedisScript<Long> LEADERBOARD = LuaScripts.load("points/leaderboard.lua", Long.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** A sane ceiling on one operation (and on a balance through it): far below Lua's exact-integer range. */
  public static final long MAX_AMOUNT = 100_000_000L;
  static final int MAX_TEXT = 200;

  /** What an earn, redeem or adjust did. */
  public enum Outcome { APPLIED, INSUFFICIENT }

  /**
   * @param amount  signed change of the balance (0 when refused)
   * @param balance balance after the operation (for a replay: after the original operation)
   * @param replay  true when the key had been applied before: nothing was written now
   * @param lotId   the lot created by an earn or positive adjust, else null
   */
  public record Change(String personId, String key, Outcome outcome, long amount, long balance, Instant at,
                       boolean replay, Long lotId) {}

  /** @param points points whose expiry moved (0: nothing was expiring); newExpiry the earliest new date */
  public record Extension(String personId, String key, long points, Instant newExpiry, boolean replay) {}

  public record Lot(long id, long amount, long remaining, Instant earnedAt, Instant expiresAt) {}

  /** @param earliest the earliest expiry among them, null when none */
  public record Expiring(long points, Instant earliest) {}

  public record Balance(String personId, long balance, List<Lot> lots) {

    /** Points of the live lots expiring at or before {@code until} (as a batch extension's window counts them). */
    public Expiring expiringBefore(Instant until) {
      long pts = 0;
      Instant earliest = null;
      for (Lot l : lots) {
        if (!l.expiresAt().isAfter(until)) {
          pts += l.remaining();
          earliest = earliest == null || l.expiresAt().isBefore(earliest) ? l.expiresAt() : earliest;
        }
      }
      return new Expiring(pts, earliest);
    }
  }

  /** One lot's part in a spend, expire or extend; {@code newExpiry} for extend only. */
  public record LotPart(long lot, long amount, Instant newExpiry) {}

  /**
   * @param type     earn | spend | expire | extend | adjust
   * @param amount   signed change of the balance (0 for extend)
   * @param balance  after the entry
   * @param points   extend: the points whose expiry moved
   * @param expiresAt earn/adjust: the new lot's expiry; extend: the earliest new expiry
   */
  public record LedgerEntry(String type, long amount, long balance, String reason, String operator, String key,
                            Instant at, Long lot, Long points, Instant expiresAt, List<LotPart> lots) {}

  /** The per-person expiry run of the expiry job. */
  record Expired(long balance, Instant nextExpiry) {}

  private final ReactiveStringRedisTemplate redis;
  private final ProfileChanges profileChanges;
  private final PointsProperties props;
  private final SiyuProperties siyu;
  private final Clock clock;
  private final MeterRegistry meters;

  Points(ReactiveStringRedisTemplate redis, ProfileChanges profileChanges, PointsProperties props, SiyuProperties siyu,
         Clock clock, MeterRegistry meters) {
    this.meters = meters;
    this.redis = redis;
    this.profileChanges = profileChanges;
    this.props = props;
    this.siyu = siyu;
    this.clock = clock;
  }

  /** When points earned now expire under the configured policy. */
  public Instant defaultExpiry(Instant earnedAt) {
    return props.expiry().expiresAt(earnedAt, siyu.zone());
  }

  /**
   * Credits a new lot of {@code amount}, expiring per policy or at {@code expiresAtOverride} (must be in the
   * future for a new key: {@link PointsException.Reason#INVALID}; a replay answers the original outcome).
   */
  public Mono<Change> earn(String personId, long amount, String key, String reason, String operator,
                           Instant expiresAtOverride) {
    return Mono.defer(() -> {
      Instant now = clock.instant();
      requirePositive(amount, "amount");
      Instant expiresAt = expiresAtOverride != null ? expiresAtOverride : defaultExpiry(now);
      // A past expiry is refused by the script after its idempotency lookup (status invalid), so the
      // replay of an earn applied before that expiry passed still answers the original outcome.
      return change(personId, "earn", now, key, reason, operator, amount, expiresAt.toEpochMilli(),
          expiresAtOverride == null ? "" : Long.toString(expiresAtOverride.toEpochMilli()));
    });
  }

  /** Spends {@code amount} first-to-expire-first; {@link Outcome#INSUFFICIENT} (nothing written) above the balance. */
  public Mono<Change> redeem(String personId, long amount, String key, String reason, String operator) {
    return Mono.defer(() -> {
      requirePositive(amount, "amount");
      return change(personId, "redeem", clock.instant(), key, reason, operator, amount, 0, "");
    });
  }

  /** An operator correction: a positive delta creates a lot (default expiry), a negative one spends FIFO. */
  public Mono<Change> adjust(String personId, long delta, String key, String reason, String operator) {
    return Mono.defer(() -> {
      if (delta == 0 || Math.abs(delta) > MAX_AMOUNT) {
        throw new PointsException(PointsException.Reason.INVALID, "delta must be non-zero and at most " + MAX_AMOUNT + " in size");
      }
      Instant now = clock.instant();
      long expiresAt = delta > 0 ? defaultExpiry(now).toEpochMilli() : 0;
      return change(personId, "adjust", now, key, reason, operator, delta, expiresAt, "");
    });
  }

  /**
   * Moves the expiry of every live lot expiring before {@code cutoff} by {@code by}; one ledger
   * {@code extend} entry (amount 0) when any points moved. Idempotent on {@code key}.
   */
  public Mono<Extension> extend(String personId, Instant cutoff, Duration by, String key, String reason, String operator) {
    return Mono.defer(() -> {
      if (by.isNegative() || by.isZero()) {
        throw new PointsException(PointsException.Reason.INVALID, "an extension must be positive");
      }
      return run(personId, "extend", clock.instant(), key, reason, operator, 0, cutoff.toEpochMilli(), by.toMillis(),
          digest("extend|" + cutoff.toEpochMilli() + "|" + by.toMillis() + "|" + (reason == null ? "" : reason)))
          .map(r -> {
            String[] extra = r.extra().split(":", -1);
            long pts = Long.parseLong(extra[0]);
            Instant newExpiry = pts > 0 ? Instant.ofEpochMilli(Long.parseLong(extra[1])) : null;
            return new Extension(personId, key, pts, newExpiry, r.status().equals("duplicate"));
          });
    });
  }

  /** Expires the person's due lots (the expiry job's per-person step); empty when the person is unknown. */
  Mono<Expired> expire(String personId) {
    return run(personId, "expire", clock.instant(), "", "", "", 0, 0, 0, "")
        .map(r -> new Expired(r.balance(), r.nextExpiry()))
        .onErrorResume(e -> e instanceof PointsException pe && pe.reason() == PointsException.Reason.UNKNOWN_PERSON,
            e -> Mono.empty());
  }

  /** The live balance and lots (lots expired but not yet processed are left out, as is their amount). */
  public Mono<Balance> balance(String personId) {
    long now = clock.millis();
    return redis.<String, String>opsForHash().entries(RedisKeys.pointsLots(personId))
        .filter(e -> !e.getKey().equals("n"))
        .map(e -> parseLot(e.getKey(), e.getValue()))
        .filter(l -> l.expiresAt().toEpochMilli() > now)
        .sort(Comparator.comparing(Lot::expiresAt).thenComparingLong(Lot::id))
        .collectList()
        .map(lots -> new Balance(personId, lots.stream().mapToLong(Lot::remaining).sum(), lots));
  }

  /** Points expiring within {@code within} from now, and the earliest date among them. */
  public Mono<Expiring> expiring(String personId, Duration within) {
    return balance(personId).map(b -> b.expiringBefore(clock.instant().plus(within)));
  }

  /** Ledger entries, newest first. */
  public Flux<LedgerEntry> ledger(String personId, long offset, long limit) {
    return redis.opsForList().range(RedisKeys.pointsLedger(personId), offset, offset + limit - 1)
        .map(Points::parseEntry);
  }

  /** Whether the person has a profile (points operations on unknown persons are refused). */
  public Mono<Boolean> personExists(String personId) {
    return redis.hasKey(RedisKeys.person(personId));
  }

  /** Top balances, highest first. */
  public Flux<Map.Entry<String, Long>> leaderboard(int limit) {
    return redis.opsForZSet().reverseRangeWithScores(RedisKeys.pointsLeaderboard(), Range.closed(0L, (long) limit - 1))
        .collectList().flatMapMany(Flux::fromIterable)
        .map(t -> Map.entry(t.getValue(), t.getScore() == null ? 0L : t.getScore().longValue()));
  }

  private Mono<Change> change(String personId, String op, Instant now, String key, String reason, String operator,
                              long amount, long expiresAt, String requestedExpiry) {
    // The default expiry depends on the time of the call, so only an explicit one is part of the request.
    String fingerprint = op + "|" + amount + "|" + requestedExpiry + "|" + (reason == null ? "" : reason);
    return run(personId, op, now, key, reason, operator, amount, expiresAt, 0, digest(fingerprint))
        .map(r -> {
          boolean replay = r.status().equals("duplicate");
          Outcome outcome = r.status().equals("insufficient") ? Outcome.INSUFFICIENT : Outcome.APPLIED;
          Long lotId = outcome == Outcome.APPLIED && !r.extra().isEmpty() ? Long.valueOf(r.extra()) : null;
          return new Change(personId, key, outcome, r.amount(), r.balanceAfter(), r.at(), replay, lotId);
        });
  }

  private record Reply(String status, long amount, long balanceAfter, Instant at, String extra, Instant nextExpiry,
                       long balance, long version) {}

  private Mono<Reply> run(String personId, String op, Instant now, String key, String reason, String operator,
                          long amount, long arg9, long arg10, String fingerprint) {
    requireText(personId, "personId", 128);
    if (!op.equals("expire")) {
      requireText(key, "key", MAX_TEXT);
      if (reason != null && reason.length() > MAX_TEXT) {
        throw new PointsException(PointsException.Reason.INVALID, "reason must be at most " + MAX_TEXT + " characters");
      }
    }
    List<String> keys = List.of(RedisKeys.person(personId), RedisKeys.pointsLots(personId),
        RedisKeys.pointsLotsByExpiry(personId), RedisKeys.pointsLedger(personId), RedisKeys.pointsKeys(personId),
        RedisKeys.pointsOutcomes(personId));
    List<String> args = List.of(op, Long.toString(now.toEpochMilli()), key, fingerprint,
        Long.toString(now.plus(props.idempotencyRetention()).toEpochMilli()), reason == null ? "" : reason,
        operator == null ? "" : operator, Long.toString(amount), Long.toString(arg9), Long.toString(arg10));
    return redis.execute(CHANGE, keys, args).next()
        .map(Points::reply)
        .doOnNext(r -> meters.counter("siyu.points.operations", "op", op, "status", r.status()).increment())
        .flatMap(r -> switch (r.status()) {
          case "unknown-person" -> Mono.error(new PointsException(PointsException.Reason.UNKNOWN_PERSON,
              "no person with this id"));
          case "key-reused" -> Mono.error(new PointsException(PointsException.Reason.KEY_REUSED,
              "idempotency key " + key + " was used before with different arguments"));
          case "invalid" -> Mono.error(new PointsException(PointsException.Reason.INVALID,
              "expiresAt must be in the future"));
          default -> afterChange(personId, r).thenReturn(r);
        });
  }

  /** The global side effects, each idempotent: repeated in full by a retry or replay. */
  private Mono<Void> afterChange(String personId, Reply r) {
    // The notice index goes with the due index: a lot it lowers to an already noticed day costs one look.
    Mono<Long> due = r.nextExpiry() == null ? Mono.empty()
        : redis.execute(LOWER, List.of(RedisKeys.pointsDue()),
            List.of(Long.toString(r.nextExpiry().toEpochMilli()), personId)).next()
            .then(redis.execute(LOWER, List.of(RedisKeys.pointsNoticeDue()), List.of(Long.toString(
                r.nextExpiry().minus(props.expiringNoticeLead()).toEpochMilli()), personId)).next());
    Mono<Long> board = redis.execute(LEADERBOARD,
        List.of(RedisKeys.pointsLeaderboard(), RedisKeys.pointsLeaderboardVersions()),
        List.of(personId, Long.toString(r.balance()), Long.toString(r.version()))).next();
    // A replay marks again: the crash it repairs may have come between the leaderboard and the mark.
    boolean replay = r.status().equals("duplicate");
    return due.then(board)
        .flatMap(written -> written > 0 || replay ? profileChanges.changed(personId) : Mono.empty()).then();
  }

  @SuppressWarnings("rawtypes")
  private static Reply reply(List raw) {
    List<String> s = new ArrayList<>(raw.size());
    for (Object o : raw) {
      s.add(o == null ? "" : o.toString());
    }
    return new Reply(s.get(0), parseLong(s.get(1)), parseLong(s.get(2)), Instant.ofEpochMilli(parseLong(s.get(3))),
        s.get(4), s.get(5).isEmpty() ? null : Instant.ofEpochMilli((long) Double.parseDouble(s.get(5))),
        parseLong(s.get(6)), parseLong(s.get(7)));
  }

  private static long parseLong(String s) {
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }

  static Lot parseLot(String id, String value) {
    String[] p = value.split(":");
    return new Lot(Long.parseLong(id), Long.parseLong(p[1]), Long.parseLong(p[0]),
        Instant.ofEpochMilli(Long.parseLong(p[2])), Instant.ofEpochMilli(Long.parseLong(p[3])));
  }

  static LedgerEntry parseEntry(String json) {
    JsonNode n = JSON.readTree(json);
    List<LotPart> parts = new ArrayList<>();
    JsonNode lots = n.path("lots");
    if (lots.isArray()) {
      for (JsonNode p : lots) {
        Instant newExpiry = "extend".equals(n.path("t").asString()) && p.size() > 2
            ? Instant.ofEpochMilli(p.get(2).asLong()) : null;
        parts.add(new LotPart(p.get(0).asLong(), p.get(1).asLong(), newExpiry));
      }
    }
    return new LedgerEntry(n.path("t").asString(), n.path("a").asLong(), n.path("b").asLong(),
        text(n, "r"), text(n, "o"), text(n, "k"), Instant.ofEpochMilli(n.path("at").asLong()),
        n.has("lot") ? n.get("lot").asLong() : null, n.has("pts") ? n.get("pts").asLong() : null,
        n.has("exp") ? Instant.ofEpochMilli(n.get("exp").asLong()) : null, parts);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() || v.asString().isEmpty() ? null : v.asString();
  }

  /**
   * 12 hex characters of SHA-256: keeps the stored outcome under Redis's 64-byte compact-encoding limit
   * (hash-max-listpack-value) however long the reason; a collision only matters for a reused key.
   */
  static String digest(String request) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static void requirePositive(long amount, String field) {
    if (amount <= 0 || amount > MAX_AMOUNT) {
      throw new PointsException(PointsException.Reason.INVALID, field + " must be between 1 and " + MAX_AMOUNT);
    }
  }

  private static void requireText(String value, String field, int max) {
    if (value == null || value.isBlank() || value.length() > max) {
      throw new PointsException(PointsException.Reason.INVALID, field + " must be 1 to " + max + " characters");
    }
  }
}

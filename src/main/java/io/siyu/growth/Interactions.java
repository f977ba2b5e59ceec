package io.siyu.growth;

import io.siyu.growth.GrowthProperties.Kind;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Records interactions: once per {@code kind:key} and person however often the source repeats, growth
 * value within the per-kind and global daily caps (days in {@code siyu.zone}, by the processing clock),
 * level, counters and rolling windows, in one script on the person's slot ({@code growth/record.lua});
 * then the leaderboard, the {@code interaction} / {@code level_up} events and the profile-change mark.
 * A replay changes nothing but publishes the interaction event again (same key), so a crash between the
 * script and the event loses nothing.
 *
 * <p>A kind with {@code points} &gt; 0 also earns that many points, keyed {@code ix:<kind>:<key>}: on the
 * first record and again on every replay, since the earn is idempotent on its key, so a crash between the
 * script and the earn is repaired by the source's redelivery.
 */
@Component
public class Interactions {

  private static final RedisScript<String> RECORD = LuaScripts.load("growth/record.lua", String.class);
  static final int MAX_KEY_LENGTH = 128;
  static final int MAX_ATTR_LENGTH = 64;
  private static final long MAX_AMOUNT_FEN = 100_000_000_000L; // a billion yuan: anything above is a bug upstream

  private final ReactiveStringRedisTemplate redis;
  private final GrowthProperties props;
  private final LevelTable levels;
  private final GrowthFollowUp followUp;
  private final Points points;
  private final Clock clock;
  private final ZoneId zone;
  private final List<String> thresholdArgs;
  private final List<Integer> windowDays;

  Interactions(ReactiveStringRedisTemplate redis, GrowthProperties props, GrowthFollowUp followUp,
      Points points, Clock clock, SiyuProperties siyu) {
    this.points = points;
    this.redis = redis;
    this.props = props;
    this.levels = LevelTable.of(props);
    this.followUp = followUp;
    this.clock = clock;
    this.zone = siyu.zone();
    List<String> t = new ArrayList<>();
    t.add(Integer.toString(levels.levels()));
    levels.thresholds().forEach(x -> t.add(Long.toString(x)));
    this.thresholdArgs = List.copyOf(t);
    this.windowDays = props.windowDays();
  }

  public LevelTable levels() {
    return levels;
  }

  /** The configured kind, or an {@link InvalidInteractionException} ({@code unknown-kind}). */
  public Kind requireKind(String kind) {
    Kind k = kind == null ? null : props.kind(kind);
    if (k == null) {
      throw new InvalidInteractionException("unknown-kind", "kind", "unknown interaction kind '" + kind
          + "'; configured kinds: " + props.kinds().keySet());
    }
    return k;
  }

  /**
   * Records one interaction. Errors: {@link InvalidInteractionException} (unknown kind, bad key or
   * attribute), {@link UnknownPersonException}; in both cases nothing is written.
   */
  public Mono<Recorded> record(Interaction ix) {
    return Mono.defer(() -> {
      Kind kind = requireKind(ix.kind());
      String attr = validate(ix, kind);
      Instant now = clock.instant();
      Instant at = ix.at() != null ? ix.at() : now;
      long weight = kind.growth();
      if (kind.perYuan() != null && ix.attrs().containsKey("amount")) {
        weight += (long) Math.floor(Long.parseLong(ix.attrs().get("amount")) * kind.perYuan() / 100.0);
      }
      List<String> args = new ArrayList<>(16 + thresholdArgs.size() + 2 * windowDays.size());
      args.add(ix.kind());
      args.add(ix.kind() + ":" + ix.key());
      args.add(Long.toString(now.toEpochMilli()));
      args.add(Long.toString(now.plus(props.retention(kind)).toEpochMilli()));
      args.add(Long.toString(LocalDate.ofInstant(now, zone).toEpochDay()));
      args.add(Long.toString(weight));
      args.add(kind.dailyCap() == null ? "-1" : Long.toString(kind.dailyCap()));
      args.add(Long.toString(props.dailyCap()));
      args.add(kind.activity() ? "1" : "0");
      args.add(Long.toString(at.toEpochMilli()));
      args.add(attr);
      args.addAll(thresholdArgs);
      args.add(Integer.toString(windowDays.size()));
      for (int days : windowDays) {
        args.add(Integer.toString(days));
        args.add(Long.toString(Windows.period(days, at, zone)));
      }
      String person = ix.personId();
      return redis.execute(RECORD, List.of(RedisKeys.person(person), RedisKeys.interactionsSeen(person)), args).next()
          .flatMap(r -> {
            if (r.equals("-1")) {
              return Mono.error(new UnknownPersonException(person));
            }
            String[] res = r.split(":");
            Recorded rec = new Recorded(res[0].equals("1"), Long.parseLong(res[1]), Long.parseLong(res[2]),
                Integer.parseInt(res[3]), Integer.parseInt(res[4]), person, ix.kind(), ix.key());
            int published = Integer.parseInt(res[5]);
            // The leaderboard only moves when growth did; a replay repeats the write in case the first
            // attempt died before it. A replay also publishes the interaction event again (same key).
            Mono<Void> after = followUp.afterInteraction(person, rec.growthAdded() > 0 || !rec.first(), rec.growth(),
                ix.kind(), ix.key(), at.toEpochMilli(), rec.growthAdded(), published, rec.level());
            return (kind.points() > 0 ? Mono.when(after, award(kind, rec)) : after).thenReturn(rec);
          });
    });
  }

  /** The kind's points, earned once per interaction (the earn is idempotent on {@code ix:<kind>:<key>}). */
  private Mono<Void> award(Kind kind, Recorded rec) {
    if (kind.points() <= 0) {
      return Mono.empty();
    }
    return points.earn(rec.personId(), kind.points(), "ix:" + rec.kind() + ":" + rec.key(), rec.kind(), "system", null)
        // The kind's points changed in config since the first award: it was awarded then, so nothing is due.
        .onErrorResume(e -> e instanceof PointsException p && p.reason() == PointsException.Reason.KEY_REUSED, e -> Mono.empty())
        .then();
  }

  /** Checks key and attributes; returns the one attribute the script needs ('' if none). */
  private static String validate(Interaction ix, Kind kind) {
    if (ix.personId() == null || ix.personId().isBlank() || ix.personId().length() > MAX_KEY_LENGTH) {
      throw new InvalidInteractionException("invalid-interaction", "person", "person must be 1 to " + MAX_KEY_LENGTH + " characters");
    }
    if (ix.key() == null || ix.key().isBlank() || ix.key().length() > MAX_KEY_LENGTH) {
      throw new InvalidInteractionException("invalid-interaction", "key", "key must be 1 to " + MAX_KEY_LENGTH + " characters");
    }
    for (Map.Entry<String, String> e : ix.attrs().entrySet()) {
      if (e.getValue() == null || e.getValue().length() > MAX_ATTR_LENGTH) {
        throw new InvalidInteractionException("invalid-interaction", "attrs." + e.getKey(),
            "attribute values are 0 to " + MAX_ATTR_LENGTH + " characters");
      }
    }
    String amount = ix.attrs().get("amount");
    if ("order".equals(ix.kind()) && amount == null) {
      throw new InvalidInteractionException("invalid-interaction", "attrs.amount", "an order needs attrs.amount (fen)");
    }
    if (amount != null) {
      nonNegative(amount, "attrs.amount", MAX_AMOUNT_FEN);
    }
    return switch (ix.kind()) {
      case "order" -> amount;
      case "ugc" -> {
        String eng = ix.attrs().get("engagement");
        if (eng != null) {
          nonNegative(eng, "attrs.engagement", 1_000_000_000L);
        }
        yield eng == null ? "" : eng;
      }
      case "group_joined", "group_left" -> {
        String chat = ix.attrs().get("chatId");
        if (chat == null || chat.isBlank()) {
          throw new InvalidInteractionException("invalid-interaction", "attrs.chatId", ix.kind() + " needs attrs.chatId");
        }
        yield chat;
      }
      default -> "";
    };
  }

  private static void nonNegative(String value, String field, long max) {
    boolean ok = value != null && !value.isEmpty() && value.length() <= 18 && value.chars().allMatch(Character::isDigit)
        && Long.parseLong(value) <= max;
    if (!ok) {
      throw new InvalidInteractionException("invalid-interaction", field, field + " must be a non-negative integer up to " + max);
    }
  }
}

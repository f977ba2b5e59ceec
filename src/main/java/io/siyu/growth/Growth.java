package io.siyu.growth;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Growth value besides interactions: audited corrections (the only other way it changes), and reads of a
 * person's growth, the corrections and the leaderboard.
 */
@Component
public class Growth {

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> CORRECT = LuaScripts.load("growth/correct.lua", List.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  static final int MAX_CORRECTIONS_KEPT = 1000;

  /** One audit entry. */
  public record Correction(String key, long delta, String reason, String operator, Instant at) {}

  /**
   * @param first false for a replayed key (nothing changed)
   */
  public record Corrected(boolean first, long growth, int level, int previousLevel) {}

  /** The result would be below 0: nothing written. */
  public static class BelowZeroException extends IllegalArgumentException {
    public final long growth;

    BelowZeroException(long growth, long delta) {
      super("a correction of " + delta + " would take the growth value " + growth + " below 0");
      this.growth = growth;
    }
  }

  private final ReactiveStringRedisTemplate redis;
  private final GrowthProperties props;
  private final LevelTable levels;
  private final GrowthFollowUp followUp;
  private final Clock clock;
  private final List<String> thresholdArgs;

  Growth(ReactiveStringRedisTemplate redis, GrowthProperties props, Interactions interactions, GrowthFollowUp followUp,
      Clock clock) {
    this.redis = redis;
    this.props = props;
    this.levels = interactions.levels();
    this.followUp = followUp;
    this.clock = clock;
    List<String> t = new ArrayList<>();
    t.add(Integer.toString(levels.levels()));
    levels.thresholds().forEach(x -> t.add(Long.toString(x)));
    this.thresholdArgs = List.copyOf(t);
  }

  public LevelTable levels() {
    return levels;
  }

  /**
   * Adds {@code delta} (positive or negative) to the person's growth, idempotent on {@code key}; the level
   * follows (it can go down). Errors: {@link UnknownPersonException}, {@link BelowZeroException}.
   */
  public Mono<Corrected> correct(String personId, String key, long delta, String reason, String operator) {
    return Mono.defer(() -> {
      Instant now = clock.instant();
      String entry = JSON.writeValueAsString(new Correction(key, delta, reason, operator, now));
      List<String> args = new ArrayList<>(List.of("correction:" + key, Long.toString(now.toEpochMilli()),
          Long.toString(now.plus(props.dedupeRetention()).toEpochMilli()), Long.toString(delta), entry,
          Integer.toString(MAX_CORRECTIONS_KEPT)));
      args.addAll(thresholdArgs);
      List<String> keys = List.of(RedisKeys.person(personId), RedisKeys.interactionsSeen(personId),
          RedisKeys.growthCorrections(personId));
      return redis.execute(CORRECT, keys, args).next().flatMap(r -> {
        List<?> res = r;
        long code = (Long) res.get(0);
        if (code == -1) {
          return Mono.error(new UnknownPersonException(personId));
        }
        if (code == -2) {
          return Mono.error(new BelowZeroException((Long) res.get(1), delta));
        }
        Corrected c = new Corrected(code == 1, (Long) res.get(1), ((Long) res.get(2)).intValue(),
            ((Long) res.get(3)).intValue());
        int published = ((Long) res.get(4)).intValue();
        return followUp.afterCorrection(personId, c.growth(), published, c.level()).thenReturn(c);
      });
    });
  }

  /** The person's profile hash (empty when unknown). */
  public Mono<Map<String, String>> profile(String personId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.person(personId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new);
  }

  /** The latest corrections, newest first. */
  public Flux<Correction> corrections(String personId, int limit) {
    return redis.opsForList().range(RedisKeys.growthCorrections(personId), 0, limit - 1)
        .map(json -> JSON.readValue(json, Correction.class));
  }

  /** One leaderboard row. */
  public record Ranked(int rank, String personId, String name, long growth, int level) {}

  /** The top {@code limit} persons by growth. */
  public Flux<Ranked> leaderboard(int limit) {
    // Collected before the per-row reads: issuing commands while a multi-element reply is still streaming
    // on the shared connection stalls Lettuce (it stops reading until the stream is consumed).
    return redis.opsForZSet().reverseRangeWithScores(RedisKeys.growthLeaderboard(), Range.closed(0L, limit - 1L))
        .collectList()
        .flatMapMany(Flux::fromIterable)
        .index()
        .flatMapSequential(t -> {
          String id = t.getT2().getValue();
          long growth = t.getT2().getScore().longValue();
          return redis.<String, String>opsForHash().multiGet(RedisKeys.person(id), List.of("name", "level"))
              .map(v -> new Ranked(t.getT1().intValue() + 1, id, v.get(0),
                  growth, v.get(1) == null ? levels.levelOf(growth) : Integer.parseInt(v.get(1))));
        }, 32);
  }
}

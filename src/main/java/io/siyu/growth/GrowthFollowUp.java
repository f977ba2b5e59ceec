package io.siyu.growth;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The global side effects that follow a per-person growth script, all idempotent so a retry or a replay
 * repairs a crash in between: the leaderboard (absolute value), level_up events for every level above
 * the one already published, and the profile-change mark. {@link #afterInteraction} and
 * {@link #afterCorrection} write them in one call ({@code growth/after.lua}: the keys share the
 * {@link RedisKeys#GLOBAL_TAG} slot), then record the published level on the person's slot.
 */
@Component
class GrowthFollowUp {

  private static final RedisScript<Long> RAISE_PUBLISHED = LuaScripts.load("growth/raise_published_level.lua", Long.class);
  private static final RedisScript<Long> AFTER = LuaScripts.load("growth/after.lua", Long.class);
  private static final List<String> AFTER_KEYS =
      List.of(RedisKeys.growthLeaderboard(), RedisKeys.events(), RedisKeys.audienceDirty());

  private final ReactiveStringRedisTemplate redis;
  private final Events events;
  private final Clock clock;

  GrowthFollowUp(ReactiveStringRedisTemplate redis, Events events, Clock clock) {
    this.redis = redis;
    this.events = events;
    this.clock = clock;
  }

  /**
   * After a recorded interaction: the leaderboard when {@code board}, the interaction event (key
   * {@link Events#interactionKey}), level_up for levels {@code published+1 .. level}, the mark.
   */
  Mono<Void> afterInteraction(String personId, boolean board, long growth, String kind, String key, long atMillis,
      long growthAdded, int published, int level) {
    // Growth from interactions only rises, so the leaderboard only rises here (ZADD GT): two instances
    // recording for one person may finish in either order, and the lower total must not win.
    List<String> args = start(personId, board ? "gt" : "0", growth, 1 + Math.max(0, level - published));
    Events.appendArgs(args, Events.INTERACTION, Events.interactionKey(personId, kind, key), personId, atMillis,
        "kind", kind, "growth", Long.toString(growthAdded));
    return finish(args, personId, published, level);
  }

  /** After a growth correction: the leaderboard, level_up for levels {@code published+1 .. level}, the mark. */
  Mono<Void> afterCorrection(String personId, long growth, int published, int level) {
    // A correction may lower growth: the absolute value. (An interaction of the same person racing it on
    // another instance can still raise the board to its pre-correction total; the next correction or any
    // later interaction that passes it repairs that.)
    return finish(start(personId, "set", growth, Math.max(0, level - published)), personId, published, level);
  }

  private List<String> start(String personId, String board, long growth, int eventCount) {
    List<String> args = new ArrayList<>(6 + 11 * eventCount);
    args.add(personId);
    args.add(board);
    args.add(Long.toString(growth));
    args.add(Long.toString(clock.millis()));
    args.add(events.maxLengthArg());
    args.add(Integer.toString(eventCount));
    return args;
  }

  private Mono<Void> finish(List<String> args, String personId, int published, int level) {
    if (level > published) {
      long now = Long.parseLong(args.get(3));
      for (int l = published + 1; l <= level; l++) {
        Events.appendArgs(args, Events.LEVEL_UP, Events.levelUpKey(personId, l), personId, now,
            "level", Integer.toString(l), "from", Integer.toString(l - 1));
      }
      return redis.execute(AFTER, AFTER_KEYS, args).then(raisePublished(personId, level));
    }
    return redis.execute(AFTER, AFTER_KEYS, args).then();
  }

  private Mono<Void> raisePublished(String personId, int level) {
    return redis.execute(RAISE_PUBLISHED, List.of(RedisKeys.person(personId)), List.of(Integer.toString(level))).then();
  }
}

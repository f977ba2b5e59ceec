package io.siyu.growth;

import io.siyu.audience.ProfileChanges;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The global side effects that follow a per-person growth script, all idempotent so a retry or a replay
 * repairs a crash in between: the leaderboard (absolute value), level_up events for every level above
 * the one already published, and the profile-change mark.
 */
@Component
class GrowthFollowUp {

  private static final RedisScript<Long> RAISE_PUBLISHED = LuaScripts.load("growth/raise_published_level.lua", Long.class);

  private final ReactiveStringRedisTemplate redis;
  private final Events events;
  private final ProfileChanges changes;
  private final Clock clock;

  GrowthFollowUp(ReactiveStringRedisTemplate redis, Events events, ProfileChanges changes, Clock clock) {
    this.redis = redis;
    this.events = events;
    this.changes = changes;
    this.clock = clock;
  }

  Mono<Void> leaderboard(String personId, long growth) {
    return growth > 0
        ? redis.opsForZSet().add(RedisKeys.growthLeaderboard(), personId, growth).then()
        : redis.opsForZSet().remove(RedisKeys.growthLeaderboard(), personId).then();
  }

  Mono<Void> changed(String personId) {
    return changes.changed(personId);
  }

  /** Publishes level_up for levels {@code published+1 .. level}, then records that they were published. */
  Mono<Void> levelUps(String personId, int published, int level) {
    if (level <= published) {
      return Mono.empty();
    }
    java.time.Instant now = clock.instant();
    return Flux.range(published + 1, level - published)
        .concatMap(l -> events.publish(Events.LEVEL_UP, Events.levelUpKey(personId, l), personId, now,
            Map.of("level", Integer.toString(l), "from", Integer.toString(l - 1))))
        .then(redis.execute(RAISE_PUBLISHED, List.of(RedisKeys.person(personId)), List.of(Integer.toString(level))).then());
  }
}

package io.siyu.audience;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Marks a person whose profile changed, so the audience evaluator recomputes their scores and segments.
 * Call it after the script that changed the profile, in the same reactive chain: the mark lives in
 * another slot (a global set), and a failed mark fails the caller, whose retry repeats it.
 * Marks coalesce: many changes of one person before the evaluator runs cost one evaluation.
 */
@Component
public class ProfileChanges {

  private static final RedisScript<Long> MARK = LuaScripts.load("audience/mark_dirty.lua", Long.class);

  private final ReactiveStringRedisTemplate redis;
  private final Clock clock;

  ProfileChanges(ReactiveStringRedisTemplate redis, Clock clock) {
    this.redis = redis;
    this.clock = clock;
  }

  public Mono<Void> changed(String personId) {
    // ZADD NX (not in the reactive template's API) keeps the earliest mark so a person who changes
    // constantly is not starved.
    return redis.execute(MARK, List.of(RedisKeys.audienceDirty()), List.of(Long.toString(clock.millis()), personId)).then();
  }
}

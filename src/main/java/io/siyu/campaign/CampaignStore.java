package io.siyu.campaign;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Campaigns in Redis: one hash per campaign (JSON, state, version) and an index by creation time. */
@Component
class CampaignStore {

  private static final RedisScript<Long> CREATE = LuaScripts.load("campaign/create.lua", Long.class);
  private static final RedisScript<Long> CAS = LuaScripts.load("campaign/cas.lua", Long.class);
  static final JsonMapper JSON = JsonMapper.builder().build();

  /** Outcome of a compare-and-set. */
  enum Cas { DONE, CONFLICT, MISSING }

  private final ReactiveStringRedisTemplate redis;

  CampaignStore(ReactiveStringRedisTemplate redis) {
    this.redis = redis;
  }

  /** False when the id is taken (nothing written). */
  Mono<Boolean> create(Campaign c) {
    return redis.execute(CREATE, List.of(RedisKeys.campaign(c.id()), RedisKeys.campaignIndex()),
            List.of(JSON.writeValueAsString(c), c.state().id(), Long.toString(c.version()),
                Long.toString(c.createdAt().toEpochMilli()), c.id()))
        .next().map(r -> r == 1L);
  }

  /** Writes {@code next} if the stored version is still {@code expectedVersion}. */
  Mono<Cas> replace(long expectedVersion, Campaign next) {
    return cas(expectedVersion, "set", next.id(), JSON.writeValueAsString(next), next.state().id(),
        Long.toString(next.version()), next.nextRunAt() == null ? "" : Long.toString(next.nextRunAt().toEpochMilli()));
  }

  Mono<Cas> delete(long expectedVersion, String id) {
    return cas(expectedVersion, "del", id, "", "", "", "");
  }

  private Mono<Cas> cas(long expected, String op, String id, String json, String state, String version, String next) {
    return redis.execute(CAS, List.of(RedisKeys.campaign(id), RedisKeys.campaignIndex(), RedisKeys.campaignDue()),
            List.of(Long.toString(expected), op, json, state, version, id, next))
        .next().map(r -> r == 1L ? Cas.DONE : r == 0L ? Cas.CONFLICT : Cas.MISSING);
  }

  /** Ids of campaigns whose next run is due at {@code nowMillis} (scheduled, running or paused). */
  Flux<String> due(long nowMillis, int limit) {
    return redis.opsForZSet().rangeByScore(RedisKeys.campaignDue(),
        org.springframework.data.domain.Range.closed(Double.NEGATIVE_INFINITY, (double) nowMillis),
        org.springframework.data.redis.connection.Limit.limit().count(limit))
        .collectList().flatMapMany(Flux::fromIterable); // callers send commands per id: see CampaignRuns#active
  }

  Mono<Campaign> find(String id) {
    return redis.<String, String>opsForHash().get(RedisKeys.campaign(id), "json")
        .map(json -> JSON.readValue(json, Campaign.class));
  }

  /** Newest first, at most {@code limit}. */
  Flux<Campaign> list(int limit) {
    return redis.opsForZSet().reverseRange(RedisKeys.campaignIndex(), org.springframework.data.domain.Range.closed(
            0L, (long) limit - 1))
        .collectList().flatMapMany(Flux::fromIterable) // see CampaignRuns#active
        .concatMap(this::find);
  }
}

package io.siyu.campaign;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Campaign runs in Redis, in the {campaign} slot with the campaigns (runs are few, one per fire, and change
 * once per page): the run hash, the planner lease, the active runs and each campaign's runs.
 */
@Component
class CampaignRuns {

  private static final RedisScript<Long> START = LuaScripts.load("campaign/start-run.lua", Long.class);
  private static final RedisScript<Long> LEASE = LuaScripts.load("campaign/lease.lua", Long.class);
  private static final RedisScript<Long> RELEASE = LuaScripts.load("campaign/lease-release.lua", Long.class);
  private static final RedisScript<Long> SAVE = LuaScripts.load("campaign/run-save.lua", Long.class);
  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> SSCAN = LuaScripts.load("campaign/sscan.lua", List.class);
  private static final RedisScript<Long> CAP = LuaScripts.load("campaign/cap-reserve.lua", Long.class);

  /** Run states: {@code planning} (or waiting to be resumed), {@code paused}, {@code planned}, {@code cancelled}. */
  static final String PLANNING = "planning";
  static final String PAUSED = "paused";
  static final String PLANNED = "planned";
  static final String CANCELLED = "cancelled";

  /**
   * A run's record.
   *
   * @param cursor   the SSCAN cursor after the last planned page ("0" before the first and after the last)
   * @param scanDone the whole segment was scanned (what remains is completing the campaign)
   * @param scanned  members looked at (SSCAN may return one twice during a rehash)
   * @param planned  outbox entries created by this run
   * @param alreadyQueued persons whose entry existed already (a page re-planned after a crash, an SSCAN repeat)
   */
  record Run(String runId, String campaignId, String state, Instant fireAt, Instant startedAt, Instant updatedAt,
             Instant finishedAt, String cursor, boolean scanDone, long pages, long scanned, long planned,
             long alreadyQueued, Skipped skipped) {}

  /**
   * @param excluded    in an excluded segment
   * @param capped      over the campaign's per-person cap
   * @param noRecipient no profile, unfollowed, or no preferred channel can reach the person
   */
  record Skipped(long excluded, long capped, long noRecipient) {}

  /** One SSCAN page. */
  record Page(String cursor, List<String> members) {}

  private final ReactiveStringRedisTemplate redis;

  CampaignRuns(ReactiveStringRedisTemplate redis) {
    this.redis = redis;
  }

  static String runId(String campaignId, Instant fireAt) {
    return campaignId + ":" + fireAt.toEpochMilli();
  }

  /** The campaign's CAS (to {@code next}) and the run's creation, one script. */
  Mono<CampaignStore.Cas> start(long expectedVersion, Campaign next, String runId, Instant fireAt, Instant now) {
    List<String> keys = List.of(RedisKeys.campaign(next.id()), RedisKeys.campaignDue(), RedisKeys.campaignRun(runId),
        RedisKeys.campaignRunsActive(), RedisKeys.campaignRuns(next.id()));
    List<String> args = List.of(Long.toString(expectedVersion), CampaignStore.JSON.writeValueAsString(next),
        next.state().id(), Long.toString(next.version()), next.id(),
        next.nextRunAt() == null ? "" : Long.toString(next.nextRunAt().toEpochMilli()), runId,
        Long.toString(fireAt.toEpochMilli()), Long.toString(now.toEpochMilli()));
    return redis.execute(START, keys, args).next()
        .map(r -> r == 1L ? CampaignStore.Cas.DONE : r == 0L ? CampaignStore.Cas.CONFLICT : CampaignStore.Cas.MISSING);
  }

  /**
   * Collected before callers issue commands per run: commands sent while a multi-element reply is still
   * streaming on the shared connection stall Lettuce.
   */
  Flux<String> active() {
    return redis.opsForZSet().range(RedisKeys.campaignRunsActive(), org.springframework.data.domain.Range.unbounded())
        .collectList().flatMapMany(Flux::fromIterable);
  }

  /** The campaign's runs, newest first. */
  Flux<Run> ofCampaign(String campaignId, int limit) {
    return redis.opsForZSet().reverseRange(RedisKeys.campaignRuns(campaignId),
        org.springframework.data.domain.Range.closed(0L, (long) limit - 1))
        .collectList().flatMapMany(Flux::fromIterable).concatMap(this::find);
  }

  Mono<Run> find(String runId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.campaignRun(runId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .filter(h -> !h.isEmpty())
        .map(h -> new Run(runId, h.get("campaign"), h.get("state"), instant(h.get("fireAt")),
            instant(h.get("startedAt")), instant(h.get("updatedAt")), instant(h.get("finishedAt")),
            h.getOrDefault("cursor", "0"), "1".equals(h.get("scanDone")), num(h.get("pages")), num(h.get("scanned")),
            num(h.get("planned")), num(h.get("alreadyQueued")),
            new Skipped(num(h.get("excluded")), num(h.get("capped")), num(h.get("noRecipient")))));
  }

  Mono<Boolean> lease(String runId, String token, Instant now, java.time.Duration lease) {
    return redis.execute(LEASE, List.of(RedisKeys.campaignRunLease(runId)), List.of(token,
            Long.toString(now.toEpochMilli()), Long.toString(lease.toMillis()), Long.toString(lease.toMillis() * 10)))
        .next().map(r -> r == 1L);
  }

  Mono<Void> release(String runId, String token) {
    return redis.execute(RELEASE, List.of(RedisKeys.campaignRunLease(runId)), List.of(token)).then();
  }

  /**
   * Saves progress for the lease holder; false when the lease was lost (nothing saved).
   *
   * @param cursor   null keeps it
   * @param scanDone null keeps it
   * @param state    null keeps it
   */
  Mono<Boolean> save(String runId, String token, Instant now, String cursor, Boolean scanDone, String state,
                     Map<String, Long> counters) {
    List<String> args = new ArrayList<>(List.of(token, Long.toString(now.toEpochMilli()),
        cursor == null ? "" : cursor, scanDone == null ? "" : scanDone ? "1" : "0", state == null ? "" : state, runId));
    counters.forEach((k, v) -> {
      args.add(k);
      args.add(Long.toString(v));
    });
    return redis.execute(SAVE, List.of(RedisKeys.campaignRun(runId), RedisKeys.campaignRunLease(runId),
        RedisKeys.campaignRunsActive()), args).next().map(r -> r == 1L);
  }

  Mono<Page> page(String segment, String cursor, int count) {
    return redis.execute(SSCAN, List.of(RedisKeys.segmentMembers(segment)), List.of(cursor, Integer.toString(count)))
        .next().map(raw -> {
          List<String> members = new ArrayList<>();
          for (Object o : (List<?>) raw.get(1)) {
            members.add(String.valueOf(o));
          }
          return new Page(String.valueOf(raw.get(0)), members);
        });
  }

  /** True when the person may get this run's message under the campaign's lifetime cap (slot reserved). */
  Mono<Boolean> reserveCap(String personId, String campaignId, String runId, int cap, java.time.Duration retention) {
    return redis.execute(CAP, List.of(RedisKeys.campaignCap(personId, campaignId)),
        List.of(runId, Integer.toString(cap), Long.toString(retention.toMillis()))).next().map(r -> r == 1L);
  }

  private static long num(String s) {
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }

  private static Instant instant(String s) {
    return s == null || s.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(s));
  }
}

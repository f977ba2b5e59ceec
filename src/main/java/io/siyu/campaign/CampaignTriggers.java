package io.siyu.campaign;

import io.siyu.infra.Polling;
import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.growth.Events;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.connection.stream.StreamRecords;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Triggered campaigns: turns domain events into pending fires and fires them when due.
 *
 * <p>{@link #consume()}: reads {@link RedisKeys#events()} as one consumer of the group {@value #GROUP}
 * (created with MKSTREAM at {@code $} when missing), {@code batch} entries per read; for every scheduled or
 * running triggered campaign whose schedule matches the event ({@code interaction} + kind, {@code level_up})
 * it adds the fire {@code <campaignId>|<personId>|<eventKey>} to {@link RedisKeys#campaignFires()} with score
 * event time + delay (ZADD NX: a replayed event adds nothing new), hands the event to
 * {@link CampaignFeedback#onEvent} (replies and conversions), then XACKs. A scheduled campaign becomes
 * running at its first matching event (so it can be paused).
 *
 * <p>{@link #fireTick()}: due fires are claimed one by one ({@code campaign/fire-claim.lua} moves the score to
 * now + lease: one instance owns it), the campaign re-read: scheduled/running → {@link CampaignPlanner#fire}
 * (audience, exclusions, the condition on the profile NOW, cap, render, enqueue with key
 * {@code campaign:<id>:t:<eventKey>}), then removed; paused → looked at again after {@code paused-recheck};
 * gone, cancelled or completed → removed. A claimer that dies leaves the fire to come back after the lease.
 *
 * <p>{@link #claimStale()} (every {@code claim-interval}): events a dead consumer read but never acknowledged
 * are claimed with XAUTOCLAIM after {@code claim-idle} and go through the same {@code process} as fresh ones;
 * consumers idle longer than {@code consumer-retention} with nothing pending are deleted.
 */
@Component
class CampaignTriggers implements SmartLifecycle {

  static final String GROUP = "campaign-triggers";
  private static final Logger log = LoggerFactory.getLogger(CampaignTriggers.class);
  private static final RedisScript<String> CLAIM = LuaScripts.load("campaign/fire-claim.lua", String.class);
  // Spring Data Redis has no XAUTOCLAIM (only XCLAIM with known ids): a script, which also flattens the reply.
  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> AUTOCLAIM = LuaScripts.load("campaign/autoclaim.lua", List.class);
  private static final RedisScript<Long> PRUNE = LuaScripts.load("campaign/consumers-prune.lua", Long.class);
  private static final RedisScript<Long> ADD_NX = RedisScript.of(
      "return redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])", Long.class);
  private static final int MAX_ROUNDS = 100;
  private static final int CAMPAIGNS_READ = 10_000;

  private final ReactiveStringRedisTemplate redis;
  private final CampaignStore store;
  private final Campaigns campaigns;
  private final CampaignPlanner planner;
  private final CampaignFeedback feedback;
  private final CampaignProperties.Triggers props;
  private final Clock clock;
  private final MeterRegistry meters;
  private final String consumer;
  private volatile boolean recovered;
  private volatile Instant lastClaim = Instant.EPOCH;
  private volatile Disposable loop;

  CampaignTriggers(ReactiveStringRedisTemplate redis, CampaignStore store, Campaigns campaigns, CampaignPlanner planner,
                   CampaignFeedback feedback, CampaignProperties props, Clock clock, MeterRegistry meters) {
    this.feedback = feedback;
    this.redis = redis;
    this.store = store;
    this.campaigns = campaigns;
    this.planner = planner;
    this.props = props.triggers();
    this.clock = clock;
    this.meters = meters;
    this.consumer = this.props.consumer() == null || this.props.consumer().isBlank()
        ? "c-" + UUID.randomUUID() : this.props.consumer();
  }

  @Override
  public synchronized void start() {
    if (!props.enabled()) {
      log.info("campaign triggers disabled (siyu.campaign.triggers.enabled=false)");
      return;
    }
    if (loop == null) {
      ensureGroup().block(Duration.ofSeconds(30));
      loop = Polling.every(props.pollInterval(), "campaign trigger round",
          () -> consume().then(claimIfDue()).then(fireTick()));
      log.info("campaign triggers consumer {} started in group {}", consumer, GROUP);
    }
  }

  @Override
  public synchronized void stop() {
    if (loop != null) {
      loop.dispose();
      loop = null;
    }
  }

  @Override
  public boolean isRunning() {
    return loop != null;
  }

  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }

  /** Creates the consumer group at {@code $} (and the stream) unless it exists. */
  Mono<Void> ensureGroup() {
    ByteBuffer key = ByteBuffer.wrap(RedisKeys.events().getBytes(StandardCharsets.UTF_8));
    return redis.execute(c -> c.streamCommands().xGroupCreate(key, GROUP, ReadOffset.latest(), true))
        .then()
        .onErrorResume(e -> contains(e, "BUSYGROUP"), e -> Mono.empty());
  }

  /**
   * Reads events until none are left (at most {@value #MAX_ROUNDS} batches): first this consumer's own
   * unacknowledged entries (a restart under the same {@code consumer} name), then new ones. The number read.
   */
  Mono<Integer> consume() {
    Mono<Integer> own = recovered ? Mono.just(0) : rounds(ReadOffset.from("0")).doOnNext(n -> recovered = true);
    return own.flatMap(a -> rounds(ReadOffset.lastConsumed()).map(b -> a + b));
  }

  private Mono<Integer> rounds(ReadOffset offset) {
    int[] total = {0};
    return Mono.defer(() -> batch(offset)).repeat(MAX_ROUNDS - 1L)
        .takeUntil(n -> n < props.batch())
        .doOnNext(n -> total[0] += n)
        .then(Mono.fromSupplier(() -> total[0]));
  }

  private Mono<Integer> batch(ReadOffset offset) {
    java.util.Set<String> started = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Flux<MapRecord<String, Object, Object>> read = redis.opsForStream().read(Consumer.from(GROUP, consumer),
        StreamReadOptions.empty().count(props.batch()), StreamOffset.create(RedisKeys.events(), offset));
    return read.collectList()
        .onErrorResume(e -> contains(e, "NOGROUP"), e -> ensureGroup().thenReturn(List.of()))
        .flatMap(records -> records.isEmpty() ? Mono.just(0) : triggered().flatMap(cs -> Flux.fromIterable(records)
            .concatMap(r -> process(cs, r, started))
            .then(Mono.just(records.size()))));
  }

  /** One event, read fresh or claimed from a dead consumer: its fires, then the XACK. */
  private Mono<Void> process(List<Campaign> cs, MapRecord<String, Object, Object> r, java.util.Set<String> started) {
    return schedule(cs, r, started)
        .then(feedback.onEvent(r.getValue()))
        .then(redis.opsForStream().acknowledge(RedisKeys.events(), GROUP, r.getId()))
        .then();
  }

  private Mono<Integer> claimIfDue() {
    Instant now = clock.instant();
    if (now.isBefore(lastClaim.plus(props.claimInterval()))) {
      return Mono.just(0);
    }
    lastClaim = now;
    return claimStale();
  }

  /**
   * Takes over events pending longer than {@code claim-idle} with another consumer of the group (one that
   * died: its random name never reads again) and processes them like fresh ones; then deletes consumers
   * idle longer than {@code consumer-retention} with nothing pending. The number of events claimed.
   */
  Mono<Integer> claimStale() {
    return claimStale(props.claimIdle(), props.consumerRetention());
  }

  Mono<Integer> claimStale(Duration idle, Duration retention) {
    int[] total = {0};
    String[] cursor = {"0-0"};
    return Mono.defer(() -> claimBatch(cursor[0], idle)).repeat(MAX_ROUNDS - 1L)
        .doOnNext(c -> {
          cursor[0] = c.next();
          total[0] += c.claimed();
        })
        .takeUntil(c -> "0-0".equals(c.next()))
        .then(redis.execute(PRUNE, List.of(RedisKeys.events()), List.of(GROUP, consumer,
            Long.toString(retention.toMillis()))).next())
        .doOnNext(n -> {
          if (n > 0) {
            log.info("deleted {} idle consumers of group {}", n, GROUP);
          }
        })
        .onErrorResume(e -> contains(e, "NOGROUP"), e -> Mono.empty())
        .then(Mono.fromSupplier(() -> total[0]));
  }

  private record Claimed(String next, int claimed) {}

  @SuppressWarnings("unchecked")
  private Mono<Claimed> claimBatch(String start, Duration idle) {
    return redis.execute(AUTOCLAIM, List.of(RedisKeys.events()), List.of(GROUP, consumer,
            Long.toString(idle.toMillis()), start, Integer.toString(props.batch())))
        .next()
        .map(raw -> (List<Object>) raw)
        .flatMap(flat -> {
          List<MapRecord<String, Object, Object>> records = new java.util.ArrayList<>();
          for (int i = 1; i + 1 < flat.size(); ) {
            String id = str(flat.get(i));
            int n = Integer.parseInt(str(flat.get(i + 1)));
            Map<Object, Object> fields = new java.util.LinkedHashMap<>();
            for (int j = 0; j + 1 < n; j += 2) {
              fields.put(str(flat.get(i + 2 + j)), str(flat.get(i + 3 + j)));
            }
            records.add(StreamRecords.newRecord().in(RedisKeys.events()).withId(RecordId.of(id)).ofMap(fields));
            i += 2 + n;
          }
          Claimed c = new Claimed(str(flat.get(0)), records.size());
          if (records.isEmpty()) {
            return Mono.just(c);
          }
          meters.counter("siyu.campaign.triggers.claimed").increment(records.size());
          java.util.Set<String> started = java.util.concurrent.ConcurrentHashMap.newKeySet();
          return triggered().flatMap(cs -> Flux.fromIterable(records).concatMap(r -> process(cs, r, started)).then())
              .thenReturn(c);
        });
  }

  /** Scheduled and running triggered campaigns (read once per batch: campaigns are few). */
  private Mono<List<Campaign>> triggered() {
    return store.list(CAMPAIGNS_READ)
        .filter(c -> c.definition().schedule() instanceof Campaign.Triggered)
        .filter(c -> c.state() == Campaign.State.SCHEDULED || c.state() == Campaign.State.RUNNING)
        .collectList();
  }

  private Mono<Void> schedule(List<Campaign> cs, MapRecord<String, Object, Object> r, java.util.Set<String> started) {
    Map<Object, Object> f = r.getValue();
    String type = str(f.get("type"));
    String key = str(f.get("key"));
    String person = str(f.get("person"));
    String at = str(f.get("at"));
    if (type == null || key == null || person == null || at == null || key.contains("|") || person.contains("|")) {
      return Mono.empty();
    }
    long atMillis;
    try {
      atMillis = Long.parseLong(at);
    } catch (NumberFormatException e) {
      return Mono.empty();
    }
    return Flux.fromIterable(cs).filter(c -> matches((Campaign.Triggered) c.definition().schedule(), type, f))
        .concatMap(c -> {
          Duration delay = ((Campaign.Triggered) c.definition().schedule()).delay();
          long score = atMillis + (delay == null ? 0 : delay.toMillis());
          String member = c.id() + "|" + person + "|" + key;
          Mono<Boolean> add = redis.execute(ADD_NX, List.of(RedisKeys.campaignFires()),
              List.of(Long.toString(score), member)).next().map(n -> n == 1L);
          // the first event makes a scheduled triggered campaign running (pause needs running); a lost race is fine
          Mono<Void> run = c.state() != Campaign.State.SCHEDULED || !started.add(c.id()) ? Mono.empty()
              : campaigns.transition(c.id(), Campaign.State.RUNNING, CampaignPlanner.PLANNER).then()
                  .onErrorResume(e -> Mono.empty());
          return add.doOnNext(added -> {
            if (added) {
              meters.counter("siyu.campaign.triggered").increment();
            }
          }).then(run);
        })
        .then();
  }

  static boolean matches(Campaign.Triggered t, String type, Map<Object, Object> fields) {
    if (!type.equals(t.eventType())) {
      return false;
    }
    return !Events.INTERACTION.equals(type) || t.kind() == null || t.kind().isBlank()
        || t.kind().equals(str(fields.get("kind")));
  }

  /** Handles due fires (claimed one by one) until none is due; the number handled. */
  Mono<Integer> fireTick() {
    int[] total = {0};
    return Mono.defer(this::fireRound).repeat(MAX_ROUNDS - 1L)
        .takeUntil(n -> n < props.batch())
        .doOnNext(n -> total[0] += n)
        .then(Mono.fromSupplier(() -> total[0]));
  }

  private Mono<Integer> fireRound() {
    Instant now = clock.instant();
    return redis.opsForZSet().rangeByScore(RedisKeys.campaignFires(), Range.closed(Double.NEGATIVE_INFINITY,
            (double) now.toEpochMilli()), Limit.limit().count(props.batch()))
        .collectList()
        .flatMap(members -> Flux.fromIterable(members)
            .concatMap(m -> claim(m, now).flatMap(fireAt -> handle(m, Instant.ofEpochMilli(fireAt))
                .onErrorResume(e -> {
                  // stays claimed: comes back after the lease
                  log.warn("campaign fire {} failed: {}: {}", m, e.getClass().getName(), e.getMessage());
                  return Mono.empty();
                })))
            .then(Mono.just(members.size())));
  }

  private Mono<Long> claim(String member, Instant now) {
    return redis.execute(CLAIM, List.of(RedisKeys.campaignFires()), List.of(member, Long.toString(now.toEpochMilli()),
            Long.toString(now.plus(props.lease()).toEpochMilli())))
        .next()
        .map(s -> (long) Double.parseDouble(s));
  }

  private Mono<Void> handle(String member, Instant fireAt) {
    String[] parts = member.split("\\|", 3);
    if (parts.length != 3) {
      return remove(member, "invalid");
    }
    return campaigns.find(parts[0]).map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
        .flatMap(o -> {
          if (o.isEmpty() || !(o.get().definition().schedule() instanceof Campaign.Triggered)) {
            return remove(member, "dropped");
          }
          Campaign c = o.get();
          return switch (c.state()) {
            case PAUSED -> redis.opsForZSet().add(RedisKeys.campaignFires(), member,
                (double) clock.instant().plus(props.pausedRecheck()).toEpochMilli()).then();
            case SCHEDULED, RUNNING -> planner.fire(c, parts[1], parts[2], fireAt)
                .flatMap(outcome -> remove(member, outcome.name().toLowerCase(Locale.ROOT)));
            case DRAFT, CANCELLED, COMPLETED -> remove(member, "dropped");
          };
        });
  }

  private Mono<Void> remove(String member, String outcome) {
    meters.counter("siyu.campaign.fired", "outcome", outcome).increment();
    return redis.opsForZSet().remove(RedisKeys.campaignFires(), member).then();
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  private static boolean contains(Throwable e, String code) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains(code)) {
        return true;
      }
    }
    return false;
  }
}

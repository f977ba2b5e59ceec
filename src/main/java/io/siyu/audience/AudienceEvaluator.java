package io.siyu.audience;

import io.siyu.infra.Polling;
import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ZSetOperations;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Recomputes the scores and segment flags of persons whose profile changed ({@link ProfileChanges}
 * marks), in batches, and keeps the segment member sets in step.
 *
 * <p>Per person: HGETALL → {@link Profile} → scores → segment flags; then ONE script on the person's slot
 * writes them with {@code sv} = the {@code v} read, only if {@code v} is unchanged (compare-and-set).
 * A failed compare leaves the mark in place: the change that bumped {@code v} is evaluated next round.
 *
 * <p>Why membership stays right when several instances evaluate one person at once: the member sets live
 * in other slots, so they are written after the commit, and two evaluators' set writes can interleave
 * in any order. The flags in the hash are the truth (written under the CAS, in version order). After its
 * set writes an evaluator re-reads {@code sv}: unchanged means no newer commit happened before our set
 * writes ended, and any later commit's set writes come after ours (it commits after our re-read), so the
 * sets end as the newest commit says. Changed means a newer commit may have had its set writes overtaken
 * by ours: we re-apply the hash's current flags to every segment and check {@code sv} again, until it
 * is stable. The mark is removed (only if it is still the mark taken: same score) after a successful
 * commit, and then {@code v} is re-read: a change that landed after our read but whose mark was absorbed by
 * the one we just removed is marked again, so no change is lost and a crash leaves the mark behind.
 */
@Component
public class AudienceEvaluator implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(AudienceEvaluator.class);
  private static final RedisScript<Long> COMMIT = LuaScripts.load("audience/commit_scores.lua", Long.class);
  private static final RedisScript<Long> MEMBERSHIP = LuaScripts.load("audience/membership.lua", Long.class);
  private static final RedisScript<Long> UNMARK = LuaScripts.load("audience/unmark.lua", Long.class);
  static final RedisScript<String> READ = LuaScripts.load("audience/read_profile.lua", String.class);
  private static final char SEPARATOR = '\u001f';
  private static final int MAX_STABILIZE = 10;

  /** The outcome of computing one person. */
  record Computed(String personId, Map<String, String> hash, Profile profile, String v, Profile.Scores scores, Map<String, Boolean> flags, boolean unchanged) {}

  /** Definitions with parsed conditions, and the cut points, for one batch. */
  record Frame(List<SegmentDefinitions.Definition> definitions, List<Expressions.Condition> conditions, Scorer.Cuts cuts) {}

  private final ReactiveStringRedisTemplate redis;
  private final SegmentDefinitions definitions;
  private final Scorer scorer;
  private final ProfileChanges changes;
  private final AudienceProperties props;
  private final Clock clock;
  private final MeterRegistry meters;
  private volatile Disposable loop;

  AudienceEvaluator(ReactiveStringRedisTemplate redis, SegmentDefinitions definitions, Scorer scorer,
                    ProfileChanges changes, AudienceProperties props, Clock clock, MeterRegistry meters) {
    this.redis = redis;
    this.definitions = definitions;
    this.scorer = scorer;
    this.changes = changes;
    this.props = props;
    this.clock = clock;
    this.meters = meters;
  }

  @Override
  public synchronized void start() {
    if (!props.evaluator().enabled()) {
      log.info("audience evaluator disabled (siyu.audience.evaluator.enabled=false)");
      return;
    }
    if (loop != null) {
      return;
    }
    Duration every = props.evaluator().pollInterval();
    loop = Polling.every(every, "audience evaluation", this::drain);
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

  /** Evaluates batches until no due mark is left; the number of persons evaluated. */
  Mono<Long> drain() {
    return evaluateDue().expand(n -> n >= props.evaluator().batch() ? evaluateDue() : Mono.empty())
        .reduce(0L, Long::sum);
  }

  /** One batch of due marks (score ≤ now). */
  Mono<Long> evaluateDue() {
    return frame().flatMap(frame -> redis.opsForZSet()
        .rangeByScoreWithScores(RedisKeys.audienceDirty(), Range.closed(Double.NEGATIVE_INFINITY, (double) clock.millis()),
            Limit.limit().count(props.evaluator().batch()))
        // collected first: the batch is small, and commands issued while the reply is still being
        // streamed with partial demand stalled the shared connection
        .collectList()
        .flatMapMany(Flux::fromIterable)
        .flatMap(t -> evaluateMarked(t, frame), props.evaluator().concurrency())
        .count());
  }

  private Mono<Void> evaluateMarked(ZSetOperations.TypedTuple<String> mark, Frame frame) {
    String id = mark.getValue();
    long score = mark.getScore().longValue();
    return evaluate(id, frame).flatMap(committed -> {
      if (!committed.isPresent()) {
        return Mono.<Void>empty(); // v changed: the mark stays, next round sees the change
      }
      return redis.execute(UNMARK, List.of(RedisKeys.audienceDirty()), List.of(id, Long.toString(score))).next()
          .then(redis.<String, String>opsForHash().get(RedisKeys.person(id), ProfileFields.VERSION).defaultIfEmpty(""))
          .flatMap(v -> v.equals(committed.get()) ? Mono.<Void>empty() : changes.changed(id));
    });
  }

  Mono<Frame> frame() {
    return Mono.zip(definitions.all(), scorer.cuts()).map(t -> new Frame(t.getT1(),
        t.getT1().stream().map(SegmentDefinitions.Definition::condition).toList(), t.getT2()));
  }

  /** Evaluates one person now (tests and the admin API use it). */
  public Mono<Boolean> evaluate(String personId) {
    return frame().flatMap(f -> evaluate(personId, f)).map(java.util.Optional::isPresent);
  }

  /**
   * Reads, computes, commits (CAS) and applies membership changes. The committed v, or empty when the
   * compare failed; a person without a hash counts as committed ("").
   */
  Mono<java.util.Optional<String>> evaluate(String personId, Frame frame) {
    return read(personId).flatMap(h -> {
      if (h.isEmpty()) {
        return Mono.just(java.util.Optional.of(""));
      }
      Computed c = compute(personId, h, frame);
      return commit(c).flatMap(committed -> {
        if (committed.isEmpty()) {
          meters.counter("siyu.audience.evaluations", "outcome", "conflict").increment();
          return Mono.just(java.util.Optional.<String>empty());
        }
        meters.counter("siyu.audience.evaluations", "outcome", "committed").increment();
        return applyChanges(personId, committed.get(), true).then(stabilize(personId, c.v(), false))
            .thenReturn(java.util.Optional.of(c.v()));
      });
    });
  }

  Profile scorerProfile(Map<String, String> h) {
    return scorer.profile(h, clock.instant());
  }

  /** The person's hash (empty when none), read as one joined string (read_profile.lua says why). */
  Mono<Map<String, String>> read(String personId) {
    return redis.execute(READ, List.of(RedisKeys.person(personId))).next().defaultIfEmpty("")
        .flatMap(joined -> {
          Map<String, String> h = split(joined);
          return h != null ? Mono.just(h) : readFields(personId);
        });
  }

  private Mono<Map<String, String>> readFields(String personId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.person(personId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
  }

  /** Parses read_profile.lua's reply; null when a field or value contained the separator. */
  static Map<String, String> split(String joined) {
    if (joined.isEmpty()) {
      return new HashMap<>();
    }
    int at = joined.indexOf(SEPARATOR);
    int elements = Integer.parseInt(joined, 0, at, 10);
    Map<String, String> h = new HashMap<>(elements);
    String key = null;
    int seen = 0;
    int from = at + 1;
    while (true) {
      int next = joined.indexOf(SEPARATOR, from);
      String part = joined.substring(from, next < 0 ? joined.length() : next);
      seen++;
      if (key == null) {
        key = part;
      } else {
        h.put(key, part);
        key = null;
      }
      if (next < 0) {
        break;
      }
      from = next + 1;
    }
    return seen == elements && h.size() == elements / 2 ? h : null;
  }

  Computed compute(String personId, Map<String, String> h, Frame frame) {
    long now = clock.millis();
    Profile p = scorer.profile(h, clock.instant());
    Profile.Scores s = scorer.score(p, frame.cuts(), now);
    Profile scored = p.withScores(s);
    Map<String, Boolean> flags = new LinkedHashMap<>();
    for (int i = 0; i < frame.definitions().size(); i++) {
      flags.put(frame.definitions().get(i).name(), frame.conditions().get(i).test(scored));
    }
    boolean flagsSame = true;
    for (Map.Entry<String, String> e : h.entrySet()) {
      if (e.getKey().startsWith(ProfileFields.SEGMENT_PREFIX)) {
        // a flag of a deleted segment is dropped
        flags.putIfAbsent(e.getKey().substring(2), false);
      }
    }
    for (Map.Entry<String, Boolean> e : flags.entrySet()) {
      flagsSame &= e.getValue() == h.containsKey(ProfileFields.SEGMENT_PREFIX + e.getKey());
    }
    String v = h.getOrDefault(ProfileFields.VERSION, "");
    boolean unchanged = flagsSame && v.equals(h.get(ProfileFields.SCORED_VERSION))
        && s.stage().equals(h.get(ProfileFields.STAGE)) && Long.toString(s.stageAt()).equals(h.get(ProfileFields.STAGE_AT))
        && s.rfm().equals(p.rfm()) && h.containsKey(ProfileFields.RFM_R)
        && Integer.toString(s.value()).equals(h.get(ProfileFields.VALUE)) && s.superUser() == p.superUser();
    return new Computed(personId, h, p, v, s, flags, unchanged);
  }

  /**
   * The CAS write of what differs from the hash read, plus {@code sv}; the changed flags ('+seg'/'-seg'),
   * or empty when v changed meanwhile. (Another evaluator may have committed the same v in between: the
   * same results, so a reported change it already applied is applied again, harmlessly.)
   */
  Mono<java.util.Optional<List<String>>> commit(Computed c) {
    Profile.Scores s = c.scores();
    Map<String, String> h = c.hash();
    List<String> set = new ArrayList<>();
    List<String> del = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    putIfChanged(h, set, ProfileFields.STAGE, s.stage());
    putIfChanged(h, set, ProfileFields.STAGE_AT, Long.toString(s.stageAt()));
    putIfChanged(h, set, ProfileFields.RFM_R, Integer.toString(s.rfm().r()));
    putIfChanged(h, set, ProfileFields.RFM_F, Integer.toString(s.rfm().f()));
    putIfChanged(h, set, ProfileFields.RFM_M, Integer.toString(s.rfm().m()));
    putIfChanged(h, set, ProfileFields.VALUE, Integer.toString(s.value()));
    putIfChanged(h, set, ProfileFields.SCORED_VERSION, c.v());
    if (s.superUser()) {
      putIfChanged(h, set, ProfileFields.SUPER_USER, "1");
    } else if (h.containsKey(ProfileFields.SUPER_USER)) {
      del.add(ProfileFields.SUPER_USER);
    }
    c.flags().forEach((seg, in) -> {
      String field = ProfileFields.SEGMENT_PREFIX + seg;
      boolean was = h.containsKey(field);
      if (in && !was) {
        set.add(field);
        set.add("1");
        changed.add("+" + seg);
      } else if (!in && was) {
        del.add(field);
        changed.add("-" + seg);
      }
    });
    List<String> args = new ArrayList<>(4 + set.size() + del.size());
    args.add(c.v());
    args.add(Integer.toString(set.size() / 2));
    args.addAll(set);
    args.addAll(del);
    return redis.execute(COMMIT, List.of(RedisKeys.person(c.personId())), args).next()
        .map(r -> r == 1L ? java.util.Optional.of(changed) : java.util.Optional.<List<String>>empty())
        .switchIfEmpty(Mono.error(() -> new IllegalStateException("commit script returned nothing")));
  }

  private static void putIfChanged(Map<String, String> h, List<String> set, String field, String value) {
    if (!value.equals(h.get(field))) {
      set.add(field);
      set.add(value);
    }
  }

  /** {@code live}: written by a live evaluation (counted, see {@link RedisKeys#segmentLiveWrites}). */
  Mono<Void> applyChanges(String personId, List<String> changed, boolean live) {
    return Flux.fromIterable(changed)
        .flatMap(c -> membership(c.substring(1), personId, c.charAt(0) == '+', live))
        .then();
  }

  Mono<Void> membership(String segment, String personId, boolean member, boolean live) {
    return redis.execute(MEMBERSHIP, List.of(RedisKeys.segmentMembers(segment), RedisKeys.segmentBuild(segment),
            RedisKeys.segmentBuilding(segment), RedisKeys.segmentLiveWrites(segment)),
        List.of(personId, member ? "1" : "0", live ? "1" : "0")).then();
  }

  /**
   * After our set writes: if {@code sv} is no longer {@code ourSv}, a newer commit's set writes may have
   * been overtaken by ours, so the hash's current flags are applied to every segment, until {@code sv}
   * stays put across one application. {@code force} applies once even when sv is ours (the rebuild uses
   * it for persons whose compare failed).
   */
  Mono<Void> stabilize(String personId, String ourSv, boolean force) {
    return Mono.defer(() -> stabilize(personId, ourSv, force, 0));
  }

  private Mono<Void> stabilize(String personId, String expectedSv, boolean force, int round) {
    if (!force) {
      // the common case costs one HGET
      return redis.<String, String>opsForHash().get(RedisKeys.person(personId), ProfileFields.SCORED_VERSION)
          .defaultIfEmpty("")
          .flatMap(sv -> sv.equals(expectedSv) ? Mono.<Void>empty() : stabilizeRead(personId, expectedSv, round));
    }
    return stabilizeRead(personId, expectedSv, round);
  }

  /** Applies the hash's current flags to every segment, then checks that sv stayed put. */
  private Mono<Void> stabilizeRead(String personId, String expectedSv, int round) {
    return read(personId).flatMap(h -> {
      String sv = h.getOrDefault(ProfileFields.SCORED_VERSION, "");
      if (round >= MAX_STABILIZE) {
        // still moving after many rounds: the next evaluation of this person repairs it
        return changes.changed(personId);
      }
      return frame().flatMap(f -> Flux.fromIterable(f.definitions())
              .flatMap(d -> membership(d.name(), personId, h.containsKey(ProfileFields.SEGMENT_PREFIX + d.name()), true))
              .then())
          .then(stabilize(personId, sv, false, round + 1));
    });
  }
}

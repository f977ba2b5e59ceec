package io.siyu.campaign;

import io.siyu.infra.Polling;
import io.siyu.audience.Profile;
import io.siyu.audience.Segments;
import io.siyu.growth.GrowthProperties;
import io.siyu.growth.Points;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.RedisPipeline;
import io.siyu.infra.SiyuProperties;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxMessage;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Starts campaign runs and plans them into outbox entries, on every instance.
 *
 * <p>{@link #tick()}: campaigns in the due set whose next run time has come start a run (one script: the
 * campaign becomes running, its next run advances, the run record {@code <campaignId>:<fire millis>} is
 * created once — two instances seeing the same due campaign create one run). Then every unfinished run is
 * planned by whichever instance takes its lease.
 *
 * <p>Planning streams the segment page by page (SSCAN from the cursor saved in the run after each page,
 * {@code siyu.campaign.planner.page-size}), each page in batches of {@code batch} persons, {@code concurrency}
 * batches in flight: excluded segments (one SMISMEMBER each), profiles (pipelined), campaign cap (the
 * per-person script, pipelined, idempotent per run), rendering ({@link Personalizer}, as the preview), and
 * ONE {@link Outbox#enqueueAll} script per batch with keys {@code campaign:<runId>:<personId>}. A page replayed after a
 * crash, or a person SSCAN returns twice, finds the key known: nothing is queued twice. The campaign's state
 * is read before each page: paused stops after the current page (entries already queued still go), resumed
 * continues from the cursor, cancelled ends the run (the outbox expires its still-queued entries).
 *
 * <p>Metric: {@code siyu.campaign.planned{outcome=planned|already_queued|excluded|capped|no_recipient}}, persons
 * per outcome of saved pages.
 */
@Component
class CampaignPlanner implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(CampaignPlanner.class);
  static final String PLANNER = "planner";
  private static final int DUE_BATCH = 100;

  /** What planning did with one person. */
  enum Outcome { PLANNED, ALREADY_QUEUED, EXCLUDED, CAPPED, NO_RECIPIENT, NOT_IN_AUDIENCE, CONDITION_FALSE }

  private final Campaigns campaigns;
  private final CampaignStore store;
  private final CampaignRuns runs;
  private final Segments segments;
  private final Personalizer personalizer;
  private final Points points;
  private final Outbox outbox;
  private final CampaignFeedback feedback;
  private final ReactiveStringRedisTemplate redis;
  private final CampaignProperties props;
  private final CampaignProperties.Planner planner;
  private final GrowthProperties growth;
  private final SiyuProperties siyu;
  private final List<Integer> windowDays;
  private final Clock clock;
  private final io.micrometer.core.instrument.MeterRegistry meters;
  private final ZoneId zone;
  private final String instance = UUID.randomUUID().toString();
  private volatile Disposable loop;

  CampaignPlanner(Campaigns campaigns, CampaignStore store, CampaignRuns runs, Segments segments,
                  Personalizer personalizer, Points points, Outbox outbox, CampaignFeedback feedback,
                  ReactiveStringRedisTemplate redis, CampaignProperties props, GrowthProperties growth, Clock clock,
                  SiyuProperties siyu, io.micrometer.core.instrument.MeterRegistry meters) {
    this.meters = meters;
    this.feedback = feedback;
    this.campaigns = campaigns;
    this.store = store;
    this.runs = runs;
    this.segments = segments;
    this.personalizer = personalizer;
    this.points = points;
    this.outbox = outbox;
    this.redis = redis;
    this.props = props;
    this.planner = props.planner();
    this.growth = growth;
    this.siyu = siyu;
    this.windowDays = growth.windowDays();
    this.clock = clock;
    this.zone = siyu.zone();
  }

  /** A second planner on the same beans: what another instance would be (tests). */
  CampaignPlanner another() {
    return new CampaignPlanner(campaigns, store, runs, segments, personalizer, points, outbox, feedback, redis, props,
        growth, clock, siyu, meters);
  }

  @Override
  public synchronized void start() {
    if (!planner.enabled()) {
      log.info("campaign planner disabled (siyu.campaign.planner.enabled=false)");
      return;
    }
    if (loop == null) {
      loop = Polling.every(planner.interval(), "campaign tick", this::tick);
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

  /** Before Redis stops, with the outbox workers. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }

  /** Starts due runs, then plans every unfinished run whose lease this instance gets. */
  Mono<Void> tick() {
    return tick(Integer.MAX_VALUE);
  }

  /**
   * {@link #tick()}, planning at most {@code maxPages} pages per run and then stopping WITHOUT giving the
   * lease back: a test's stand-in for an instance that dies mid-plan.
   */
  Mono<Void> tick(int maxPages) {
    Instant now = clock.instant();
    Mono<Void> starts = store.due(now.toEpochMilli(), DUE_BATCH)
        .concatMap(id -> startDue(id, now).onErrorResume(e -> {
          log.warn("campaign run start failed: {}: {}", e.getClass().getName(), e.getMessage());
          return Mono.empty();
        }))
        .then();
    Mono<Void> plans = runs.active()
        .flatMap(runId -> plan(runId, maxPages).onErrorResume(e -> {
          // the lease lapses and the next tick (here or elsewhere) resumes from the saved cursor
          log.warn("campaign run planning interrupted: {}: {}", e.getClass().getName(), e.getMessage());
          return Mono.empty();
        }), planner.runs())
        .then();
    return starts.then(plans);
  }

  /** Starts the due run of one campaign; a lost race (another instance, an operator) changes nothing. */
  private Mono<Void> startDue(String id, Instant now) {
    return store.find(id).flatMap(c -> {
      Instant fireAt = c.nextRunAt();
      if (fireAt == null || fireAt.isAfter(now)
          || (c.state() != Campaign.State.SCHEDULED && c.state() != Campaign.State.RUNNING)) {
        return Mono.empty(); // paused: stays due, starts when resumed
      }
      // Fires missed while paused or down collapse into this one run.
      Instant next = c.definition().schedule() instanceof Campaign.Recurring
          ? Schedules.next(c.definition().schedule(), now, zone) : null;
      Campaign running = c.with(c.definition(), Campaign.State.RUNNING, PLANNER, now, next);
      String runId = CampaignRuns.runId(id, fireAt);
      return runs.start(c.version(), running, runId, fireAt, now).doOnNext(r -> {
        if (r == CampaignStore.Cas.DONE) {
          log.info("campaign run {} started", runId);
        }
      }).then();
    });
  }

  /** Plans one run if this instance gets its lease; nothing when another planner holds it. */
  Mono<Void> plan(String runId, int maxPages) {
    String token = instance + ":" + UUID.randomUUID();
    return runs.lease(runId, token, clock.instant(), planner.lease()).flatMap(held -> {
      if (!held) {
        return Mono.empty();
      }
      return runs.find(runId).flatMap(run -> campaigns.find(run.campaignId())
          .map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
          .flatMap(c -> c.isPresent() ? planHeld(run, c.get(), token, maxPages)
              // the campaign was deleted (cancelled first): the run ends
              : runs.save(runId, token, clock.instant(), null, null, CampaignRuns.CANCELLED, Map.of())
                  .then(runs.release(runId, token))));
    });
  }

  private Mono<Void> planHeld(CampaignRuns.Run run, Campaign campaign, String token, int maxPages) {
    Personalizer.Compiled content = personalizer.compile(campaign.definition());
    Instant fireAt = fireAtOf(run.runId());
    Context ctx = new Context(run.runId(), campaign, content, token, fireAt, later(fireAt, run.startedAt()), null, null);
    int[] pages = {0};
    // One page per round; the campaign's state is read before each, so pause and cancel act between pages.
    return Mono.defer(() -> campaigns.find(campaign.id()).flatMap(current -> step(ctx, current, pages, maxPages))
            .defaultIfEmpty(Step.STOP))
        .repeat()
        .takeUntil(s -> s != Step.CONTINUE)
        .last(Step.STOP)
        .flatMap(s -> s == Step.CRASH ? Mono.<Void>empty() : runs.release(run.runId(), token));
  }

  private enum Step { CONTINUE, STOP, CRASH }

  /**
   * What one person's message is planned under: {@code runId} is also the campaign cap slot; {@code deadlineFrom}
   * (the later of the fire time and the run's start) is where the outbox deadline counts from; {@code messageKey}
   * null means {@link #key(String, String)}; {@code condition} (triggered campaigns) is tested on the profile.
   */
  private record Context(String runId, Campaign campaign, Personalizer.Compiled content, String token, Instant fireAt,
                         Instant deadlineFrom, String messageKey, io.siyu.audience.Expressions.Condition condition) {}

  private static Instant later(Instant a, Instant b) {
    return b == null || a.isAfter(b) ? a : b;
  }

  private static Instant fireAtOf(String runId) {
    return Instant.ofEpochMilli(Long.parseLong(runId.substring(runId.lastIndexOf(':') + 1)));
  }

  /**
   * One fire of a triggered campaign for one person (the same per-person path as a run's page): audience
   * segment membership, then exclusions, profile, the schedule's condition on the profile now, the campaign
   * cap (slot {@code t:<eventKey>}), rendering and the enqueue with key {@code campaign:<id>:t:<eventKey>}.
   */
  Mono<Outcome> fire(Campaign campaign, String personId, String eventKey, Instant fireAt) {
    Campaign.Triggered t = (Campaign.Triggered) campaign.definition().schedule();
    io.siyu.audience.Expressions.Condition condition = t.condition() == null || t.condition().isBlank() ? null
        : io.siyu.audience.Expressions.parse(t.condition());
    Context ctx = new Context("t:" + eventKey, campaign, personalizer.compile(campaign.definition()), null, fireAt,
        later(fireAt, clock.instant()), "campaign:" + campaign.id() + ":t:" + eventKey, condition);
    String segment = campaign.definition().audience().segment();
    Mono<Boolean> member = segment == null || segment.isBlank() ? Mono.just(true) : segments.isMember(segment, personId);
    return member.flatMap(in -> in ? batch(ctx, List.of(personId)).map(o -> o.get(0))
        : Mono.just(Outcome.NOT_IN_AUDIENCE));
  }

  private Mono<Step> step(Context ctx, Campaign current, int[] pages, int maxPages) {
    Instant now = clock.instant();
    return switch (current.state()) {
      case PAUSED -> runs.save(ctx.runId(), ctx.token(), now, null, null, CampaignRuns.PAUSED, Map.of())
          .thenReturn(Step.STOP);
      case CANCELLED, DRAFT -> runs.save(ctx.runId(), ctx.token(), now, null, null, CampaignRuns.CANCELLED, Map.of())
          .thenReturn(Step.STOP);
      case COMPLETED -> runs.save(ctx.runId(), ctx.token(), now, null, null, CampaignRuns.PLANNED, Map.of())
          .thenReturn(Step.STOP);
      case SCHEDULED, RUNNING -> {
        if (pages[0] >= maxPages) {
          yield Mono.just(Step.CRASH);
        }
        pages[0]++;
        yield runs.lease(ctx.runId(), ctx.token(), now, planner.lease()).flatMap(held -> !held
            ? Mono.just(Step.STOP)
            : runs.find(ctx.runId()).flatMap(run -> run.scanDone() ? finish(ctx, current).thenReturn(Step.STOP)
                : page(ctx, run)));
      }
    };
  }

  /** Plans one page and saves the cursor with its counts; CONTINUE while the scan goes on. */
  private Mono<Step> page(Context ctx, CampaignRuns.Run run) {
    Campaign.Definition d = ctx.campaign().definition();
    return runs.page(d.audience().segment(), run.cursor(), planner.pageSize()).flatMap(page -> Flux
        .fromIterable(batches(page.members(), planner.batch()))
        .flatMap(ids -> batch(ctx, ids), planner.concurrency())
        .flatMapIterable(outcomes -> outcomes)
        .collect(() -> new EnumMap<Outcome, Long>(Outcome.class), (m, o) -> m.merge(o, 1L, Long::sum))
        .flatMap(counts -> {
          boolean done = "0".equals(page.cursor());
          Map<String, Long> c = new LinkedHashMap<>();
          c.put("pages", 1L);
          c.put("scanned", (long) page.members().size());
          c.put("planned", counts.getOrDefault(Outcome.PLANNED, 0L));
          c.put("alreadyQueued", counts.getOrDefault(Outcome.ALREADY_QUEUED, 0L));
          c.put("excluded", counts.getOrDefault(Outcome.EXCLUDED, 0L));
          c.put("capped", counts.getOrDefault(Outcome.CAPPED, 0L));
          c.put("noRecipient", counts.getOrDefault(Outcome.NO_RECIPIENT, 0L));
          return runs.save(ctx.runId(), ctx.token(), clock.instant(), page.cursor(), done, CampaignRuns.PLANNING, c)
              .map(saved -> {
                if (saved) {
                  counts.forEach((o, n) -> meters.counter("siyu.campaign.planned",
                      "outcome", o.name().toLowerCase(java.util.Locale.ROOT)).increment(n));
                }
                return saved ? Step.CONTINUE : Step.STOP;
              });
        }));
  }

  /**
   * The whole segment is planned: a once campaign (or a recurring one without further fire times) completes,
   * then the run ends. Paused meanwhile: the run waits as paused and completes after the resume.
   */
  private Mono<Void> finish(Context ctx, Campaign current) {
    Instant now = clock.instant();
    if (current.state() != Campaign.State.RUNNING) {
      return runs.save(ctx.runId(), ctx.token(), now, null, null, CampaignRuns.PLANNED, Map.of()).then();
    }
    boolean last = current.nextRunAt() == null;
    Mono<Void> complete = last
        ? campaigns.transition(current.id(), Campaign.State.COMPLETED, PLANNER).then()
        : Mono.empty();
    return complete.then(runs.save(ctx.runId(), ctx.token(), now, null, null, CampaignRuns.PLANNED, Map.of()))
        .doOnNext(saved -> log.info("campaign run {} planned", ctx.runId()))
        .then();
  }

  /**
   * A person of a batch after the profile read: the batch position, the profile and the channels that reach
   * them; {@code skip} is the outcome when they cannot be reached (then the rest is null).
   */
  private record Candidate(int index, String personId, Profile profile, List<String> channels, Outcome skip) {}

  /**
   * One batch of persons, a few round trips instead of several per person: excluded segments (one SMISMEMBER
   * per segment), the profiles (pipelined HGETALLs), the campaign cap (the per-person cap script, pipelined:
   * each person's cap hash lives in its own {@code {p:}} slot, so one script for the batch would cross
   * cluster slots), points when the template needs them (pipelined), rendering and ONE enqueue script for
   * the batch's messages. Outcomes in the order of {@code ids}.
   */
  private Mono<List<Outcome>> batch(Context ctx, List<String> ids) {
    Campaign.Definition d = ctx.campaign().definition();
    Mono<Set<String>> excluded = d.audience().excludedSegments().isEmpty() ? Mono.just(Set.of())
        : Flux.fromIterable(d.audience().excludedSegments()).concatMap(s -> segments.membersAmong(s, ids))
            .collect(HashSet::new, Set::addAll);
    Outcome[] out = new Outcome[ids.size()];
    return excluded.flatMap(ex -> {
      List<String> rest = new ArrayList<>(ids.size());
      List<Integer> restIndex = new ArrayList<>(ids.size());
      for (int i = 0; i < ids.size(); i++) {
        if (ex.contains(ids.get(i))) {
          out[i] = Outcome.EXCLUDED;
        } else {
          rest.add(ids.get(i));
          restIndex.add(i);
        }
      }
      // Replies arrive on the connection's one event-loop thread: parsing and rendering move to the parallel
      // scheduler, so the planner uses every core and the event loop only reads and writes.
      return RedisPipeline.all(rest, id -> redis.<String, String>opsForHash().entries(RedisKeys.person(id))
          .collectMap(Map.Entry::getKey, Map.Entry::getValue)).publishOn(Schedulers.parallel()).flatMap(hashes -> {
            List<Candidate> candidates = new ArrayList<>(hashes.size());
            Instant now = clock.instant();
            for (int k = 0; k < hashes.size(); k++) {
              Candidate c = candidate(ctx, restIndex.get(k), rest.get(k), hashes.get(k), now);
              if (c.skip() != null) {
                out[c.index()] = c.skip();
              } else {
                candidates.add(c);
              }
            }
            return reserveAndEnqueue(ctx, candidates, out);
          });
    }).map(done -> Arrays.asList(out));
  }

  /** The person from the profile hash: reachable, or skipped (no profile, condition false, no channel). */
  private Candidate candidate(Context ctx, int index, String personId, Map<String, String> h, Instant now) {
    if (h.isEmpty()) {
      return new Candidate(index, personId, null, null, Outcome.NO_RECIPIENT);
    }
    Profile p = Profile.from(h, now, zone, windowDays);
    if (ctx.condition() != null && !ctx.condition().test(p)) {
      return new Candidate(index, personId, null, null, Outcome.CONDITION_FALSE);
    }
    List<String> channels = outboxChannels(ctx.campaign().definition().channels(), p);
    if (p.unfollowed() || p.externalUserId() == null || channels.isEmpty()) {
      return new Candidate(index, personId, null, null, Outcome.NO_RECIPIENT);
    }
    return new Candidate(index, personId, p, channels, null);
  }

  /** Campaign caps for the candidates, then one enqueue for those within their cap; fills {@code out}. */
  private Mono<Boolean> reserveAndEnqueue(Context ctx, List<Candidate> candidates, Outcome[] out) {
    if (candidates.isEmpty()) {
      return Mono.just(true);
    }
    Campaign.Definition d = ctx.campaign().definition();
    int cap = d.caps() == null || d.caps().perPerson() == null ? props.defaultPerPerson() : d.caps().perPerson();
    return RedisPipeline.all(candidates, c -> runs.reserveCap(c.personId(), ctx.campaign().id(), ctx.runId(), cap,
        planner.capRetention()).defaultIfEmpty(false)).publishOn(Schedulers.parallel()).flatMap(oks -> {
          List<Candidate> reached = new ArrayList<>(candidates.size());
          for (int k = 0; k < candidates.size(); k++) {
            if (oks.get(k)) {
              reached.add(candidates.get(k));
            } else {
              out[candidates.get(k).index()] = Outcome.CAPPED;
            }
          }
          Mono<List<Points.Expiring>> expiring = ctx.content().needsExpiring()
              ? RedisPipeline.all(reached, c -> points.expiring(c.personId(), props.expiringWithin()))
                  .publishOn(Schedulers.parallel())
              : Mono.just(java.util.Collections.nCopies(reached.size(), NO_POINTS));
          // triggered fires (a messageKey of their own) aggregate their feedback under <campaignId>:triggered
          String fbRun = ctx.messageKey() != null ? CampaignFeedback.triggeredRun(ctx.campaign().id()) : ctx.runId();
          Mono<List<OutboxMessage.Feedback>> tracking = RedisPipeline.all(reached,
              c -> feedback.tracking(ctx.campaign(), fbRun, c.personId(), c.profile()));
          return Mono.zip(expiring, tracking).flatMap(t -> {
            List<OutboxMessage> messages = new ArrayList<>(reached.size());
            for (int k = 0; k < reached.size(); k++) {
              messages.add(message(ctx, reached.get(k), t.getT1().get(k), t.getT2().get(k)));
            }
            return outbox.enqueueAll(messages);
          }).map(receipts -> {
            for (int k = 0; k < receipts.size(); k++) {
              out[reached.get(k).index()] = receipts.get(k).first() ? Outcome.PLANNED : Outcome.ALREADY_QUEUED;
            }
            return true;
          });
        });
  }

  private static final Points.Expiring NO_POINTS = new Points.Expiring(0, null);

  /** The person's rendered message under the run's (or the trigger's) idempotency key. */
  private OutboxMessage message(Context ctx, Candidate c, Points.Expiring expiring, OutboxMessage.Feedback fb) {
    Profile p = c.profile();
    String text = ctx.content().render(p, expiring);
    String owner = p.ownerUserId() == null || p.ownerUserId().isBlank() ? null : p.ownerUserId();
    OutboxMessage.Recipient to = new OutboxMessage.Recipient(p.externalUserId(), owner, null, null,
        c.channels().contains("kf") ? props.kfAccount() : null);
    String messageKey = ctx.messageKey() != null ? ctx.messageKey() : key(ctx.runId(), c.personId());
    return new OutboxMessage(messageKey, c.personId(), to, OutboxMessage.Content.text(text), 0, deadline(ctx),
        source(ctx.campaign().id()), c.channels(), fb);
  }

  /** {@code ids} in consecutive slices of at most {@code size}. */
  static List<List<String>> batches(List<String> ids, int size) {
    List<List<String>> out = new ArrayList<>((ids.size() + size - 1) / size);
    for (int i = 0; i < ids.size(); i += size) {
      out.add(ids.subList(i, Math.min(ids.size(), i + size)));
    }
    return out;
  }

  /**
   * A campaign message is worth sending within its conversion window from when its run started: a run started
   * late (missed fires collapsed after downtime) counts from its start, not from a fire time long past,
   * or its entries would expire before the first delivery.
   */
  private static Instant deadline(Context ctx) {
    java.time.Duration window = ctx.campaign().definition().goal() == null ? null
        : ctx.campaign().definition().goal().conversionWindow();
    return window == null ? null : ctx.deadlineFrom().plus(window);
  }

  /**
   * The campaign's channel preference as outbox channel ids, keeping those the person can be reached by:
   * kf needs the configured kf account; staff (add_msg_template) and staff-notice need an owner.
   */
  List<String> outboxChannels(List<String> preferred, Profile p) {
    boolean owner = p.ownerUserId() != null && !p.ownerUserId().isBlank();
    List<String> out = new ArrayList<>();
    for (String c : preferred) {
      boolean usable = switch (c) {
        case "kf" -> props.kfEnabled();
        case "staff", "staff-notice" -> owner;
        default -> false;
      };
      if (usable) {
        out.add(CampaignValidator.OUTBOX_CHANNEL.get(c));
      }
    }
    return out;
  }

  static String key(String runId, String personId) {
    return "campaign:" + runId + ":" + personId;
  }

  static String source(String campaignId) {
    return "campaign:" + campaignId;
  }
}

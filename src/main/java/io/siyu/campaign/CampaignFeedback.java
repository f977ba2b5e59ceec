package io.siyu.campaign;

import io.siyu.audience.Profile;
import io.siyu.audience.Segments;
import io.siyu.growth.Events;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.OutboxMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Per-run campaign feedback.
 *
 * <p>Delivery outcomes are counted by the outbox scripts into {@link RedisKeys#outboxFeedback} for every message
 * the planner tags with {@link #tracking} (run id, window, goal kind, breakdown labels). Replies and conversions
 * come from the domain events stream: {@link CampaignTriggers} hands every event it reads to {@link #onEvent},
 * which looks up the runs that messaged the person ({@link RedisKeys#outboxTouches}, written by the outbox on
 * send) and counts a reply (kind in {@code siyu.campaign.feedback.reply-kinds}) or a conversion (the run's goal
 * kind) for each run whose window holds the event: multi-touch, once per (run, person) by
 * {@code campaign/feedback-attribute.lua}. Triggered campaigns aggregate under the run id
 * {@code <campaignId>:triggered}.
 */
@Component
public class CampaignFeedback {

  static final String TRIGGERED = "triggered";
  static final String REPLY = "reply";
  static final String CONVERSION = "conversion";
  static final String STAFF_CONFIRMED = "staff:confirmed";
  private static final RedisScript<Long> ATTRIBUTE = LuaScripts.load("campaign/feedback-attribute.lua", Long.class);

  /**
   * One run's feedback.
   *
   * @param planned     outbox entries the planner created (triggered: entries enqueued)
   * @param capped      persons skipped by the campaign's per-person cap at plan time
   * @param deferred    deferrals by reason (quiet-hours, cap-day, cap-week, retry); an entry may be deferred twice
   * @param waiting     entries not finished yet (queued, deferred or being sent)
   * @param staffTasks  add_msg_template tasks sent to staff: confirmed where WeCom reports the send, else pending
   * @param replies     persons who replied within the window after the message
   * @param conversions persons whose goal event happened within the window after the message
   * @param breakdown   the same counts per label ({@code stage:<lifecycle stage>}, {@code s:<segment>})
   */
  public record RunFeedback(String runId, String campaignId, String state, Instant fireAt, long planned,
                            long enqueued, Sent sent, Reasons deferred, long capped, Reasons failed, Reasons expired,
                            long cancelled, long retried, long waiting, StaffTasks staffTasks, long replies,
                            long conversions, Rates rates, Map<String, Breakdown> breakdown) {}

  public record Sent(long total, Map<String, Long> byChannel) {}

  public record Reasons(long total, Map<String, Long> byReason) {}

  /**
   * @param pending   sent as add_msg_template tasks, not reported sent yet
   * @param confirmed the staff member sent it (get_groupmsg_send_result status 1)
   * @param unsent    WeCom could not deliver it (status 2/3), or still unsent after confirm-for
   */
  public record StaffTasks(long pending, long confirmed, long unsent) {}

  /** Ratios (0..1), null when the denominator is 0: sent/planned, replies/sent, conversions/sent. */
  public record Rates(Double sent, Double reply, Double conversion) {}

  public record Breakdown(long enqueued, long sent, long deferred, long failed, long expired, long cancelled,
                          long waiting, long replies, long conversions, Double replyRate, Double conversionRate) {}

  private final ReactiveStringRedisTemplate redis;
  private final Segments segments;
  private final CampaignRuns runs;
  private final CampaignProperties.Feedback props;

  CampaignFeedback(ReactiveStringRedisTemplate redis, Segments segments, CampaignRuns runs, CampaignProperties props) {
    this.redis = redis;
    this.segments = segments;
    this.runs = runs;
    this.props = props.feedback();
  }

  static String triggeredRun(String campaignId) {
    return campaignId + ":" + TRIGGERED;
  }

  /**
   * What the outbox counts a campaign message under: the run, the window (the goal's conversion window, else
   * {@code default-window}), the goal kind and the labels {@code stage:<stage>} plus {@code s:<name>} for each
   * configured segment the person is in now (plan time).
   */
  Mono<OutboxMessage.Feedback> tracking(Campaign campaign, String runId, String personId, Profile p) {
    Campaign.Goal goal = campaign.definition().goal();
    Duration window = goal != null && goal.conversionWindow() != null && !goal.conversionWindow().isZero()
        && !goal.conversionWindow().isNegative() ? goal.conversionWindow() : props.defaultWindow();
    String kind = goal == null || goal.conversionKind() == null || goal.conversionKind().isBlank() ? null
        : goal.conversionKind();
    String stage = "stage:" + (p.stage() == null || p.stage().isBlank() ? "unknown" : p.stage());
    return Flux.fromIterable(props.segments())
        .concatMap(s -> segments.isMember(s, personId).map(in -> in ? "s:" + s : ""))
        .filter(l -> !l.isEmpty())
        .collectList()
        .map(in -> {
          List<String> labels = new ArrayList<>(1 + in.size());
          labels.add(stage);
          labels.addAll(in);
          return new OutboxMessage.Feedback(runId, window, kind, labels);
        });
  }

  /**
   * Attributes one domain event (the stream entry's fields: type, key, person, at, kind) to the runs that
   * messaged the person within their window. Safe to replay: each (run, person) counts once per counter.
   */
  Mono<Void> onEvent(Map<Object, Object> fields) {
    String type = str(fields.get("type"));
    String person = str(fields.get("person"));
    String at = str(fields.get("at"));
    if (type == null || person == null || person.isBlank() || at == null) {
      return Mono.empty();
    }
    String kind = Events.INTERACTION.equals(type) ? str(fields.get("kind")) : type;
    long atMillis;
    try {
      atMillis = Long.parseLong(at);
    } catch (NumberFormatException e) {
      return Mono.empty();
    }
    if (kind == null) {
      return Mono.empty();
    }
    boolean reply = props.replyKinds().contains(kind);
    // collected first: the per-run scripts must not be issued while the HGETALL reply streams
    return redis.<String, String>opsForHash().entries(RedisKeys.outboxTouches(person))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .flatMapMany(touches -> Flux.fromIterable(touches.entrySet()))
        .concatMap(t -> {
          String[] v = t.getValue().split("\\|", -1);
          long sentAt;
          long end;
          try {
            sentAt = Long.parseLong(v[0]);
            end = Long.parseLong(v[1]);
          } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return Mono.empty(); // not a touch this version wrote
          }
          if (v.length < 4 || atMillis < sentAt || atMillis > end) {
            return Mono.empty();
          }
          Mono<Long> r = reply ? attribute(t.getKey(), REPLY, person, v[3]) : Mono.empty();
          Mono<Long> c = kind.equals(v[2]) ? attribute(t.getKey(), CONVERSION, person, v[3]) : Mono.empty();
          return r.then(c);
        })
        .then();
  }

  private Mono<Long> attribute(String runId, String counter, String person, String labels) {
    return redis.execute(ATTRIBUTE, List.of(RedisKeys.outboxFeedback(runId), RedisKeys.outboxFeedbackAttributed(runId)),
        List.of(counter, person, labels)).next();
  }

  /** The feedback of one run of {@code campaign}; empty when the campaign has no such run. */
  Mono<RunFeedback> of(Campaign campaign, String runId) {
    if (runId.equals(triggeredRun(campaign.id()))) {
      return campaign.definition().schedule() instanceof Campaign.Triggered
          ? counters(runId).map(c -> build(runId, campaign.id(), TRIGGERED, null, -1, 0, c)) : Mono.empty();
    }
    return runs.find(runId).filter(r -> campaign.id().equals(r.campaignId()))
        .flatMap(r -> counters(runId).map(c -> build(runId, campaign.id(), r.state(), r.fireAt(), r.planned(),
            r.skipped().capped(), c)));
  }

  /** The latest runs' feedback, newest first; a triggered campaign's aggregate comes first. */
  Mono<List<RunFeedback>> latest(Campaign campaign, int limit) {
    Mono<List<String>> ids = runs.ofCampaign(campaign.id(), limit).map(CampaignRuns.Run::runId).collectList();
    return ids.flatMap(list -> {
      List<String> all = new ArrayList<>();
      if (campaign.definition().schedule() instanceof Campaign.Triggered) {
        all.add(triggeredRun(campaign.id()));
      }
      all.addAll(list);
      return Flux.fromIterable(all.subList(0, Math.min(limit, all.size()))).concatMap(id -> of(campaign, id))
          .collectList();
    });
  }

  private Mono<Map<String, Long>> counters(String runId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.outboxFeedback(runId))
        .collectMap(Map.Entry::getKey, e -> Long.parseLong(e.getValue()));
  }

  /** {@code planned} −1: take the entries enqueued (triggered campaigns have no plan). */
  static RunFeedback build(String runId, String campaignId, String state, Instant fireAt, long planned, long capped,
                           Map<String, Long> c) {
    Map<String, Long> byChannel = new TreeMap<>();
    Map<String, Long> deferred = new TreeMap<>();
    Map<String, Long> failed = new TreeMap<>();
    Map<String, Long> expired = new TreeMap<>();
    Map<String, Map<String, Long>> labels = new TreeMap<>();
    c.forEach((k, v) -> {
      if (k.startsWith("l:")) {
        int cut = k.lastIndexOf(':');
        labels.computeIfAbsent(k.substring(2, cut), x -> new TreeMap<>()).put(k.substring(cut + 1), v);
      } else if (k.startsWith("sent:")) {
        byChannel.put(k.substring(5), v);
      } else if (k.startsWith("deferred:")) {
        deferred.put(k.substring(9), v);
      } else if (k.startsWith("failed:")) {
        failed.put(k.substring(7), v);
      } else if (k.startsWith("expired:")) {
        expired.put(k.substring(8), v);
      }
    });
    long enqueued = n(c, "enqueued");
    long sent = n(c, "sent");
    long confirmed = n(c, STAFF_CONFIRMED);
    long unsent = n(c, "staff:failed") + n(c, "staff:unconfirmed");
    long templates = byChannel.getOrDefault("template", 0L);
    long plannedOut = planned < 0 ? enqueued : planned;
    Map<String, Breakdown> breakdown = new TreeMap<>();
    labels.forEach((label, m) -> {
      long ls = n(m, "sent");
      breakdown.put(label, new Breakdown(n(m, "enqueued"), ls, n(m, "deferred"), n(m, "failed"), n(m, "expired"),
          n(m, "cancelled"), waiting(m), n(m, REPLY), n(m, CONVERSION), rate(n(m, REPLY), ls),
          rate(n(m, CONVERSION), ls)));
    });
    return new RunFeedback(runId, campaignId, state, fireAt, plannedOut, enqueued, new Sent(sent, byChannel),
        new Reasons(n(c, "deferred"), deferred), capped, new Reasons(n(c, "failed"), failed),
        new Reasons(n(c, "expired"), expired), n(c, "cancelled"), n(c, "retried"), waiting(c),
        new StaffTasks(Math.max(0, templates - confirmed - unsent), confirmed, unsent), n(c, REPLY), n(c, CONVERSION),
        new Rates(rate(sent, plannedOut), rate(n(c, REPLY), sent), rate(n(c, CONVERSION), sent)), breakdown);
  }

  private static long waiting(Map<String, Long> m) {
    return Math.max(0, n(m, "enqueued") - n(m, "sent") - n(m, "failed") - n(m, "expired") - n(m, "cancelled"));
  }

  private static long n(Map<String, Long> m, String k) {
    return m.getOrDefault(k, 0L);
  }

  private static Double rate(long part, long whole) {
    return whole <= 0 ? null : (double) part / whole;
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }
}

package io.siyu.campaign;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.siyu.audience.Profile;
import io.siyu.audience.ProfileFields;
import io.siyu.audience.Segments;
import io.siyu.growth.GrowthProperties;
import io.siyu.growth.Points;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import io.siyu.outbox.OutboxProperties;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Preview and dry run: who a campaign would reach and what they would get, read-only. The audience is
 * streamed (SSCAN, exclusions checked per person), never loaded; the outbox's cap counters and quiet hours
 * are read, never reserved.
 */
@Component
class CampaignPreviewer {

  static final String SOURCE = "campaign";
  private static final int CONCURRENCY = 64;
  private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

  /**
   * @param exact   false when the segment was larger than {@code siyu.campaign.preview-count-limit}: then
   *                {@code size} extrapolates the excluded share of the scanned members to the whole segment
   * @param scanned segment members looked at
   */
  record AudienceSize(long size, boolean exact, long scanned, long segmentSize) {}

  /**
   * One rendered message for a real person. {@code channel} null: no channel could reach the person now;
   * {@code capped} the outbox cap (cap-day, cap-week) that would defer it now, or null.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Sample(String personId, String name, String channel, String text, String capped) {}

  /**
   * @param quietUntil the end of the outbox's quiet hours when now is inside them (every message would be
   *                   deferred until then), else null
   */
  record Preview(AudienceSize audience, List<Sample> samples, long sampledCapped, long sampledNoChannel,
                 long sampledQuiet, Instant quietUntil) {}

  /** Counts over the whole audience (no texts): what a run started now would do. */
  record DryRun(AudienceSize audience, long reachable, long capped, long noChannel, long deferredByQuietHours,
                Instant quietUntil) {}

  private final Segments segments;
  private final ReactiveStringRedisTemplate redis;
  private final Personalizer personalizer;
  private final Points points;
  private final CampaignProperties props;
  private final OutboxProperties outbox;
  private final List<Integer> windowDays;
  private final Clock clock;
  private final ZoneId zone;

  CampaignPreviewer(Segments segments, ReactiveStringRedisTemplate redis, Personalizer personalizer, Points points,
                    CampaignProperties props, OutboxProperties outbox, GrowthProperties growth, Clock clock,
                    SiyuProperties siyu) {
    this.segments = segments;
    this.redis = redis;
    this.personalizer = personalizer;
    this.points = points;
    this.props = props;
    this.outbox = outbox;
    this.windowDays = growth.windowDays();
    this.clock = clock;
    this.zone = siyu.zone();
  }

  /** The audience's members, streamed: segment members not in any excluded segment (SSCAN may repeat one). */
  Flux<String> audience(Campaign.Audience a) {
    Flux<String> members = segments.members(a.segment());
    if (a.excludedSegments().isEmpty()) {
      return members;
    }
    return members.flatMapSequential(id -> Flux.fromIterable(a.excludedSegments())
        .flatMap(s -> segments.isMember(s, id))
        .any(Boolean.TRUE::equals)
        .filter(excluded -> !excluded)
        .map(x -> id), CONCURRENCY);
  }

  Mono<AudienceSize> size(Campaign.Audience a) {
    return segments.size(a.segment()).defaultIfEmpty(0L).flatMap(total -> {
      if (a.excludedSegments().isEmpty()) {
        return Mono.just(new AudienceSize(total, true, 0, total));
      }
      AtomicLong scanned = new AtomicLong();
      AtomicLong kept = new AtomicLong();
      return segments.members(a.segment())
          .take(props.previewCountLimit())
          .flatMap(id -> {
            scanned.incrementAndGet();
            return Flux.fromIterable(a.excludedSegments()).flatMap(s -> segments.isMember(s, id))
                .any(Boolean.TRUE::equals);
          }, CONCURRENCY)
          .doOnNext(excluded -> {
            if (!excluded) {
              kept.incrementAndGet();
            }
          })
          .then(Mono.fromSupplier(() -> {
            long s = scanned.get();
            boolean exact = s < props.previewCountLimit() || s >= total;
            long size = exact || s == 0 ? kept.get() : Math.round((double) kept.get() * total / s);
            return new AudienceSize(size, exact, s, total);
          }));
    });
  }

  Mono<Preview> preview(Campaign.Definition d, int sample) {
    Personalizer.Compiled content = personalizer.compile(d);
    Instant now = clock.instant();
    Instant quiet = quietUntil(now);
    Mono<List<Sample>> samples = audience(d.audience())
        .concatMap(id -> sample(id, d, content, now), 8)
        .take(sample)
        .collectList();
    return Mono.zip(size(d.audience()), samples).map(t -> {
      List<Sample> s = t.getT2();
      long capped = s.stream().filter(x -> x.capped() != null).count();
      long none = s.stream().filter(x -> x.channel() == null).count();
      long quietCount = quiet == null ? 0 : s.stream().filter(x -> x.channel() != null && x.capped() == null).count();
      return new Preview(t.getT1(), s, capped, none, quietCount, quiet);
    });
  }

  Mono<DryRun> dryRun(Campaign.Definition d) {
    Instant now = clock.instant();
    Instant quiet = quietUntil(now);
    AtomicLong reachable = new AtomicLong();
    AtomicLong capped = new AtomicLong();
    AtomicLong none = new AtomicLong();
    return audience(d.audience())
        .flatMap(id -> redis.<String, String>opsForHash().entries(RedisKeys.person(id))
            .collectMap(Map.Entry::getKey, Map.Entry::getValue)
            .filter(h -> !h.isEmpty())
            .flatMap(h -> channel(d.channels(), h.get(ProfileFields.EXTERNAL_USER_ID), h.get(ProfileFields.OWNER),
                    h.containsKey(ProfileFields.UNFOLLOWED_AT))
                .map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                .flatMap(ch -> {
                  if (ch.isEmpty()) {
                    none.incrementAndGet();
                    return Mono.empty();
                  }
                  return capReason(id, now).map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                      .doOnNext(cap -> (cap.isPresent() ? capped : reachable).incrementAndGet());
                })), CONCURRENCY)
        .then(size(d.audience()))
        .map(size -> new DryRun(size, reachable.get(), capped.get(), none.get(), quiet == null ? 0 : reachable.get(),
            quiet));
  }

  /** One person's rendered message; empty when the person has no profile (deleted meanwhile). */
  private Mono<Sample> sample(String id, Campaign.Definition d, Personalizer.Compiled content, Instant now) {
    return redis.<String, String>opsForHash().entries(RedisKeys.person(id))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .filter(h -> !h.isEmpty())
        .flatMap(h -> {
          Profile p = Profile.from(h, now, zone, windowDays);
          Mono<Points.Expiring> expiring = content.needsExpiring()
              ? points.expiring(id, props.expiringWithin()) : Mono.just(new Points.Expiring(0, null));
          Mono<String> channel = channel(d.channels(), p.externalUserId(), p.ownerUserId(), p.unfollowed())
              .defaultIfEmpty("");
          Mono<String> cap = capReason(id, now).defaultIfEmpty("");
          return Mono.zip(expiring, channel, cap).map(t -> new Sample(id, p.name(),
              t.getT2().isEmpty() ? null : t.getT2(), content.render(p, t.getT1()),
              t.getT3().isEmpty() ? null : t.getT3()));
        });
  }

  /**
   * The first preferred channel that can reach the person now: kf needs the configured kf account and a
   * customer-service session the outbox knows; staff (add_msg_template) needs the customer and an owner;
   * staff-notice an owner. Unfollowed persons have none.
   */
  private Mono<String> channel(List<String> channels, String externalUserId, String owner, boolean unfollowed) {
    if (unfollowed || externalUserId == null) {
      return Mono.empty();
    }
    return Flux.fromIterable(channels).concatMap(c -> switch (c) {
      case "kf" -> props.kfEnabled()
          ? redis.hasKey(RedisKeys.outboxKfSession(props.kfAccount(), externalUserId)).filter(b -> b).map(b -> c)
          : Mono.<String>empty();
      case "staff", "staff-notice" -> owner == null || owner.isBlank() ? Mono.<String>empty() : Mono.just(c);
      default -> Mono.<String>empty();
    }).next();
  }

  /** Which outbox cap (cap-day, cap-week) would defer a message to this person now; empty when none. */
  Mono<String> capReason(String personId, Instant now) {
    OutboxProperties.Caps caps = outbox.caps();
    if (caps.perDay() == 0 && caps.perWeek() == 0) {
      return Mono.empty();
    }
    LocalDate today = now.atZone(zone).toLocalDate();
    return redis.opsForValue().multiGet(List.of(RedisKeys.outboxCapDay(personId, today.format(DAY)),
            RedisKeys.outboxCapWeek(personId, weekId(today))))
        .flatMap(v -> {
          long day = v.get(0) == null ? 0 : Long.parseLong(v.get(0));
          long week = v.get(1) == null ? 0 : Long.parseLong(v.get(1));
          if (caps.perDay() > 0 && day >= caps.perDay()) {
            return Mono.just("cap-day");
          }
          return caps.perWeek() > 0 && week >= caps.perWeek() ? Mono.just("cap-week") : Mono.empty();
        });
  }

  /** Mirrors OutboxRules.weekId (package-private there): the key the outbox's cap script counts in. */
  static String weekId(LocalDate day) {
    return day.get(IsoFields.WEEK_BASED_YEAR) + "-W" + String.format("%02d", day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
  }

  /** Mirrors OutboxRules.quietUntil for a non-exempt source: the end of the quiet hours now is in, or null. */
  Instant quietUntil(Instant now) {
    if (outbox.exemptSources().contains(SOURCE)) {
      return null;
    }
    LocalTime start = LocalTime.parse(outbox.quietHours().start());
    LocalTime end = LocalTime.parse(outbox.quietHours().end());
    if (start.equals(end)) {
      return null;
    }
    ZonedDateTime local = now.atZone(zone);
    LocalTime t = local.toLocalTime();
    boolean quiet = start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
    if (!quiet) {
      return null;
    }
    LocalDate endDay = t.isBefore(end) ? local.toLocalDate() : local.toLocalDate().plusDays(1);
    return ZonedDateTime.of(endDay, end, zone).toInstant();
  }
}

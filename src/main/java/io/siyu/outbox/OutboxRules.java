package io.siyu.outbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;
import java.util.List;
import java.util.Optional;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Quiet hours and per-person caps, both in the brand's zone ({@code siyu.zone}). */
@Component
class OutboxRules {

  private static final RedisScript<Long> CAP_RESERVE = LuaScripts.load("outbox/cap-reserve.lua", Long.class);
  private static final RedisScript<Long> CAP_RELEASE = LuaScripts.load("outbox/cap-release.lua", Long.class);
  private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;
  private static final Duration DAY_TTL = Duration.ofDays(2);
  private static final Duration WEEK_TTL = Duration.ofDays(8);
  private static final Duration MARKER_TTL = Duration.ofDays(8);

  private final ReactiveStringRedisTemplate redis;
  private final OutboxProperties props;
  private final ZoneId zone;

  OutboxRules(ReactiveStringRedisTemplate redis, OutboxProperties props, SiyuProperties siyu) {
    this.redis = redis;
    this.props = props;
    this.zone = siyu.zone();
  }

  /** A cap decision: {@code deferUntil} null when the message may go now. */
  record CapDecision(Instant deferUntil, String reason) {
    static final CapDecision GO = new CapDecision(null, null);
  }

  /**
   * The end of the quiet hours {@code now} falls in, unless the source is exempt: listed, or under a listed
   * one ({@code campaign} exempts {@code campaign:<id>}).
   */
  Optional<Instant> quietUntil(Instant now, String source) {
    if (source != null && props.exemptSources().stream().anyMatch(e -> source.equals(e) || source.startsWith(e + ":"))) {
      return Optional.empty();
    }
    return quietUntil(now, props.quietHours().startTime(), props.quietHours().endTime(), zone);
  }

  static Optional<Instant> quietUntil(Instant now, LocalTime start, LocalTime end, ZoneId zone) {
    if (start.equals(end)) {
      return Optional.empty();
    }
    ZonedDateTime local = now.atZone(zone);
    LocalTime t = local.toLocalTime();
    boolean quiet = start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
    if (!quiet) {
      return Optional.empty();
    }
    LocalDate endDay = t.isBefore(end) ? local.toLocalDate() : local.toLocalDate().plusDays(1);
    return Optional.of(ZonedDateTime.of(endDay, end, zone).toInstant());
  }

  /**
   * Counts the message against its person's caps (once per key), or says until when it must wait. Staff
   * notices (no person) have no caps.
   */
  Mono<CapDecision> reserveCap(OutboxMessage m, Instant now) {
    OutboxProperties.Caps caps = props.caps();
    if (m.personId() == null || (caps.perDay() == 0 && caps.perWeek() == 0)) {
      return Mono.just(CapDecision.GO);
    }
    LocalDate today = now.atZone(zone).toLocalDate();
    String day = today.format(DAY);
    String week = weekId(today);
    List<String> keys = List.of(RedisKeys.outboxCapDay(m.personId(), day), RedisKeys.outboxCapWeek(m.personId(), week),
        RedisKeys.outboxCapReservation(m.personId(), m.key()));
    List<String> args = List.of(Integer.toString(caps.perDay()), Integer.toString(caps.perWeek()),
        Long.toString(DAY_TTL.toMillis()), Long.toString(WEEK_TTL.toMillis()), day + "|" + week,
        Long.toString(MARKER_TTL.toMillis()));
    return redis.execute(CAP_RESERVE, keys, args).next().map(r -> {
      if (r == -1L) {
        return new CapDecision(today.plusDays(1).atStartOfDay(zone).toInstant(), "cap-day");
      }
      if (r == -2L) {
        return new CapDecision(today.with(TemporalAdjusters.next(DayOfWeek.MONDAY)).atStartOfDay(zone).toInstant(),
            "cap-week");
      }
      return CapDecision.GO;
    });
  }

  /** Gives back the key's reservation (the message will not be sent). */
  Mono<Void> releaseCap(OutboxMessage m) {
    if (m.personId() == null) {
      return Mono.empty();
    }
    String marker = RedisKeys.outboxCapReservation(m.personId(), m.key());
    return redis.opsForValue().get(marker).flatMap(value -> {
      String[] parts = value.split("\\|", 2);
      if (parts.length != 2) {
        return Mono.empty();
      }
      return redis.execute(CAP_RELEASE, List.of(RedisKeys.outboxCapDay(m.personId(), parts[0]),
          RedisKeys.outboxCapWeek(m.personId(), parts[1]), marker), List.of(value)).then();
    });
  }

  static String weekId(LocalDate day) {
    return day.get(IsoFields.WEEK_BASED_YEAR) + "-W" + String.format("%02d", day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
  }
}

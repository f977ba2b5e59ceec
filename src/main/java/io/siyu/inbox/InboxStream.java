package io.siyu.inbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.connection.RedisStreamCommands.XClaimOptions;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The consumer side of the inbox stream in Redis: group creation, ack, dead letters, claiming a
 * crashed consumer's entries and the numbers behind the gauges. Each state change is one script.
 */
@Component
class InboxStream {

  /** One delivered entry: its stream id, raw fields and how many times it has been delivered. */
  record Entry(String id, Map<String, String> fields, long deliveries) {}

  /** One XAUTOCLAIM round: where to continue, what was dead-lettered, how many were gone, what to process. */
  record ClaimPage(String next, List<String> deadKinds, long gone, List<Entry> entries) {
    boolean last() {
      return "0-0".equals(next);
    }
  }

  /** Snapshot behind the gauges. */
  record Stats(long length, long pending, long dead) {}

  private static final RedisScript<Long> ACK = LuaScripts.load("inbox/ack.lua", Long.class);
  private static final RedisScript<Long> DEAD = LuaScripts.load("inbox/dead.lua", Long.class);
  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> CLAIM = LuaScripts.load("inbox/claim.lua", List.class);

  private final ReactiveStringRedisTemplate redis;
  private final InboxProperties props;
  private final Clock clock;

  InboxStream(ReactiveStringRedisTemplate redis, InboxProperties props, Clock clock) {
    this.redis = redis;
    this.props = props;
    this.clock = clock;
  }

  /**
   * XGROUP CREATE stream group 0 MKSTREAM: from 0 so entries appended before the group existed are
   * processed; an existing group (BUSYGROUP) is fine.
   */
  Mono<Void> ensureGroup() {
    ByteBuffer key = ByteBuffer.wrap(RedisKeys.inboxStream().getBytes(StandardCharsets.UTF_8));
    return redis.execute(c -> c.streamCommands().xGroupCreate(key, props.group(), ReadOffset.from("0"), true))
        .then()
        .onErrorResume(InboxStream::isBusyGroup, e -> Mono.empty());
  }

  /** XACK + XDEL + processed counter; true when this call finished the entry. */
  Mono<Boolean> ack(String id) {
    return redis.execute(ACK, List.of(RedisKeys.inboxStream(), RedisKeys.inboxProcessedCounter()),
        List.of(props.group(), id)).next().map(n -> n == 1L);
  }

  /** XADD to the dead letters + XACK + XDEL; false when the entry was no longer pending. */
  Mono<Boolean> deadLetter(String id, Map<String, String> fields) {
    List<String> args = new ArrayList<>(2 + fields.size() * 2);
    args.add(props.group());
    args.add(id);
    fields.forEach((k, v) -> {
      args.add(k);
      args.add(v == null ? "" : v);
    });
    return redis.execute(DEAD, List.of(RedisKeys.inboxStream(), RedisKeys.inboxDeadLetters()), args).next()
        .map(n -> n == 1L);
  }

  /** One XAUTOCLAIM page for this consumer, starting at {@code start} ("0-0" for a new round). */
  Mono<ClaimPage> claim(String start, int count) {
    List<String> args = List.of(props.group(), props.consumer(), Long.toString(props.claimIdle().toMillis()), start,
        Integer.toString(count), Integer.toString(props.maxAttempts()), Long.toString(clock.millis()));
    return redis.execute(CLAIM, List.of(RedisKeys.inboxStream(), RedisKeys.inboxDeadLetters()), args).next()
        .map(InboxStream::claimPage);
  }

  /**
   * Resets the idle time of entries this instance is still processing (XCLAIM JUSTID with min-idle 0,
   * which leaves the delivery count alone), so a slow handler's entry is not claimed by another
   * instance, nor counted as a poison delivery, while it is being worked on.
   */
  Mono<Void> touch(List<String> ids) {
    if (ids.isEmpty()) {
      return Mono.empty();
    }
    ByteBuffer key = ByteBuffer.wrap(RedisKeys.inboxStream().getBytes(StandardCharsets.UTF_8));
    return redis.execute(c -> c.streamCommands().xClaimJustId(key, props.group(), props.consumer(),
        XClaimOptions.minIdle(Duration.ZERO).ids(ids.toArray(String[]::new)))).then();
  }

  Mono<Stats> stats() {
    var streams = redis.opsForStream();
    Mono<Long> pending = streams.pending(RedisKeys.inboxStream(), props.group())
        .map(s -> s.getTotalPendingMessages())
        .onErrorResume(e -> isNoGroup(e), e -> Mono.just(0L));
    return Mono.zip(streams.size(RedisKeys.inboxStream()), pending, streams.size(RedisKeys.inboxDeadLetters()))
        .map(t -> new Stats(t.getT1(), t.getT2(), t.getT3()));
  }

  @SuppressWarnings("rawtypes")
  private static ClaimPage claimPage(List result) {
    String next = String.valueOf(result.get(0));
    List<String> deadKinds = new ArrayList<>();
    for (Object kind : (List<?>) result.get(1)) {
      deadKinds.add(String.valueOf(kind));
    }
    long gone = ((Number) result.get(2)).longValue();
    List<Entry> entries = new ArrayList<>();
    for (int i = 3; i < result.size(); i++) {
      List<?> item = (List<?>) result.get(i);
      Map<String, String> fields = new LinkedHashMap<>();
      for (int f = 2; f + 1 < item.size(); f += 2) {
        fields.put(String.valueOf(item.get(f)), String.valueOf(item.get(f + 1)));
      }
      entries.add(new Entry(String.valueOf(item.get(0)), fields, Long.parseLong(String.valueOf(item.get(1)))));
    }
    return new ClaimPage(next, deadKinds, gone, entries);
  }

  static boolean isBusyGroup(Throwable e) {
    return messageChainContains(e, "BUSYGROUP");
  }

  static boolean isNoGroup(Throwable e) {
    return messageChainContains(e, "NOGROUP");
  }

  private static boolean messageChainContains(Throwable e, String code) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains(code)) {
        return true;
      }
    }
    return false;
  }
}

package io.siyu.outbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The entries' Redis state. Every status change is one script that checks the lease holder, so the
 * status moves queued → sending (leased) → sent | dead | expired, or back to queued (deferred, retried),
 * and nothing else.
 */
@Component
class OutboxStore {

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> ENQUEUE = LuaScripts.load("outbox/enqueue.lua", List.class);
  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> CLAIM = LuaScripts.load("outbox/claim.lua", List.class);
  private static final RedisScript<Long> BEGIN = LuaScripts.load("outbox/begin.lua", Long.class);
  private static final RedisScript<Long> FINISH = LuaScripts.load("outbox/finish.lua", Long.class);
  private static final RedisScript<Long> TOUCH = LuaScripts.load("outbox/touch.lua", Long.class);
  private static final int CLAIM_STRIDE = 6;
  /** Arguments per message of {@code enqueue.lua} (documented at its top). */
  private static final int ENQUEUE_STRIDE = 8;

  private final ReactiveStringRedisTemplate redis;
  private final JsonMapper json;
  private final OutboxProperties props;

  OutboxStore(ReactiveStringRedisTemplate redis, JsonMapper json, OutboxProperties props) {
    this.redis = redis;
    this.json = json;
    this.props = props;
  }

  /** Outcome values of {@link #finish}; also the entry's status afterwards. */
  enum Outcome {
    QUEUED, SENT, DEAD, EXPIRED;

    String value() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One claimed entry: the lease token proves the claim. */
  record Claimed(String key, OutboxMessage message, int attempts, int from, int deliveries, boolean redelivered,
                 String token) {}

  Mono<Outbox.Receipt> enqueue(OutboxMessage m, Instant now) {
    return enqueueAll(List.of(m), now).map(r -> r.get(0));
  }

  /** One script for all of {@code messages}: receipts in the same order. */
  Mono<List<Outbox.Receipt>> enqueueAll(List<OutboxMessage> messages, Instant now) {
    if (messages.isEmpty()) {
      return Mono.just(List.of());
    }
    List<String> keys = new ArrayList<>(2 + messages.size());
    keys.add(RedisKeys.outboxDue());
    keys.add(RedisKeys.outboxStats());
    List<String> args = new ArrayList<>(1 + messages.size() * ENQUEUE_STRIDE);
    args.add(Long.toString(now.toEpochMilli()));
    for (OutboxMessage m : messages) {
      keys.add(RedisKeys.outboxEntry(m.key()));
      args.add(m.key());
      args.add(m.personId() == null ? "" : m.personId());
      args.add(json.writeValueAsString(m));
      args.add(Integer.toString(m.priority()));
      args.add(m.deadline() == null ? "" : Long.toString(m.deadline().toEpochMilli()));
      args.add(m.source());
      OutboxMessage.Feedback fb = m.feedback();
      args.add(fb == null ? "" : RedisKeys.outboxFeedback(fb.runId()));
      args.add(fb == null ? "" : String.join(",", fb.labels()));
    }
    return redis.execute(ENQUEUE, keys, args).next().map(r -> {
      List<Outbox.Receipt> out = new ArrayList<>(messages.size());
      for (int i = 0; i < messages.size(); i++) {
        out.add(new Outbox.Receipt(messages.get(i).key(), ((Number) r.get(2 * i)).longValue() == 1L,
            String.valueOf(r.get(2 * i + 1))));
      }
      return List.copyOf(out);
    });
  }

  Mono<List<Claimed>> claim(Instant now, int batch, String token) {
    List<String> keys = List.of(RedisKeys.outboxDue(), RedisKeys.outboxInflight(), RedisKeys.outboxStats(),
        RedisKeys.outboxCancelledSources());
    List<String> args = List.of(Long.toString(now.toEpochMilli()), Integer.toString(batch),
        Long.toString(props.lease().toMillis()), token, RedisKeys.outboxEntryPrefix(),
        Long.toString(props.retention().toMillis()));
    return redis.execute(CLAIM, keys, args).next().map(raw -> {
      List<Claimed> out = new ArrayList<>();
      for (int i = 0; i + CLAIM_STRIDE <= raw.size(); i += CLAIM_STRIDE) {
        OutboxMessage m = json.readValue(String.valueOf(raw.get(i + 1)), OutboxMessage.class);
        out.add(new Claimed(String.valueOf(raw.get(i)), m, Integer.parseInt(String.valueOf(raw.get(i + 2))),
            Integer.parseInt(String.valueOf(raw.get(i + 3))), Integer.parseInt(String.valueOf(raw.get(i + 4))),
            "1".equals(String.valueOf(raw.get(i + 5))), token));
      }
      return List.copyOf(out);
    }).defaultIfEmpty(List.of());
  }

  /** True when the caller still holds the lease (now renewed); false when another worker took the entry. */
  Mono<Boolean> begin(Claimed c, Instant now, Channel channel) {
    return redis.execute(BEGIN, List.of(RedisKeys.outboxEntry(c.key()), RedisKeys.outboxInflight()),
            List.of(c.key(), c.token(), Long.toString(now.toEpochMilli()), Long.toString(props.lease().toMillis()),
                channel.id()))
        .next().map(n -> n == 1L);
  }

  /**
   * Records an outcome for the lease holder. {@code dueAt}/{@code from} matter for {@link Outcome#QUEUED}.
   * False when the lease was lost (another worker has the entry; nothing recorded).
   */
  Mono<Boolean> finish(Claimed c, Instant now, Outcome outcome, Channel channel, Instant dueAt, int from,
                       int attemptsAdded, String error) {
    return finish(c, now, outcome, channel, dueAt, from, attemptsAdded, error, null);
  }

  /** {@code reasonTag}: the feedback counters' reason (deferred:, failed:, expired:); null none. */
  Mono<Boolean> finish(Claimed c, Instant now, Outcome outcome, Channel channel, Instant dueAt, int from,
                       int attemptsAdded, String error, String reasonTag) {
    List<String> keys = List.of(RedisKeys.outboxEntry(c.key()), RedisKeys.outboxDue(), RedisKeys.outboxInflight(),
        RedisKeys.outboxStats());
    List<String> args = List.of(c.key(), c.token(), Long.toString(now.toEpochMilli()), outcome.value(),
        channel == null ? "" : channel.id(), Long.toString((dueAt == null ? now : dueAt).toEpochMilli()),
        Integer.toString(from), Integer.toString(attemptsAdded), error == null ? "" : error,
        Long.toString(props.retention().toMillis()), reasonTag == null ? "" : reasonTag);
    return redis.execute(FINISH, keys, args).next().map(n -> n == 1L);
  }

  /** Notes on the person that the message's run reached them at {@code sentAt} (feedback attribution). */
  Mono<Void> touch(OutboxMessage m, Instant sentAt) {
    OutboxMessage.Feedback f = m.feedback();
    if (f == null || m.personId() == null || m.personId().isBlank()) {
      return Mono.empty();
    }
    long end = sentAt.plus(f.window()).toEpochMilli();
    String value = sentAt.toEpochMilli() + "|" + end + "|" + (f.goal() == null ? "" : f.goal()) + "|"
        + String.join(",", f.labels());
    return redis.execute(TOUCH, List.of(RedisKeys.outboxTouches(m.personId())),
        List.of(f.runId(), value, Long.toString(sentAt.toEpochMilli()), Long.toString(end))).then();
  }

  /** Marks a source cancelled: its entries still queued expire when next claimed (claim.lua). */
  Mono<Void> cancelSource(String source) {
    return redis.opsForSet().add(RedisKeys.outboxCancelledSources(), source).then();
  }

  Mono<Outbox.Status> status(String key) {
    return redis.<String, String>opsForHash().entries(RedisKeys.outboxEntry(key))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .filter(m -> m.containsKey("status"))
        .map(m -> new Outbox.Status(key, m.get("status"), m.get("channel"), intOf(m.get("attempts")),
            m.get("lastError"), m.get("source"), m.get("person"), instantOf(m.get("createdAt")),
            instantOf(m.get("updatedAt")), instantOf(m.get("dueAt")), instantOf(m.get("doneAt"))));
  }

  Mono<Outbox.Stats> stats() {
    Mono<Map<String, Long>> counts = redis.<String, String>opsForHash().entries(RedisKeys.outboxStats())
        .collectMap(Map.Entry::getKey, e -> Long.parseLong(e.getValue()));
    return Mono.zip(counts, redis.opsForZSet().size(RedisKeys.outboxDue()),
        redis.opsForZSet().size(RedisKeys.outboxInflight())).map(t -> {
          Map<String, Long> byStatus = new HashMap<>();
          Map<String, Long> byChannel = new HashMap<>();
          for (String s : Outbox.STATUSES) {
            byStatus.put(s, 0L);
          }
          for (Channel ch : Channel.values()) {
            byChannel.put(ch.id(), 0L);
          }
          long redelivered = 0;
          for (Map.Entry<String, Long> e : t.getT1().entrySet()) {
            if (e.getKey().startsWith("status:")) {
              byStatus.put(e.getKey().substring(7), e.getValue());
            } else if (e.getKey().startsWith("channel:")) {
              byChannel.put(e.getKey().substring(8), e.getValue());
            } else if (e.getKey().equals("redelivered")) {
              redelivered = e.getValue();
            }
          }
          return new Outbox.Stats(Map.copyOf(byStatus), Map.copyOf(byChannel), t.getT2(), t.getT3(), redelivered);
        });
  }

  private static int intOf(String s) {
    return s == null || s.isEmpty() ? 0 : Integer.parseInt(s);
  }

  private static Instant instantOf(String s) {
    return s == null || s.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(s));
  }
}

package io.siyu.outbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * What WeCom allows on kf/send_msg for one (open_kfid, external_userid): sends within the window after the
 * customer's last message, at most a maximum since. The customer side comes from inbox events
 * ({@link KfSessionHandler}); each send is reserved before the call and given back if it did not happen.
 */
@Component
class KfSessions {

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> RESERVE = LuaScripts.load("outbox/kf-reserve.lua", List.class);
  private static final RedisScript<Long> RELEASE = LuaScripts.load("outbox/kf-release.lua", Long.class);
  private static final RedisScript<Long> CUSTOMER = LuaScripts.load("outbox/kf-customer.lua", Long.class);
  private static final Duration TTL_MARGIN = Duration.ofDays(1);

  private final ReactiveStringRedisTemplate redis;
  private final OutboxProperties.Kf props;

  KfSessions(ReactiveStringRedisTemplate redis, OutboxProperties props) {
    this.redis = redis;
    this.props = props.kf();
  }

  /** A reserved send; {@code sessionLast} identifies the session so a release cannot touch a newer one. */
  record Reservation(String openKfId, String externalUserId, String sessionLast) {}

  /** Why no send could be reserved, for the status's lastError. */
  static final String NO_SESSION = "no open kf session";
  static final String COUNT_REACHED = "kf messages since the customer's last message reached";

  /** The customer wrote at {@code at}: a new window and a fresh count (older or repeated messages change nothing). */
  Mono<Boolean> customerMessage(String openKfId, String externalUserId, Instant at) {
    return redis.execute(CUSTOMER, List.of(RedisKeys.outboxKfSession(openKfId, externalUserId)),
        List.of(Long.toString(at.toEpochMilli()), Long.toString(props.window().plus(TTL_MARGIN).toMillis())))
        .next().map(n -> n == 1L);
  }

  /** A reservation, or an error string saying why the session does not allow a send. */
  Mono<Object> reserve(String openKfId, String externalUserId, Instant now) {
    return redis.execute(RESERVE, List.of(RedisKeys.outboxKfSession(openKfId, externalUserId)),
        List.of(Long.toString(now.toEpochMilli()), Long.toString(props.window().toMillis()),
            Integer.toString(props.maxMessages())))
        .next().map(r -> {
          long code = ((Number) r.get(0)).longValue();
          if (code == 1L) {
            return new Reservation(openKfId, externalUserId, String.valueOf(r.get(1)));
          }
          return code == -1L ? COUNT_REACHED : NO_SESSION;
        });
  }

  /** The send did not happen: give it back. */
  Mono<Void> release(Reservation r) {
    return run(r, "0");
  }

  /** WeCom refused for the session (count, window, state): no more sends until the customer writes. */
  Mono<Void> exhaust(Reservation r) {
    return run(r, "1");
  }

  private Mono<Void> run(Reservation r, String exhaust) {
    return redis.execute(RELEASE, List.of(RedisKeys.outboxKfSession(r.openKfId(), r.externalUserId())),
        List.of(r.sessionLast(), exhaust)).then();
  }
}

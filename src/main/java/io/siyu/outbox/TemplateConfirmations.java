package io.siyu.outbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.Polling;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomClient;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import me.chanjar.weixin.cp.bean.external.contact.WxCpGroupMsgSendResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Staff confirmation of campaign messages sent as add_msg_template tasks: WeCom only creates a task the staff
 * member must confirm in the client; {@code externalcontact/get_groupmsg_send_result} tells whether they sent it.
 * The worker tracks every such task of a message with feedback ({@code outbox/template-track.lua}); every
 * {@code siyu.outbox.template.confirm-check} the due tasks are asked about: status 1 (sent) counts
 * {@code staff:confirmed} in the run's feedback, 2/3 (not a contact, already received another) count
 * {@code staff:failed}, 0 is asked again next time until {@code confirm-for} after the send
 * ({@code staff:unconfirmed}). Each once per entry ({@code outbox/template-done.lua}).
 */
@Component
class TemplateConfirmations implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(TemplateConfirmations.class);
  private static final RedisScript<Long> TRACK = LuaScripts.load("outbox/template-track.lua", Long.class);
  private static final RedisScript<Long> DONE = LuaScripts.load("outbox/template-done.lua", Long.class);
  private static final RedisScript<Long> LATER = RedisScript.of(
      "return redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])", Long.class);
  private static final int PAGE = 1000;

  private final ReactiveStringRedisTemplate redis;
  private final WecomClient wecom;
  private final OutboxProperties props;
  private final Clock clock;
  private volatile Disposable loop;

  TemplateConfirmations(ReactiveStringRedisTemplate redis, WecomClient wecom, OutboxProperties props, Clock clock) {
    this.redis = redis;
    this.wecom = wecom;
    this.props = props;
    this.clock = clock;
  }

  @Override
  public synchronized void start() {
    if (props.enabled() && loop == null) {
      loop = Polling.every(props.template().confirmCheck(), "template confirmations", this::checkDue);
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

  /** Tracks the task {@code msgid} of the entry {@code key}; first checked one interval after the send. */
  Mono<Void> track(String key, String msgid, OutboxMessage m, Instant sentAt) {
    return redis.execute(TRACK, List.of(RedisKeys.outboxEntry(key), RedisKeys.outboxTemplatePending()),
        List.of(key, msgid, m.to().ownerUserId(), m.to().externalUserId(),
            Long.toString(sentAt.plus(props.template().confirmCheck()).toEpochMilli()))).then();
  }

  /** Asks WeCom about every task due for a check (one batch); the number checked. The poller calls it; so do tests. */
  Mono<Integer> checkDue() {
    Instant now = clock.instant();
    return redis.opsForZSet().rangeByScore(RedisKeys.outboxTemplatePending(),
            Range.closed(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()), Limit.limit().count(props.batch()))
        .collectList()
        .flatMap(keys -> Flux.fromIterable(keys).concatMap(k -> check(k, now).onErrorResume(e -> {
          log.warn("template confirmation check failed, asked again next time: {}: {}", e.getClass().getName(),
              e.getMessage());
          return later(k, now);
        })).then(Mono.just(keys.size())));
  }

  private Mono<Void> check(String key, Instant now) {
    return redis.<String, String>opsForHash().multiGet(RedisKeys.outboxEntry(key),
        List.of("tmplMsgId", "tmplSender", "tmplExt", "doneAt")).flatMap(f -> {
          if (f.get(0) == null) {
            // the entry is gone (past its retention): nothing left to count
            return redis.opsForZSet().remove(RedisKeys.outboxTemplatePending(), key).then();
          }
          String ext = f.get(2);
          Instant sentAt = f.get(3) == null ? now : Instant.ofEpochMilli(Long.parseLong(f.get(3)));
          return wecom.call(props.apps().contact(), "externalcontact/get_groupmsg_send_result",
                  s -> s.getExternalContactService().getGroupMsgSendResult(f.get(0), f.get(1), PAGE, null))
              .flatMap(r -> {
                Integer status = statusOf(r, ext);
                if (status != null && status == 1) {
                  return done(key, "confirmed", now);
                }
                if (status != null && (status == 2 || status == 3)) {
                  return done(key, "failed", now);
                }
                return now.isAfter(sentAt.plus(props.template().confirmFor())) ? done(key, "unconfirmed", now)
                    : later(key, now);
              });
        });
  }

  private static Integer statusOf(WxCpGroupMsgSendResult r, String ext) {
    if (r.getSendList() == null) {
      return null;
    }
    return r.getSendList().stream().filter(i -> ext != null && ext.equals(i.getExternalUserId()))
        .map(WxCpGroupMsgSendResult.ExternalContactGroupMsgSendInfo::getStatus).findFirst().orElse(null);
  }

  private Mono<Void> done(String key, String outcome, Instant now) {
    return redis.execute(DONE, List.of(RedisKeys.outboxEntry(key), RedisKeys.outboxTemplatePending()),
        List.of(key, outcome, Long.toString(now.toEpochMilli()))).then();
  }

  private Mono<Void> later(String key, Instant now) {
    // XX: a task recorded as done meanwhile stays out
    return redis.execute(LATER, List.of(RedisKeys.outboxTemplatePending()),
        List.of(Long.toString(now.plus(props.template().confirmCheck()).toEpochMilli()), key)).then();
  }
}

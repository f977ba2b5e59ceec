package io.siyu.inbox;

import com.google.gson.Gson;
import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.Transient;
import io.siyu.wecom.WecomClient;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.Locale;
import java.util.UUID;
import java.time.Clock;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp.WxCpKfMsgItem;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import me.chanjar.weixin.cp.util.json.WxCpGsonBuilder;
import me.chanjar.weixin.cp.util.xml.XStreamTransformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * A {@code kf_msg_or_event} callback carries no content, only a token: this handler pulls the
 * customer-service account's new messages with {@code kf/sync_msg} and appends each one to the inbox
 * as its own event ({@code kf:<msgtype>} or {@code kf:event:<event_type>}, deduplicated on the msgid).
 *
 * <p>The cursor of each (app, open_kfid) is persisted only after the page's messages were appended:
 * a crash refetches the page and the msgid dedupe drops the repeats. One sync per account runs at a
 * time (a Redis lease); a second event meanwhile fails with a {@link Transient} error so the
 * dispatcher retries it later: a message that arrived after the holder's last page is still fetched.
 */
@Component
class KfSyncHandler implements InboxHandler {

  static final String KIND = "event:kf_msg_or_event";

  private static final Logger log = LoggerFactory.getLogger(KfSyncHandler.class);
  private static final RedisScript<Long> RELEASE = LuaScripts.load("inbox/kf-lease-release.lua", Long.class);
  private static final Duration LEASE_POLL_MIN = Duration.ofMillis(50);
  private static final Duration LEASE_POLL_MAX = Duration.ofSeconds(1);
  private static final RedisScript<Long> SAVE_CURSOR = LuaScripts.load("inbox/kf-save-cursor.lua", Long.class);

  /** The {@code kf/sync_msg} call; a seam so the paging loop can be tested without WeCom. */
  @FunctionalInterface
  interface SyncCall {
    Mono<WxCpKfMsgListResp> sync(String app, String cursor, String token, int limit, String openKfId);
  }

  /** The sync of this account is running elsewhere, or this run yields: try again later. */
  static final class RetryLater extends RuntimeException implements Transient {
    RetryLater(String message) {
      super(message);
    }
  }

  private final SyncCall syncCall;
  private final InboxAppender appender;
  private final ReactiveStringRedisTemplate redis;
  private final InboxProperties.Kf props;
  private final Clock clock;
  private final Gson gson = WxCpGsonBuilder.create();

  @Autowired
  KfSyncHandler(WecomClient wecom, InboxAppender appender, ReactiveStringRedisTemplate redis, InboxProperties props,
                Clock clock) {
    this((app, cursor, token, limit, openKfId) -> wecom.call(app, "kf/sync_msg",
        s -> s.getKfService().syncMsg(cursor, token, limit, null, openKfId)), appender, redis, props, clock);
  }

  KfSyncHandler(SyncCall syncCall, InboxAppender appender, ReactiveStringRedisTemplate redis, InboxProperties props,
                Clock clock) {
    this.syncCall = syncCall;
    this.appender = appender;
    this.redis = redis;
    this.props = props.kf();
    this.clock = clock;
  }

  @Override
  public String name() {
    return "kf-sync";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return KIND.equals(event.kind());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> XStreamTransformer.fromXml(WxCpXmlMessage.class, event.payload())).flatMap(xml -> {
      String openKfId = xml.getOpenKfId();
      if (openKfId == null || openKfId.isBlank()) {
        return Mono.error(new IllegalArgumentException("kf_msg_or_event without OpenKfId"));
      }
      return withLease(event.app(), openKfId, holder -> sync(event.app(), openKfId, xml.getToken(), holder));
    });
  }

  /**
   * Runs {@code work} holding the account's lease. A held lease is waited for (the holder may already
   * be past its last page, so this event's messages need a sync of their own); after the lease wait
   * the event fails with {@link RetryLater} and the dispatcher tries again later.
   */
  private Mono<Void> withLease(String app, String openKfId, Function<String, Mono<Void>> work) {
    String lease = RedisKeys.kfSyncLease(app, openKfId);
    String holder = UUID.randomUUID().toString();
    Mono<String> acquire = redis.opsForValue().setIfAbsent(lease, holder, props.leaseTtl())
        .flatMap(acquired -> acquired ? Mono.just(holder)
            : Mono.<String>error(new RetryLater("kf sync of " + openKfId + " is running elsewhere")))
        .retryWhen(Retry.backoff(Long.MAX_VALUE, LEASE_POLL_MIN).maxBackoff(LEASE_POLL_MAX)
            .filter(RetryLater.class::isInstance))
        .timeout(props.leaseWait(), Mono.error(() -> new RetryLater("kf sync of " + openKfId
            + " still running after " + props.leaseWait())));
    return Mono.usingWhen(acquire, work, h -> redis.execute(RELEASE, List.of(lease), List.of(h)).then());
  }

  private Mono<Void> sync(String app, String openKfId, String token, String holder) {
    return redis.opsForValue().get(RedisKeys.kfCursor(app, openKfId))
        .defaultIfEmpty("")
        .flatMap(cursor -> page(app, openKfId, token, holder, cursor, 1));
  }

  private Mono<Void> page(String app, String openKfId, String token, String holder, String cursor, int pageNo) {
    return syncCall.sync(app, cursor.isEmpty() ? null : cursor, token, props.pageLimit(), openKfId).flatMap(resp -> {
      List<WxCpKfMsgItem> messages = resp.getMsgList() == null ? List.of() : resp.getMsgList();
      String next = resp.getNextCursor() == null || resp.getNextCursor().isEmpty() ? cursor : resp.getNextCursor();
      boolean more = resp.getHasMore() != null && resp.getHasMore() == 1;
      // concatMap: keep the account's messages in their order in the inbox
      return Flux.fromIterable(messages)
          .concatMap(item -> append(app, item))
          .then(saveCursor(app, openKfId, holder, next))
          .then(Mono.defer(() -> {
            if (!more) {
              return Mono.empty();
            }
            if (pageNo >= props.maxPages()) {
              return Mono.error(new RetryLater("kf sync of " + openKfId + " yields after " + pageNo + " pages"));
            }
            return page(app, openKfId, token, holder, next, pageNo + 1);
          }));
    });
  }

  private Mono<Void> append(String app, WxCpKfMsgItem item) {
    if (item.getMsgId() == null || item.getMsgId().isBlank()) {
      log.warn("kf message without msgid skipped (app {}, msgtype {})", app, item.getMsgType());
      return Mono.empty();
    }
    InboxEvent event = new InboxEvent("", app, kind(item), "kf:" + item.getMsgId(), InboxEvent.JSON,
        gson.toJson(item), clock.instant());
    return appender.append(event).then();
  }

  private Mono<Void> saveCursor(String app, String openKfId, String holder, String cursor) {
    if (cursor.isEmpty()) {
      return Mono.empty();
    }
    return redis.execute(SAVE_CURSOR, List.of(RedisKeys.kfCursor(app, openKfId), RedisKeys.kfSyncLease(app, openKfId)),
            List.of(holder, cursor, Long.toString(props.leaseTtl().toMillis())))
        .next()
        .flatMap(saved -> saved == 1L ? Mono.<Void>empty()
            : Mono.error(new RetryLater("kf sync lease of " + openKfId + " expired during the sync")));
  }

  static String kind(WxCpKfMsgItem item) {
    String type = item.getMsgType() == null ? "unknown" : item.getMsgType().toLowerCase(Locale.ROOT);
    if ("event".equals(type) && item.getEvent() != null && item.getEvent().getEventType() != null) {
      return "kf:event:" + item.getEvent().getEventType().toLowerCase(Locale.ROOT);
    }
    return "kf:" + type;
  }
}

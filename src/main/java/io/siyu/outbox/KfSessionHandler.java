package io.siyu.outbox;

import com.google.gson.Gson;
import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import java.time.Instant;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp.WxCpKfMsgItem;
import me.chanjar.weixin.cp.util.json.WxCpGsonBuilder;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Keeps the outbox's view of kf sessions: a customer's own message (origin 3) opens a new 48 h window
 * and resets the count of messages sent since. Idempotent: a replayed entry is not newer than itself.
 */
@Component
class KfSessionHandler implements InboxHandler {

  static final int ORIGIN_CUSTOMER = 3;

  private final KfSessions sessions;
  private final Gson gson = WxCpGsonBuilder.create();

  KfSessionHandler(KfSessions sessions) {
    this.sessions = sessions;
  }

  @Override
  public String name() {
    return "outbox-kf-session";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return event.kind().startsWith("kf:") && !event.kindStartsWith("kf:event") && InboxEvent.JSON.equals(event.format());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> gson.fromJson(event.payload(), WxCpKfMsgItem.class))
        .filter(item -> item.getOrigin() != null && item.getOrigin() == ORIGIN_CUSTOMER
            && item.getOpenKfid() != null && item.getExternalUserId() != null)
        .flatMap(item -> {
          // send_time is in seconds; without it, when Siyu received the message is the closest known time
          Instant at = item.getSendTime() != null ? Instant.ofEpochSecond(item.getSendTime()) : event.receivedAt();
          return sessions.customerMessage(item.getOpenKfid(), item.getExternalUserId(), at);
        })
        .then();
  }
}

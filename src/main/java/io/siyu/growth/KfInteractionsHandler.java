package io.siyu.growth;

import com.google.gson.Gson;
import io.siyu.audience.PersonStore;
import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import io.siyu.infra.SiyuProperties;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp.WxCpKfMsgItem;
import me.chanjar.weixin.cp.util.json.WxCpGsonBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Customer-service messages as interactions. For a message from the customer (origin 3) whose
 * external_userid belongs to a known person: {@code chat} keyed by msgid; {@code menu_click} keyed by
 * msgid when the text is a msgmenu click (it carries a menu_id); {@code checkin} keyed
 * {@code checkin:<local date in siyu.zone of send_time>} when the text equals one of {@code siyu.growth.checkin-keywords}
 * (so once per local day however often the customer sends it). Unknown customers are skipped.
 */
@Component
class KfInteractionsHandler implements InboxHandler {

  static final int ORIGIN_CUSTOMER = 3;
  private static final Logger log = LoggerFactory.getLogger(KfInteractionsHandler.class);

  private final Interactions interactions;
  private final PersonStore persons;
  private final GrowthProperties props;
  private final SiyuProperties siyu;
  private final Gson gson = WxCpGsonBuilder.create();

  KfInteractionsHandler(Interactions interactions, PersonStore persons, GrowthProperties props, SiyuProperties siyu) {
    this.interactions = interactions;
    this.persons = persons;
    this.props = props;
    this.siyu = siyu;
  }

  @Override
  public String name() {
    return "growth-kf-interactions";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return event.kind().startsWith("kf:") && !event.kindStartsWith("kf:event") && InboxEvent.JSON.equals(event.format());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> gson.fromJson(event.payload(), WxCpKfMsgItem.class))
        .filter(item -> item.getOrigin() != null && item.getOrigin() == ORIGIN_CUSTOMER
            && notBlank(item.getExternalUserId()) && notBlank(item.getMsgId()))
        .flatMap(item -> persons.idOfExternalUser(item.getExternalUserId())
            .switchIfEmpty(Mono.fromRunnable(() -> log.debug("kf message {} from an unknown customer skipped", item.getMsgId())))
            .flatMap(personId -> Flux.fromIterable(interactionsOf(personId, item, event.receivedAt()))
                .concatMap(interactions::record)
                .then()))
        .then();
  }

  private List<Interaction> interactionsOf(String personId, WxCpKfMsgItem item, Instant receivedAt) {
    // send_time is in seconds; without it, when Siyu received the message is the closest known time
    Instant at = item.getSendTime() != null ? Instant.ofEpochSecond(item.getSendTime()) : receivedAt;
    List<Interaction> out = new ArrayList<>(3);
    out.add(new Interaction(personId, "chat", item.getMsgId(), at));
    if (item.getText() != null) {
      if (notBlank(item.getText().getMenuId())) {
        out.add(new Interaction(personId, "menu_click", item.getMsgId(), at));
      }
      String content = item.getText().getContent() == null ? "" : item.getText().getContent().strip();
      if (props.checkinKeywords().contains(content)) {
        // The day the customer sent it (not the processing day), so a redelivery after midnight stays one check-in.
        LocalDate day = LocalDate.ofInstant(at, siyu.zone());
        out.add(new Interaction(personId, "checkin", "checkin:" + day, at));
      }
    }
    return out;
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}

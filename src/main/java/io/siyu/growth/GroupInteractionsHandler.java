package io.siyu.growth;

import io.siyu.wecom.CallbackFields;
import io.siyu.audience.PersonStore;
import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import java.time.Instant;
import java.util.Map;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Customer group membership as interactions: {@code change_external_chat} update with
 * {@code add_member} → {@code group_joined}, {@code del_member} → {@code group_left}, for every listed
 * member who is a known customer (staff and unknown external users are skipped), keyed
 * {@code <ChatId>:<CreateTime>} with attribute {@code chatId}; the record script keeps the profile's
 * {@code groups} count and {@code gr:<chatId>} flags. Any chat counts, not only the journey's groups.
 * A truncated member list (MemChangeCnt above the listed members) records the listed members only; the
 * journey's join-group step reconciles truncated joins through groupchat/get for its own purpose.
 */
@Component
class GroupInteractionsHandler implements InboxHandler {

  static final String KIND = "event:change_external_chat:update";
  private static final int CONCURRENCY = 8;

  private final Interactions interactions;
  private final PersonStore persons;

  GroupInteractionsHandler(Interactions interactions, PersonStore persons) {
    this.interactions = interactions;
    this.persons = persons;
  }

  @Override
  public String name() {
    return "growth-group-membership";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return KIND.equals(event.kind());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> WxCpXmlMessage.fromXml(event.payload(), null)).flatMap(xml -> {
      String kind = switch (String.valueOf(xml.getUpdateDetail())) {
        case "add_member" -> "group_joined";
        case "del_member" -> "group_left";
        default -> null;
      };
      String chatId = xml.getChatId();
      if (kind == null) {
        return Mono.empty();
      }
      if (chatId == null || chatId.isBlank()) {
        return Mono.error(new IllegalArgumentException("change_external_chat without ChatId"));
      }
      Instant at = xml.getCreateTime() == null ? event.receivedAt() : Instant.ofEpochSecond(xml.getCreateTime());
      String key = chatId + ":" + at.getEpochSecond();
      return Flux.fromIterable(CallbackFields.memChangeList(xml.getAllFieldsMap()))
          .flatMap(member -> persons.idOfExternalUser(member)
              .flatMap(personId -> interactions.record(new Interaction(personId, kind, key, at, Map.of("chatId", chatId)))),
              CONCURRENCY)
          .then();
    });
  }
}

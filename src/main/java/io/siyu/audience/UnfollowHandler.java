package io.siyu.audience;

import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code del_follow_user}: the customer deleted a staff member. The follow is removed; when the person
 * follows nobody any more the profile gets {@code unfollowedAt} (the churned stage's default input).
 * Redelivery changes nothing; an unknown external_userid is ignored (we never saw the follow).
 */
@Component
class UnfollowHandler implements InboxHandler {

  static final String KIND = "event:change_external_contact:del_follow_user";

  private final PersonStore persons;

  UnfollowHandler(PersonStore persons) {
    this.persons = persons;
  }

  @Override
  public String name() {
    return "audience-unfollow";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return KIND.equals(event.kind());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> WxCpXmlMessage.fromXml(event.payload(), null)).flatMap(xml -> {
      String userId = xml.getUserId();
      String ext = xml.getExternalUserId();
      if (userId == null || userId.isBlank() || ext == null || ext.isBlank()) {
        return Mono.error(new IllegalArgumentException("del_follow_user without UserID or ExternalUserID"));
      }
      return persons.idOfExternalUser(ext).flatMap(id -> persons.unfollow(id, userId)).then();
    });
  }
}

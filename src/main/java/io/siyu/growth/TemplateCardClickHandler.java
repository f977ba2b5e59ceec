package io.siyu.growth;

import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import java.time.Instant;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * A member's click on a template card Siyu sent ({@code template_card_event}). Cards about a person carry
 * a TaskId built by {@link CardTasks} ({@code siyu@<personId>@<anything>}); a click on one is a {@code template_card_click} of that person keyed
 * {@code <TaskId>:<clicking userid>}, so each member's click counts once per card. Other TaskIds, and
 * persons Siyu does not know, are skipped.
 */
@Component
class TemplateCardClickHandler implements InboxHandler {

  static final String KIND = "event:template_card_event";
  private static final Logger log = LoggerFactory.getLogger(TemplateCardClickHandler.class);

  private final Interactions interactions;

  TemplateCardClickHandler(Interactions interactions) {
    this.interactions = interactions;
  }

  @Override
  public String name() {
    return "growth-template-card-click";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return KIND.equals(event.kind());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> WxCpXmlMessage.fromXml(event.payload(), null)).flatMap(xml -> {
      String person = CardTasks.personOf(xml.getTaskId());
      String member = xml.getFromUserName();
      if (person == null || member == null || member.isBlank()) {
        return Mono.empty();
      }
      Instant at = xml.getCreateTime() == null ? event.receivedAt() : Instant.ofEpochSecond(xml.getCreateTime());
      return interactions.record(new Interaction(person, "template_card_click", xml.getTaskId() + ":" + member, at))
          .onErrorResume(UnknownPersonException.class, e -> {
            log.debug("template card click for an unknown person skipped");
            return Mono.empty();
          })
          .onErrorResume(InvalidInteractionException.class, e -> {
            log.warn("template card click skipped: {}", e.getMessage());
            return Mono.empty();
          })
          .then();
    });
  }
}

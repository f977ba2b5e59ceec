package io.siyu.journey;

import io.siyu.wecom.CallbackFields;
import io.siyu.audience.PersonStore;
import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import io.siyu.wecom.WecomClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import me.chanjar.weixin.cp.bean.external.WxCpUserExternalGroupChatInfo;
import me.chanjar.weixin.cp.bean.external.WxCpUserExternalGroupChatInfo.GroupChat;
import me.chanjar.weixin.cp.bean.external.WxCpUserExternalGroupChatInfo.GroupMember;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The join_group step: on {@code change_external_chat} update/add_member in a chat that counts
 * ({@code siyu.journey.groups}), every member who is a known customer completes JOIN_GROUP (draw #3).
 * Staff and unknown external users are skipped. When MemChangeCnt exceeds the listed members (WeCom
 * truncates long lists), the external members ({@code type} 2) of {@code groupchat/get} who joined within
 * {@code reconcile-join-window} of the event count too. Leaving later revokes nothing. The
 * {@code group_joined} / {@code group_left} interactions of any chat are recorded by growth's
 * GroupInteractionsHandler from the same events.
 */
@Component
class JoinGroupHandler implements InboxHandler {

  static final String KIND = "event:change_external_chat:update";
  private static final Logger log = LoggerFactory.getLogger(JoinGroupHandler.class);
  private static final int CONCURRENCY = 8;

  private final WecomClient wecom;
  private final PersonStore persons;
  private final Journey journey;
  private final JourneyProperties props;

  JoinGroupHandler(WecomClient wecom, PersonStore persons, Journey journey, JourneyProperties props) {
    this.wecom = wecom;
    this.persons = persons;
    this.journey = journey;
    this.props = props;
  }

  @Override
  public String name() {
    return "journey-join-group";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return KIND.equals(event.kind());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> WxCpXmlMessage.fromXml(event.payload(), null)).flatMap(xml -> {
      if (!"add_member".equals(xml.getUpdateDetail())) {
        return Mono.empty();
      }
      String chatId = xml.getChatId();
      if (chatId == null || chatId.isBlank()) {
        return Mono.error(new IllegalArgumentException("change_external_chat without ChatId"));
      }
      List<String> listed = CallbackFields.memChangeList(xml.getAllFieldsMap());
      int count = parseCount(xml.getMemChangeCnt(), listed.size());
      JourneyProperties.Groups groups = props.groups();
      boolean chatListed = groups.all() || groups.chatIds().contains(chatId);
      boolean needOwner = !chatListed && !groups.owners().isEmpty();
      boolean truncated = count > listed.size();
      if (!chatListed && !needOwner) {
        return Mono.empty();
      }
      Instant at = xml.getCreateTime() == null ? event.receivedAt() : Instant.ofEpochSecond(xml.getCreateTime());
      Mono<GroupChat> chat = needOwner || truncated
          ? wecom.call(props.contactApp(), "externalcontact/groupchat/get", s -> s.getExternalContactService()
              .getGroupChat(chatId, 0)).map(WxCpUserExternalGroupChatInfo::getGroupChat)
          : Mono.empty();
      return chat.map(Chat::new).defaultIfEmpty(new Chat(null)).flatMap(c -> {
        if (needOwner && (c.info == null || !groups.owners().contains(c.info.getOwner()))) {
          return Mono.empty();
        }
        Set<String> members = new LinkedHashSet<>(listed);
        if (truncated && c.info != null) {
          members.addAll(joinedExternals(c.info, at));
        }
        return Flux.fromIterable(members)
            .flatMap(member -> persons.idOfExternalUser(member)
                .flatMap(personId -> journey.completeStep(personId, Step.JOIN_GROUP)), CONCURRENCY)
            .then();
      });
    });
  }

  /** The chat as groupchat/get described it, or none when it was not needed. */
  private record Chat(GroupChat info) {}

  private List<String> joinedExternals(GroupChat chat, Instant eventAt) {
    List<String> out = new ArrayList<>();
    if (chat.getMemberList() == null) {
      return out;
    }
    long from = eventAt.minus(props.reconcileJoinWindow()).getEpochSecond();
    for (GroupMember m : chat.getMemberList()) {
      if (m.getType() == 2 && m.getUserId() != null && (m.getJoinTime() == null || m.getJoinTime() >= from)) {
        out.add(m.getUserId());
      }
    }
    return out;
  }

  private static int parseCount(String cnt, int dflt) {
    if (cnt == null || cnt.isBlank()) {
      return dflt;
    }
    try {
      return Integer.parseInt(cnt.trim());
    } catch (NumberFormatException e) {
      log.warn("change_external_chat with a non-numeric MemChangeCnt; using the listed members");
      return dflt;
    }
  }
}

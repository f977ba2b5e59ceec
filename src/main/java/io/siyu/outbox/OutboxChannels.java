package io.siyu.outbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import me.chanjar.weixin.cp.bean.external.WxCpMsgTemplate;
import me.chanjar.weixin.cp.bean.external.WxCpMsgTemplateAddResult;
import me.chanjar.weixin.cp.bean.external.WxCpWelcomeMsg;
import me.chanjar.weixin.cp.bean.external.msg.Attachment;
import me.chanjar.weixin.cp.bean.external.msg.Link;
import me.chanjar.weixin.cp.bean.external.msg.Text;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgSendRequest;
import me.chanjar.weixin.cp.bean.kf.msg.WxCpKfMenuMsg;
import me.chanjar.weixin.cp.bean.kf.msg.WxCpKfTextMsg;
import me.chanjar.weixin.cp.bean.message.WxCpMessage;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** How each channel is used: whether it can take a message, its reservations, and the WeCom call (WxJava). */
@Component
class OutboxChannels {

  /** send_welcome_msg: the code was used (by another app, or already by us) or has expired. */
  static final Set<Integer> WELCOME_NEXT = Set.of(41051);
  /** kf/send_msg: 95001 count reached, 95002 48 h window closed, 95018 session state does not allow it. */
  static final Set<Integer> KF_NEXT = Set.of(95001, 95002, 95018);
  /** WeCom's kf msgid limit: at most 32 characters of [0-9a-zA-Z_-]. */
  static final int KF_MSGID_LENGTH = 32;

  private static final RedisScript<Long> TEMPLATE_RESERVE = LuaScripts.load("outbox/template-reserve.lua", Long.class);

  /** The channel cannot take this message; the worker moves on to the next one. */
  static final class NextChannel extends RuntimeException {
    NextChannel(String reason) {
      super(reason, null, false, false);
    }
  }

  /** A channel-specific reservation made before the call, given back if the send did not happen. */
  sealed interface Reservation permits NoReservation, KfReservation, TemplateReservation {}

  record NoReservation() implements Reservation {}

  record KfReservation(KfSessions.Reservation session) implements Reservation {}

  record TemplateReservation(String externalUserId, String key) implements Reservation {}

  private final WecomClient wecom;
  private final KfSessions kf;
  private final ReactiveStringRedisTemplate redis;
  private final OutboxProperties props;

  OutboxChannels(WecomClient wecom, KfSessions kf, ReactiveStringRedisTemplate redis, OutboxProperties props) {
    this.wecom = wecom;
    this.kf = kf;
    this.redis = redis;
    this.props = props;
  }

  /** Why {@code channel} cannot take {@code m} at all, or null when it may. */
  String notUsable(Channel channel, OutboxMessage m, Instant now) {
    OutboxMessage.Recipient to = m.to();
    boolean menu = m.content().menu() != null;
    return switch (channel) {
      case WELCOME -> menu ? "menus go through kf only"
          : to.welcomeCode() == null || to.welcomeCodeAt() == null ? "no welcome code"
          : !now.isBefore(to.welcomeCodeAt().plus(props.welcome().window()).minus(props.welcome().margin()))
              ? "welcome code stale" : null;
      case KF -> to.openKfId() == null || to.externalUserId() == null ? "no kf account" : null;
      case TEMPLATE -> menu ? "menus go through kf only"
          : to.externalUserId() == null || to.ownerUserId() == null ? "no customer and owner" : null;
      case STAFF -> menu ? "menus go through kf only" : to.ownerUserId() == null ? "no owner" : null;
    };
  }

  /** The channel's reservation, or a {@link NextChannel} error when the channel's own limit is reached. */
  Mono<Reservation> reserve(Channel channel, OutboxMessage m, Instant now) {
    return switch (channel) {
      case KF -> kf.reserve(m.to().openKfId(), m.to().externalUserId(), now).flatMap(r ->
          r instanceof KfSessions.Reservation s ? Mono.just((Reservation) new KfReservation(s))
              : Mono.error(new NextChannel((String) r)));
      case TEMPLATE -> {
        OutboxProperties.Template t = props.template();
        if (t.perCustomer() == 0) {
          yield Mono.just(new NoReservation());
        }
        yield redis.execute(TEMPLATE_RESERVE, List.of(RedisKeys.outboxTemplateSends(m.to().externalUserId())),
                List.of(Long.toString(now.toEpochMilli()), Long.toString(t.period().toMillis()),
                    Integer.toString(t.perCustomer()), m.key()))
            .next().flatMap(ok -> ok == 1L
                ? Mono.just((Reservation) new TemplateReservation(m.to().externalUserId(), m.key()))
                : Mono.error(new NextChannel("template limit per customer reached")));
      }
      default -> Mono.just(new NoReservation());
    };
  }

  /** The send did not happen; {@code exhausted} when WeCom said the kf session allows no more. */
  Mono<Void> release(Reservation r, boolean exhausted) {
    if (r instanceof KfReservation k) {
      return exhausted ? kf.exhaust(k.session()) : kf.release(k.session());
    }
    if (r instanceof TemplateReservation t && !exhausted) {
      return redis.opsForZSet().remove(RedisKeys.outboxTemplateSends(t.externalUserId()), t.key()).then();
    }
    return Mono.empty();
  }

  /** WeCom errcodes after which the next channel is tried instead of retrying or dead-lettering. */
  static boolean nextChannelCode(Channel channel, int errcode) {
    return switch (channel) {
      case WELCOME -> WELCOME_NEXT.contains(errcode);
      case KF -> KF_NEXT.contains(errcode);
      default -> false;
    };
  }

  /**
   * Calls WeCom; completes when WeCom accepted (with add_msg_template's task msgid, empty for the other
   * channels), fails with a WecomException or {@link NextChannel}.
   */
  Mono<String> send(Channel channel, String key, OutboxMessage m) {
    return switch (channel) {
      case WELCOME -> sendWelcome(m).then(Mono.empty());
      case KF -> sendKf(key, m).then(Mono.empty());
      case TEMPLATE -> sendTemplate(m);
      case STAFF -> sendStaffTask(m).then(Mono.empty());
    };
  }

  private Mono<Void> sendWelcome(OutboxMessage m) {
    WxCpWelcomeMsg msg = WxCpWelcomeMsg.builder().welcomeCode(m.to().welcomeCode()).text(text(m.content().text()))
        .attachments(attachments(m.content())).build();
    return wecom.call(props.apps().contact(), "externalcontact/send_welcome_msg", s -> {
      s.getExternalContactService().sendWelcomeMsg(msg);
      return Boolean.TRUE;
    }).then();
  }

  private Mono<Void> sendKf(String key, OutboxMessage m) {
    WxCpKfMsgSendRequest req = new WxCpKfMsgSendRequest();
    req.setToUser(m.to().externalUserId());
    req.setOpenKfid(m.to().openKfId());
    // WeCom drops a second send with the same msgid: a redelivery after a crash cannot repeat the message.
    req.setMsgId(kfMsgId(key));
    OutboxMessage.Menu menu = m.content().menu();
    if (menu != null) {
      WxCpKfMenuMsg mm = new WxCpKfMenuMsg();
      mm.setHeadContent(menu.head() != null ? menu.head() : m.content().text());
      mm.setTailContent(menu.tail());
      List<WxCpKfMenuMsg.WxCpKfMenuItem> items = new ArrayList<>();
      for (OutboxMessage.MenuItem i : menu.items()) {
        WxCpKfMenuMsg.MenuClick click = new WxCpKfMenuMsg.MenuClick();
        click.setId(i.id());
        click.setContent(i.content());
        WxCpKfMenuMsg.WxCpKfMenuItem item = new WxCpKfMenuMsg.WxCpKfMenuItem();
        item.setType("click");
        item.setClick(click);
        items.add(item);
      }
      mm.setList(items);
      req.setMsgType("msgmenu");
      req.setMsgMenu(mm);
    } else {
      WxCpKfTextMsg text = new WxCpKfTextMsg();
      text.setContent(withLinkLines(m.content()));
      req.setMsgType("text");
      req.setText(text);
    }
    return wecom.call(props.apps().kf(), "kf/send_msg", s -> s.getKfService().sendMsg(req)).then();
  }

  private Mono<String> sendTemplate(OutboxMessage m) {
    String customer = m.to().externalUserId();
    WxCpMsgTemplate t = WxCpMsgTemplate.builder().chatType("single").externalUserid(List.of(customer))
        .sender(m.to().ownerUserId()).text(text(m.content().text())).attachments(attachments(m.content())).build();
    return wecom.call(props.apps().contact(), "externalcontact/add_msg_template",
            s -> s.getExternalContactService().addMsgTemplate(t))
        .flatMap(r -> failed(r, customer)
            ? Mono.<String>error(new NextChannel("customer in add_msg_template fail_list"))
            : Mono.justOrEmpty(r.getMsgId()));
  }

  private static boolean failed(WxCpMsgTemplateAddResult r, String customer) {
    return r.getFailList() != null && r.getFailList().contains(customer);
  }

  private Mono<Void> sendStaffTask(OutboxMessage m) {
    String body = withLinkLines(m.content());
    String text = m.to().externalUserId() == null ? body
        : props.texts().staffTask().replace("{customer}", m.to().externalUserId())
            .replace("{person}", m.personId() == null ? "" : m.personId()).replace("{text}", body);
    WxCpMessage msg = WxCpMessage.TEXT().toUser(m.to().ownerUserId()).content(text).build();
    return wecom.call(props.apps().staff(), "message/send", s -> s.getMessageService().send(msg)).then();
  }

  private String withLinkLines(OutboxMessage.Content c) {
    StringBuilder sb = new StringBuilder(c.text() == null ? "" : c.text());
    if (c.links() != null) {
      for (OutboxMessage.Link l : c.links()) {
        if (!sb.isEmpty()) {
          sb.append('\n');
        }
        sb.append(props.texts().link().replace("{title}", l.title()).replace("{url}", l.url()));
      }
    }
    return sb.toString();
  }

  private static Text text(String content) {
    if (content == null || content.isBlank()) {
      return null;
    }
    Text t = new Text();
    t.setContent(content);
    return t;
  }

  private static List<Attachment> attachments(OutboxMessage.Content c) {
    if (c.links() == null || c.links().isEmpty()) {
      return null;
    }
    List<Attachment> out = new ArrayList<>();
    for (OutboxMessage.Link l : c.links()) {
      Link link = new Link();
      link.setTitle(l.title());
      link.setUrl(l.url());
      link.setDesc(l.description());
      link.setPicUrl(l.picUrl());
      out.add(new Attachment().setLink(link));
    }
    return out;
  }

  /** The outbox key hashed to WeCom's kf msgid format (stable, so every redelivery uses the same msgid). */
  static String kfMsgId(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return "ob" + HexFormat.of().formatHex(d).substring(0, KF_MSGID_LENGTH - 2);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}

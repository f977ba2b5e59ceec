package io.siyu.sandbox;

import io.siyu.admin.Problem;
import io.siyu.wecom.WecomApps;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import me.chanjar.weixin.common.util.crypto.SHA1;
import me.chanjar.weixin.cp.config.impl.WxCpDefaultConfigImpl;
import me.chanjar.weixin.cp.util.crypto.WxCpCryptUtil;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Plays WeCom's side of the callback protocol: builds the event XML WeCom would send, updates the
 * sandbox state the event implies (the new contact, its welcome code, queued kf messages, group members),
 * encrypts and signs it with WxJava's crypto and POSTs it to Siyu's ingress
 * {@code /wecom/callback/<app>} the way WeCom delivers: a 5 s timeout, up to 3 attempts, only HTTP 200
 * counts. Each attempt's outcome is in the returned {@link Result}.
 *
 * <p>Kinds: {@code add_external_contact}, {@code add_half_external_contact}, {@code del_follow_user},
 * {@code change_external_chat}, {@code kf_msg_or_event}, {@code template_card_event}, {@code text}.
 */
@Component
@SandboxOnly
public class CallbackSimulator {

  public static final List<String> KINDS = List.of("add_external_contact", "add_half_external_contact",
      "del_follow_user", "change_external_chat", "kf_msg_or_event", "template_card_event", "text");

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private final SandboxWecom sandbox;
  private final WecomApps apps;
  private final SandboxProperties props;
  private final Clock clock;
  private final Environment env;
  private final WebClient web;

  public CallbackSimulator(SandboxWecom sandbox, WecomApps apps, SandboxProperties props, Clock clock,
      Environment env) {
    this.sandbox = sandbox;
    this.apps = apps;
    this.props = props;
    this.clock = clock;
    this.env = env;
    // Boot 4 only auto-configures WebClient.Builder with spring-boot-webclient, which Siyu does not need otherwise.
    this.web = WebClient.create();
  }

  /**
   * The fields of one simulated callback; which ones matter depends on the kind (unset ones get
   * generated values). {@code target} overrides the base URL the callback is posted to (tests).
   */
  public record Request(String userId, String externalUserId, String state, Boolean welcomeCode, String chatId,
      String updateDetail, Integer joinScene, List<String> members, String openKfId, List<KfInput> messages,
      String eventKey, String taskId, String cardType, String responseCode, String content, String target) {

    public static Request empty() {
      return new Request(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
  }

  /** One customer input for kf_msg_or_event: a text (with {@code menuId} for a menu click) or an event. */
  public record KfInput(String text, String menuId, String eventType) {}

  /** How one delivery attempt ended: {@code status} is null when no HTTP answer came. */
  public record Attempt(int number, Integer status, String outcome) {}

  /**
   * What was sent and how it went. {@code issued} holds the values the simulator created for the event
   * (welcomeCode, token, externalUserId, chatId, msgId...).
   */
  public record Result(String kind, String app, String url, String plainXml, String body, List<Attempt> attempts,
      boolean delivered, Map<String, Object> issued) {}

  public Mono<Result> simulate(String kind, Request request) {
    return Mono.defer(() -> {
      Request r = request == null ? Request.empty() : request;
      Map<String, Object> issued = new LinkedHashMap<>();
      Built built = switch (kind) {
        case "add_external_contact", "add_half_external_contact" -> addContact(kind, r, issued);
        case "del_follow_user" -> delFollowUser(r, issued);
        case "change_external_chat" -> changeExternalChat(r, issued);
        case "kf_msg_or_event" -> kfMsgOrEvent(r, issued);
        case "template_card_event" -> templateCardEvent(r, issued);
        case "text" -> memberText(r, issued);
        default -> throw new Problem(HttpStatus.BAD_REQUEST, "sandbox-unknown-simulation", "Unknown simulation",
            "kind must be one of " + KINDS);
      };
      return deliver(kind, built.app, built.xml, r.target(), issued);
    });
  }

  private record Built(String app, String xml) {}

  private Built addContact(String kind, Request r, Map<String, Object> issued) {
    String userId = orElse(r.userId(), "zhangsan");
    String ext = orElse(r.externalUserId(), SandboxWecom.randomId("wm", 20));
    issued.put("externalUserId", ext);
    Xml x = eventHeader("change_external_contact").add("ChangeType", kind).add("UserID", userId)
        .add("ExternalUserID", ext);
    if (r.state() != null) {
      x.add("State", r.state());
    }
    if (kind.equals("add_external_contact")) {
      sandbox.addFollow(ext, userId, r.state());
      if (!Boolean.FALSE.equals(r.welcomeCode())) {
        String code = sandbox.issueWelcomeCode(userId, ext);
        issued.put("welcomeCode", code);
        x.add("WelcomeCode", code);
      }
    }
    return new Built(props.callback().contactApp(), x.end());
  }

  private Built delFollowUser(Request r, Map<String, Object> issued) {
    String userId = orElse(r.userId(), "zhangsan");
    String ext = require(r.externalUserId(), "externalUserId");
    sandbox.removeFollow(ext, userId);
    issued.put("externalUserId", ext);
    return new Built(props.callback().contactApp(), eventHeader("change_external_contact")
        .add("ChangeType", "del_follow_user").add("UserID", userId).add("ExternalUserID", ext).end());
  }

  private Built changeExternalChat(Request r, Map<String, Object> issued) {
    String chatId = orElse(r.chatId(), SandboxWecom.randomId("wr", 20));
    String detail = orElse(r.updateDetail(), "add_member");
    List<String> members = r.members() == null || r.members().isEmpty()
        ? List.of(SandboxWecom.randomId("wm", 20)) : r.members();
    int joinScene = r.joinScene() == null ? 3 : r.joinScene();
    long now = clock.instant().getEpochSecond();
    if (detail.equals("add_member")) {
      String owner = orElse(r.userId(), "zhangsan");
      sandbox.addGroupMembers(chatId, owner, members.stream().map(m -> new SandboxGroup.Member(m,
          sandbox.users().contains(m) ? 1 : 2, null, now, joinScene, owner, r.state())).toList());
    }
    issued.put("chatId", chatId);
    Xml x = eventHeader("change_external_chat").add("ChatId", chatId).add("ChangeType", "update")
        .add("UpdateDetail", detail);
    if (detail.equals("add_member")) {
      x.raw("JoinScene", String.valueOf(joinScene));
    } else if (detail.equals("del_member")) {
      x.raw("QuitScene", "0");
    }
    x.raw("MemChangeCnt", String.valueOf(members.size()));
    StringBuilder list = new StringBuilder();
    members.forEach(m -> list.append("<Item>").append(Xml.cdata(m)).append("</Item>"));
    x.element("MemChangeList", list.toString());
    return new Built(props.callback().contactApp(), x.end());
  }

  private Built kfMsgOrEvent(Request r, Map<String, Object> issued) {
    String openKfId = orElse(r.openKfId(), "wkSandboxKf01");
    String ext = orElse(r.externalUserId(), SandboxWecom.randomId("wm", 20));
    List<KfInput> inputs = r.messages() == null || r.messages().isEmpty()
        ? List.of(new KfInput(orElse(r.content(), "hello"), null, null)) : r.messages();
    List<Object> queued = new ArrayList<>();
    for (KfInput in : inputs) {
      if (in.eventType() != null) {
        queued.add(sandbox.queueKfEvent(openKfId, ext, in.eventType(), null));
      } else {
        queued.add(sandbox.queueKfText(openKfId, ext, in.text(), in.menuId()));
      }
    }
    String token = sandbox.issueKfToken();
    issued.put("token", token);
    issued.put("openKfId", openKfId);
    issued.put("externalUserId", ext);
    issued.put("queued", queued);
    return new Built(props.callback().kfApp(), eventHeader("kf_msg_or_event").add("Token", token)
        .add("OpenKfId", openKfId).end());
  }

  private Built templateCardEvent(Request r, Map<String, Object> issued) {
    String app = props.callback().messageApp();
    Xml x = new Xml().add("ToUserName", apps.corpId()).add("FromUserName", orElse(r.userId(), "zhangsan"))
        .raw("CreateTime", String.valueOf(clock.instant().getEpochSecond())).add("MsgType", "event")
        .add("Event", "template_card_event").add("EventKey", orElse(r.eventKey(), "btn-1"))
        .add("TaskId", orElse(r.taskId(), SandboxWecom.randomId("task", 16)))
        .add("CardType", orElse(r.cardType(), "button_interaction"))
        .add("ResponseCode", orElse(r.responseCode(), SandboxWecom.randomId("rc", 20)))
        .raw("AgentID", String.valueOf(agentId(app)));
    return new Built(app, x.end());
  }

  private Built memberText(Request r, Map<String, Object> issued) {
    String app = props.callback().messageApp();
    long msgId = Math.abs(RANDOM.nextLong());
    issued.put("msgId", msgId);
    Xml x = new Xml().add("ToUserName", apps.corpId()).add("FromUserName", orElse(r.userId(), "zhangsan"))
        .raw("CreateTime", String.valueOf(clock.instant().getEpochSecond())).add("MsgType", "text")
        .add("Content", orElse(r.content(), "hello")).raw("MsgId", String.valueOf(msgId))
        .raw("AgentID", String.valueOf(agentId(app)));
    return new Built(app, x.end());
  }

  private Xml eventHeader(String event) {
    return new Xml().add("ToUserName", apps.corpId()).add("FromUserName", "sys")
        .raw("CreateTime", String.valueOf(clock.instant().getEpochSecond())).add("MsgType", "event")
        .add("Event", event);
  }

  // ------------------------------------------------------------------------------------------------

  private Mono<Result> deliver(String kind, String appName, String plainXml, String target, Map<String, Object> issued) {
    WecomApps.AppCredentials app = apps.app(appName).orElseThrow(() -> new Problem(HttpStatus.BAD_REQUEST,
        "sandbox-unknown-app", "Unknown app", "no WeCom app named " + appName + " is configured"));
    WxCpDefaultConfigImpl cfg = new WxCpDefaultConfigImpl();
    cfg.setCorpId(apps.corpId());
    cfg.setToken(app.token());
    cfg.setAesKey(app.aesKey());
    WxCpCryptUtil crypt = new WxCpCryptUtil(cfg);
    // encryptContext() stamps System time; WeCom's timestamp must follow the injected Clock instead.
    String encrypted = crypt.encrypt(randomAlnum(16), plainXml);
    String timestamp = String.valueOf(clock.instant().getEpochSecond());
    String nonce = randomAlnum(10);
    String signature = SHA1.gen(app.token(), timestamp, nonce, encrypted);
    String body = new Xml().add("ToUserName", apps.corpId()).add("AgentID", String.valueOf(app.agentId()))
        .add("Encrypt", encrypted).end();
    String url = UriComponentsBuilder.fromUriString(baseUrl(target)).path("/wecom/callback/{app}")
        .queryParam("msg_signature", signature).queryParam("timestamp", timestamp).queryParam("nonce", nonce)
        .buildAndExpand(appName).toUriString();

    SandboxProperties.Callback cb = props.callback();
    return Flux.range(1, cb.attempts())
        .concatMap(n -> attempt(n, url, body, cb))
        .takeUntil(a -> a.status() != null && a.status() == 200)
        .collectList()
        .map(attempts -> new Result(kind, appName, url, plainXml, body, attempts,
            attempts.get(attempts.size() - 1).status() != null && attempts.get(attempts.size() - 1).status() == 200,
            issued));
  }

  private Mono<Attempt> attempt(int n, String url, String body, SandboxProperties.Callback cb) {
    return web.post().uri(java.net.URI.create(url)).contentType(MediaType.TEXT_XML).bodyValue(body)
        .exchangeToMono(resp -> resp.releaseBody().thenReturn(resp.statusCode().value()))
        .timeout(cb.timeout())
        .map(status -> new Attempt(n, status, status == 200 ? "ok" : "http " + status))
        // Like WeCom, any failure to get a 200 is recorded and retried; the kind of failure is the outcome.
        .onErrorResume(TimeoutException.class, e -> Mono.just(new Attempt(n, null, "timeout")))
        .onErrorResume(e -> Mono.just(new Attempt(n, null, "error: " + e.getClass().getSimpleName())));
  }

  private String baseUrl(String target) {
    if (target != null && !target.isBlank()) {
      return target;
    }
    if (props.callback().baseUrl() != null && !props.callback().baseUrl().isBlank()) {
      return props.callback().baseUrl();
    }
    return "http://127.0.0.1:" + env.getProperty("local.server.port", "8080");
  }

  private int agentId(String app) {
    return apps.app(app).map(WecomApps.AppCredentials::agentId).orElse(0);
  }

  private static String orElse(String v, String dflt) {
    return v == null || v.isBlank() ? dflt : v;
  }

  private static String require(String v, String field) {
    if (v == null || v.isBlank()) {
      throw new Problem(HttpStatus.BAD_REQUEST, "sandbox-simulation-field-missing", "Missing field",
          field + " is required for this simulation");
    }
    return v;
  }

  private static String randomAlnum(int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(ALNUM.charAt(RANDOM.nextInt(ALNUM.length())));
    }
    return sb.toString();
  }

  /**
   * WeCom's callback XML. Hand-written because WxJava only serialises replies (WxCpXmlOutMessage), not the
   * inbound events WeCom sends.
   */
  static final class Xml {
    private final StringBuilder sb = new StringBuilder("<xml>");

    Xml add(String name, String text) {
      return element(name, cdata(text));
    }

    Xml raw(String name, String number) {
      return element(name, number);
    }

    Xml element(String name, String inner) {
      sb.append('<').append(name).append('>').append(inner).append("</").append(name).append('>');
      return this;
    }

    String end() {
      return sb.append("</xml>").toString();
    }

    static String cdata(String s) {
      return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>";
    }
  }
}

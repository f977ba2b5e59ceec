package io.siyu.sandbox;

import io.siyu.wecom.WecomApps;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The emulated WeCom corp: its staff, customers, group chats, tokens and kf conversations, the rules WeCom
 * enforces on the APIs Siyu calls (with WeCom's error codes), injectable faults and a call log.
 *
 * <p>Tests and the callback simulator drive it through the public methods; {@link SandboxApiController}
 * serves {@link #handle} under {@code /sandbox/wecom/cgi-bin/**}. State is in memory and time comes from
 * the injected {@link Clock}. Each API call is one short critical section on this object: the emulator
 * needs WeCom's all-or-nothing rule checks (count then record), and it only ever serves tests and
 * development, so a single monitor is simpler than per-map atomics and never a bottleneck.
 */
@Component
@SandboxOnly
public class SandboxWecom {

  // --- error codes (source: WxJava's WxCpErrorMsgEnum, which mirrors WeCom's global error-code page) ---
  static final int OK = 0;
  static final int SYSTEM_BUSY = -1;
  static final int INVALID_SECRET = 40001;
  static final int INVALID_CORP_ID = 40013;
  static final int INVALID_TOKEN = 40014;
  static final int TOKEN_EXPIRED = 42001;
  static final int MISSING_TOKEN = 41001;
  static final int INVALID_PARAMETER = 40058;
  static final int CHAT_NOT_FOUND = 40050;
  /** 40096 "不合法的外部联系人userid" (WxCpErrorMsgEnum). */
  static final int INVALID_EXTERNAL_USERID = 40096;
  /**
   * 60111 "UserID不存在" rather than 40003 "无效的UserID": 40003 is WeCom's answer to a malformed id,
   * 60111 to a well-formed id that is not in the directory, which is the sandbox's case.
   */
  static final int USER_NOT_FOUND = 60111;
  /** message/send: every recipient invalid (81013 "UserID、部门ID、标签ID全部非法或无权限"). */
  static final int ALL_RECIPIENTS_INVALID = 81013;
  static final int API_RATE_LIMITED = 45009;
  static final int API_CONCURRENCY_LIMITED = 45033;
  static final int API_FORBIDDEN = 48002;
  /** 84061 "不存在外部联系人的关系". */
  static final int NOT_A_CONTACT = 84061;
  /**
   * send_welcome_msg with a used or expired welcome_code. Unconfirmed: WeCom's page documents 41051
   * ("externaluser has started chatting") for a code already consumed by another app; it publishes no
   * separate expiry code, so both cases answer 41051 here.
   */
  static final int WELCOME_CODE_INVALID = 41051;
  /** kf/send_msg over the per-customer-message count (wecom-reference §3). */
  static final int KF_COUNT_LIMIT = 95001;
  /** kf/send_msg outside the 48 h window (wecom-reference §3). */
  static final int KF_WINDOW_CLOSED = 95002;
  /**
   * kf/sync_msg with a Token that was not issued by a kf_msg_or_event callback or has expired. Unconfirmed:
   * WeCom's error-code page lists 95007 "不合法的msgtoken"; not in WxJava's enum.
   */
  static final int KF_INVALID_MSG_TOKEN = 95007;

  private static final Logger log = LoggerFactory.getLogger(SandboxWecom.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private final WecomApps apps;
  private final SandboxProperties props;
  private final AtomicLong seq = new AtomicLong();

  private final Map<String, IssuedToken> tokens = new ConcurrentHashMap<>();
  private final Set<String> users = ConcurrentHashMap.newKeySet();
  private final Map<String, SandboxContact> contacts = new ConcurrentHashMap<>();
  private final Map<String, SandboxGroup> groups = new ConcurrentHashMap<>();
  private final Map<String, WelcomeCode> welcomeCodes = new ConcurrentHashMap<>();
  private final Map<String, WelcomeCode> kfEventCodes = new ConcurrentHashMap<>();
  private final Map<String, Instant> kfTokens = new ConcurrentHashMap<>();
  private final List<Map<String, Object>> kfMessages = new ArrayList<>();
  private final Map<String, KfSession> kfSessions = new ConcurrentHashMap<>();
  private final Map<String, Integer> emptySyncPages = new ConcurrentHashMap<>();
  private volatile Integer syncPageSize;
  private final Map<String, Deque<Instant>> memberMessages = new ConcurrentHashMap<>();
  private final Map<String, Deque<Instant>> templateReceipts = new ConcurrentHashMap<>();
  /** add_msg_template tasks by msgid: sender, customers and whether the staff member confirmed (sent) it. */
  private final Map<String, TemplateTask> templateTasks = new ConcurrentHashMap<>();
  private final Map<String, long[]> rateWindows = new ConcurrentHashMap<>();
  private final Map<String, Integer> rateLimits = new ConcurrentHashMap<>();
  private final Map<String, Deque<Integer>> faults = new ConcurrentHashMap<>();
  private final Map<String, Duration> latencies = new ConcurrentHashMap<>();
  private final Deque<SandboxCall> calls = new ArrayDeque<>();

  public SandboxWecom(Clock clock, WecomApps apps, SandboxProperties props) {
    this.clock = clock;
    this.apps = apps;
    this.props = props;
    reset();
  }

  private record IssuedToken(String app, Instant expiresAt) {}

  private record WelcomeCode(String userId, String externalUserId, Instant expiresAt, boolean used) {}

  private record KfSession(Instant lastCustomerMessage, int repliesSince) {}

  // ------------------------------------------------------------------------------------------------
  // Java API: state
  // ------------------------------------------------------------------------------------------------

  /** Forgets everything (tokens, contacts, kf messages, faults, limits, the call log) and re-seeds. */
  public synchronized void reset() {
    tokens.clear();
    users.clear();
    contacts.clear();
    groups.clear();
    welcomeCodes.clear();
    kfEventCodes.clear();
    kfTokens.clear();
    kfMessages.clear();
    kfSessions.clear();
    emptySyncPages.clear();
    syncPageSize = null;
    memberMessages.clear();
    templateReceipts.clear();
    templateTasks.clear();
    rateWindows.clear();
    rateLimits.clear();
    rateLimits.putAll(props.rateLimits());
    faults.clear();
    latencies.clear();
    calls.clear();
    users.addAll(props.seed().users());
    long now = nowSeconds();
    for (SandboxProperties.SeedContact c : props.seed().contacts()) {
      users.addAll(c.followUsers());
      contacts.put(c.externalUserId(), new SandboxContact(c.externalUserId(), c.name(),
          avatarFor(c.externalUserId()), c.gender(), c.unionid(),
          c.followUsers().stream().map(u -> new SandboxContact.Follow(u, "", List.of(), now, "")).toList()));
    }
  }

  public synchronized void addUser(String userId) {
    users.add(userId);
  }

  public Set<String> users() {
    return Set.copyOf(users);
  }

  /** Adds or replaces a customer; its follow users become staff members of the corp. */
  public synchronized SandboxContact putContact(SandboxContact contact) {
    contact.follows().forEach(f -> users.add(f.userId()));
    contacts.put(contact.externalUserId(), contact);
    return contact;
  }

  /** Creates the customer on demand (generated name) and makes {@code userId} follow them. */
  public synchronized SandboxContact addFollow(String externalUserId, String userId, String state) {
    users.add(userId);
    SandboxContact c = contacts.computeIfAbsent(externalUserId, id -> new SandboxContact(id,
        "Customer " + id.substring(Math.max(0, id.length() - 6)), avatarFor(id), 0, "o" + id, List.of()));
    if (c.followedBy(userId)) {
      return c;
    }
    List<SandboxContact.Follow> follows = new ArrayList<>(c.follows());
    follows.add(new SandboxContact.Follow(userId, "", List.of(), nowSeconds(), state == null ? "" : state));
    return putContact(new SandboxContact(c.externalUserId(), c.name(), c.avatar(), c.gender(), c.unionid(), follows));
  }

  /** The customer removed the staff member (del_follow_user) or the reverse. */
  public synchronized void removeFollow(String externalUserId, String userId) {
    contacts.computeIfPresent(externalUserId, (id, c) -> new SandboxContact(id, c.name(), c.avatar(), c.gender(),
        c.unionid(), c.follows().stream().filter(f -> !f.userId().equals(userId)).toList()));
  }

  public Optional<SandboxContact> contact(String externalUserId) {
    return Optional.ofNullable(contacts.get(externalUserId));
  }

  public synchronized SandboxGroup putGroup(SandboxGroup group) {
    groups.put(group.chatId(), group);
    return group;
  }

  /** Adds members to a group, creating the group (owned by {@code owner}) on demand. */
  public synchronized SandboxGroup addGroupMembers(String chatId, String owner, List<SandboxGroup.Member> members) {
    SandboxGroup g = groups.computeIfAbsent(chatId, id -> new SandboxGroup(id, "Group " + id, owner, nowSeconds(),
        List.of(new SandboxGroup.Member(owner, 1, null, nowSeconds(), 1, null, null))));
    List<SandboxGroup.Member> all = new ArrayList<>(g.members());
    for (SandboxGroup.Member m : members) {
      all.removeIf(x -> x.userId().equals(m.userId()));
      all.add(m);
    }
    return putGroup(new SandboxGroup(g.chatId(), g.name(), g.owner(), g.createTime(), all));
  }

  public Optional<SandboxGroup> group(String chatId) {
    return Optional.ofNullable(groups.get(chatId));
  }

  /** A welcome_code for send_welcome_msg, valid once within {@code welcome-code-ttl}, as in an add event. */
  public synchronized String issueWelcomeCode(String userId, String externalUserId) {
    String code = randomId("wc", 24);
    welcomeCodes.put(code, new WelcomeCode(userId, externalUserId, clock.instant().plus(props.welcomeCodeTtl()), false));
    return code;
  }

  /** A kf_msg_or_event Token, accepted by kf/sync_msg for {@code kf-token-ttl}. */
  public synchronized String issueKfToken() {
    String token = randomId("kft", 24);
    kfTokens.put(token, clock.instant().plus(props.kfTokenTtl()));
    return token;
  }

  /**
   * Queues a customer text (origin 3) for kf/sync_msg and restarts the customer's reply window and count.
   * {@code menuId} is set when the text is a click on a menu item. Returns the msgid.
   */
  public synchronized String queueKfText(String openKfid, String externalUserId, String content, String menuId) {
    Map<String, Object> text = new LinkedHashMap<>();
    text.put("content", content);
    if (menuId != null) {
      text.put("menu_id", menuId);
    }
    Map<String, Object> item = kfItem(openKfid, externalUserId, 3, "text");
    item.put("text", text);
    kfMessages.add(item);
    kfSessions.put(sessionKey(openKfid, externalUserId), new KfSession(clock.instant(), 0));
    return (String) item.get("msgid");
  }

  /**
   * Queues a kf event (origin 4, msgtype event). For {@code enter_session} the event carries a fresh
   * welcome_code that kf/send_msg_on_event accepts once within {@code welcome-code-ttl}, unless
   * {@code fields} already has one. Returns the queued item as sync_msg will return it.
   */
  public synchronized Map<String, Object> queueKfEvent(String openKfid, String externalUserId, String eventType,
      Map<String, Object> fields) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("event_type", eventType);
    event.put("open_kfid", openKfid);
    event.put("external_userid", externalUserId);
    if (fields != null) {
      event.putAll(fields);
    }
    if ("enter_session".equals(eventType) && !event.containsKey("welcome_code")) {
      String code = randomId("kfwc", 24);
      kfEventCodes.put(code, new WelcomeCode(null, externalUserId, clock.instant().plus(props.welcomeCodeTtl()), false));
      event.put("welcome_code", code);
    }
    Map<String, Object> item = kfItem(openKfid, externalUserId, 4, "event");
    item.put("event", event);
    kfMessages.add(item);
    return Map.copyOf(item);
  }

  private Map<String, Object> kfItem(String openKfid, String externalUserId, int origin, String msgtype) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("msgid", randomId("kfmsg", 16));
    item.put("open_kfid", openKfid);
    item.put("external_userid", externalUserId);
    item.put("send_time", nowSeconds());
    item.put("origin", origin);
    item.put("msgtype", msgtype);
    return item;
  }

  /** The next {@code pages} kf/sync_msg answers for {@code openKfid} are empty with has_more=1, as WeCom does. */
  public synchronized void injectEmptySyncPages(String openKfid, int pages) {
    emptySyncPages.merge(openKfid, pages, Integer::sum);
  }

  /** Caps kf/sync_msg pages below the request's limit; {@code null} restores {@code sync-page-size}. */
  public void setSyncPageSize(Integer size) {
    syncPageSize = size;
  }

  // ------------------------------------------------------------------------------------------------
  // Java API: faults, limits, tokens, call log
  // ------------------------------------------------------------------------------------------------

  /**
   * The staff member confirms (sends) their pending add_msg_template tasks to {@code externalUserId}, as in the
   * WeCom client: get_groupmsg_send_result reports status 1 from now on. The number of tasks confirmed.
   */
  public synchronized int confirmTemplateTasks(String externalUserId) {
    int n = 0;
    for (Map.Entry<String, TemplateTask> e : templateTasks.entrySet()) {
      TemplateTask t = e.getValue();
      if (t.sentAt() == null && t.customers().contains(externalUserId)) {
        e.setValue(new TemplateTask(t.sender(), t.customers(), clock.instant()));
        n++;
      }
    }
    return n;
  }

  /** The next calls of {@code api} (e.g. {@code message/send}) answer these errcodes, one per call. */
  public synchronized void injectFaults(String api, int... errcodes) {
    Deque<Integer> q = faults.computeIfAbsent(api, a -> new ArrayDeque<>());
    for (int e : errcodes) {
      q.add(e);
    }
  }

  /** The next {@code times} calls of {@code api} answer {@code errcode}. */
  public void injectFault(String api, int errcode, int times) {
    injectFaults(api, java.util.stream.IntStream.range(0, times).map(i -> errcode).toArray());
  }

  public synchronized void clearFaults() {
    faults.clear();
  }

  /** Every answer of {@code api} is delayed this long ({@link Duration#ZERO} removes it). */
  public void setLatency(String api, Duration latency) {
    if (latency.isZero()) {
      latencies.remove(api);
    } else {
      latencies.put(api, latency);
    }
  }

  Duration latency(String api) {
    return latencies.getOrDefault(api, Duration.ZERO);
  }

  /** Calls of {@code api} allowed per clock minute before 45009. */
  public void setRateLimit(String api, int perMinute) {
    rateLimits.put(api, perMinute);
  }

  /** Every issued access_token now counts as expired (the next call with it gets 42001). */
  public synchronized void expireTokens() {
    Instant now = clock.instant();
    tokens.replaceAll((t, it) -> new IssuedToken(it.app(), now));
  }

  /** The newest entries last; {@code api} null for all; at most {@code limit}. */
  public synchronized List<SandboxCall> calls(String api, int limit) {
    List<SandboxCall> matching = calls.stream().filter(c -> api == null || api.equals(c.api())).toList();
    return List.copyOf(matching.subList(Math.max(0, matching.size() - limit), matching.size()));
  }

  public List<SandboxCall> calls(String api) {
    return calls(api, Integer.MAX_VALUE);
  }

  public synchronized void clearCalls() {
    calls.clear();
  }

  // ------------------------------------------------------------------------------------------------
  // The API
  // ------------------------------------------------------------------------------------------------

  /**
   * Answers one API call as WeCom would. {@code api} is the path after {@code /cgi-bin/}, e.g.
   * {@code externalcontact/get}; {@code body} is the parsed JSON body (empty for GET).
   */
  synchronized Map<String, Object> handle(String api, Map<String, String> query, Map<String, Object> body) {
    Map<String, Object> request = new LinkedHashMap<>();
    query.forEach((k, v) -> {
      if (!k.equals("access_token") && !k.equals("corpsecret")) {
        request.put(k, v);
      }
    });
    request.putAll(body);
    Outcome out;
    String app = null;
    if (api.equals("gettoken")) {
      out = checkLimitsAndFaults(api);
      if (out == null) {
        out = gettoken(query);
        app = (String) out.detail.remove("app");
      }
    } else {
      String token = query.get("access_token");
      IssuedToken issued = token == null ? null : tokens.get(token);
      app = issued == null ? null : issued.app();
      if (token == null || token.isBlank()) {
        out = error(MISSING_TOKEN, "access_token missing");
      } else if (issued == null) {
        out = error(INVALID_TOKEN, "invalid access_token");
      } else if (!clock.instant().isBefore(issued.expiresAt())) {
        out = error(TOKEN_EXPIRED, "access_token expired");
      } else {
        out = checkLimitsAndFaults(api);
        if (out == null) {
          out = dispatch(api, issued.app(), body, query);
        }
      }
    }
    record(api, app, request, out);
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("errcode", out.errcode);
    response.put("errmsg", out.errmsg);
    response.putAll(out.response);
    return response;
  }

  private Outcome checkLimitsAndFaults(String api) {
    long minute = clock.instant().getEpochSecond() / 60;
    long[] window = rateWindows.computeIfAbsent(api, a -> new long[] {minute, 0});
    if (window[0] != minute) {
      window[0] = minute;
      window[1] = 0;
    }
    if (++window[1] > rateLimits.getOrDefault(api, props.defaultRateLimit())) {
      return error(API_RATE_LIMITED, "api freq out of limit");
    }
    Deque<Integer> q = faults.get(api);
    Integer forced = q == null ? null : q.poll();
    if (forced != null) {
      return error(forced, forced == SYSTEM_BUSY ? "system busy" : "injected fault");
    }
    return null;
  }

  private Outcome dispatch(String api, String app, Map<String, Object> body, Map<String, String> query) {
    return switch (api) {
      case "message/send" -> messageSend(body);
      case "externalcontact/get" -> externalContactGet(query.get("external_userid"));
      case "externalcontact/send_welcome_msg" -> sendWelcomeMsg(body);
      case "externalcontact/add_msg_template" -> addMsgTemplate(body);
      case "externalcontact/get_groupmsg_send_result" -> groupMsgSendResult(body);
      case "externalcontact/groupchat/get" -> groupChatGet(body);
      case "externalcontact/mark_tag" -> markTag(body);
      case "externalcontact/add_contact_way" -> addContactWay(body);
      case "kf/sync_msg" -> syncMsg(body);
      case "kf/send_msg" -> kfSendMsg(body);
      case "kf/send_msg_on_event" -> kfSendMsgOnEvent(body);
      default -> error(API_FORBIDDEN, "api not emulated by the sandbox: " + api);
    };
  }

  private Outcome gettoken(Map<String, String> query) {
    if (!apps.corpId().equals(query.get("corpid"))) {
      return error(INVALID_CORP_ID, "invalid corpid");
    }
    String secret = query.get("corpsecret");
    Optional<WecomApps.AppCredentials> app = apps.all().stream().filter(a -> a.secret().equals(secret)).findFirst();
    if (app.isEmpty()) {
      return error(INVALID_SECRET, "invalid credential");
    }
    String token = randomId("sbx", 32);
    tokens.put(token, new IssuedToken(app.get().name(), clock.instant().plus(props.tokenTtl())));
    Outcome ok = ok(Map.of("access_token", token, "expires_in", 7200));
    ok.detail.put("app", app.get().name());
    return ok;
  }

  private Outcome messageSend(Map<String, Object> body) {
    String touser = str(body, "touser");
    if (touser == null || touser.isBlank()) {
      return error(ALL_RECIPIENTS_INVALID, "touser empty");
    }
    Instant now = clock.instant();
    List<String> invalid = new ArrayList<>();
    List<String> delivered = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (String user : touser.split("\\|")) {
      if (!users.contains(user)) {
        invalid.add(user);
        continue;
      }
      Deque<Instant> sent = memberMessages.computeIfAbsent(user, u -> new ArrayDeque<>());
      while (!sent.isEmpty() && !sent.peekFirst().isAfter(now.minusSeconds(60))) {
        sent.pollFirst();
      }
      if (sent.size() >= props.messagePerMemberPerMinute()) {
        dropped.add(user);
      } else {
        sent.addLast(now);
        delivered.add(user);
      }
    }
    if (delivered.isEmpty() && dropped.isEmpty()) {
      return error(ALL_RECIPIENTS_INVALID, "all recipients invalid");
    }
    Map<String, Object> resp = new LinkedHashMap<>();
    resp.put("invaliduser", String.join("|", invalid));
    resp.put("msgid", randomId("msg", 16));
    Outcome out = ok(resp);
    out.detail.put("delivered", delivered);
    if (!dropped.isEmpty()) {
      // WeCom answers success and silently drops the excess: only the call log tells.
      out.dropped = true;
      out.detail.put("dropped_users", dropped);
    }
    return out;
  }

  private Outcome externalContactGet(String externalUserId) {
    SandboxContact c = externalUserId == null ? null : contacts.get(externalUserId);
    if (c == null) {
      return error(INVALID_EXTERNAL_USERID, "invalid external userid");
    }
    Map<String, Object> ec = new LinkedHashMap<>();
    ec.put("external_userid", c.externalUserId());
    ec.put("name", c.name());
    ec.put("avatar", c.avatar());
    ec.put("type", 1);
    ec.put("gender", c.gender());
    if (c.unionid() != null) {
      ec.put("unionid", c.unionid());
    }
    List<Map<String, Object>> follows = new ArrayList<>();
    for (SandboxContact.Follow f : c.follows()) {
      Map<String, Object> fu = new LinkedHashMap<>();
      fu.put("userid", f.userId());
      fu.put("remark", f.remark() == null ? "" : f.remark());
      fu.put("description", "");
      fu.put("createtime", f.createTime());
      fu.put("tags", f.tags().stream().map(t -> Map.of("group_name", "sandbox", "tag_name", t, "tag_id", t, "type", 1)).toList());
      fu.put("state", f.state() == null ? "" : f.state());
      fu.put("add_way", 1);
      follows.add(fu);
    }
    return ok(Map.of("external_contact", ec, "follow_user", follows));
  }

  private Outcome sendWelcomeMsg(Map<String, Object> body) {
    String code = str(body, "welcome_code");
    WelcomeCode wc = code == null ? null : welcomeCodes.get(code);
    if (wc == null || wc.used() || !clock.instant().isBefore(wc.expiresAt())) {
      return error(WELCOME_CODE_INVALID, "welcome_code invalid, used or expired");
    }
    welcomeCodes.put(code, new WelcomeCode(wc.userId(), wc.externalUserId(), wc.expiresAt(), true));
    Outcome out = ok(Map.of());
    out.detail.put("userid", wc.userId());
    out.detail.put("external_userid", wc.externalUserId());
    return out;
  }

  private Outcome addMsgTemplate(Map<String, Object> body) {
    String sender = str(body, "sender");
    if (sender != null && !users.contains(sender)) {
      return error(USER_NOT_FOUND, "userid not found");
    }
    if ("group".equals(str(body, "chat_type"))) {
      return ok(Map.of("fail_list", List.of(), "msgid", randomId("tmpl", 16)));
    }
    List<String> targets = strings(body.get("external_userid"));
    if (targets.isEmpty() || targets.size() > 10_000) {
      return error(INVALID_PARAMETER, "external_userid must list 1 to 10000 customers");
    }
    Instant now = clock.instant();
    List<String> fail = new ArrayList<>();
    List<String> limited = new ArrayList<>();
    for (String ext : targets) {
      SandboxContact c = contacts.get(ext);
      if (c == null || (sender != null && !c.followedBy(sender))) {
        fail.add(ext);
        continue;
      }
      Deque<Instant> got = templateReceipts.computeIfAbsent(ext, e -> new ArrayDeque<>());
      while (!got.isEmpty() && !got.peekFirst().isAfter(now.minus(props.msgTemplatePeriod()))) {
        got.pollFirst();
      }
      if (got.size() >= props.msgTemplateLimit()) {
        // WeCom accepts the task but the customer does not receive it: report the customer as failed.
        limited.add(ext);
        fail.add(ext);
      } else {
        got.addLast(now);
      }
    }
    String msgid = randomId("tmpl", 16);
    List<String> delivered = new ArrayList<>(targets);
    delivered.removeAll(fail);
    templateTasks.put(msgid, new TemplateTask(sender, List.copyOf(delivered), null));
    Outcome out = ok(Map.of("fail_list", fail, "msgid", msgid));
    if (!limited.isEmpty()) {
      out.dropped = true;
      out.detail.put("limited", limited);
    }
    return out;
  }

  /**
   * One task's per-customer status: 0 not sent yet (the staff member has not confirmed), 1 sent
   * ({@link #confirmTemplateTasks}); {@code userid} filters by sender. One page (cursor ignored: tasks are small).
   */
  private Outcome groupMsgSendResult(Map<String, Object> body) {
    String msgid = str(body, "msgid");
    TemplateTask t = msgid == null ? null : templateTasks.get(msgid);
    if (t == null) {
      return error(INVALID_PARAMETER, "invalid msgid");
    }
    String userid = str(body, "userid");
    List<Map<String, Object>> rows = new ArrayList<>();
    if (userid == null || userid.equals(t.sender())) {
      for (String ext : t.customers()) {
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("external_userid", ext);
        row.put("userid", t.sender());
        row.put("status", t.sentAt() == null ? 0 : 1);
        if (t.sentAt() != null) {
          row.put("send_time", t.sentAt().getEpochSecond());
        }
        rows.add(row);
      }
    }
    return ok(Map.of("send_list", rows, "next_cursor", ""));
  }

  private record TemplateTask(String sender, List<String> customers, Instant sentAt) {}

  private Outcome groupChatGet(Map<String, Object> body) {
    SandboxGroup g = groups.get(String.valueOf(body.get("chat_id")));
    if (g == null) {
      return error(CHAT_NOT_FOUND, "chat_id not found");
    }
    List<Map<String, Object>> members = new ArrayList<>();
    for (SandboxGroup.Member m : g.members()) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("userid", m.userId());
      mm.put("type", m.type());
      if (m.unionid() != null) {
        mm.put("unionid", m.unionid());
      }
      mm.put("join_time", m.joinTime());
      mm.put("join_scene", m.joinScene());
      if (m.invitor() != null) {
        mm.put("invitor", Map.of("userid", m.invitor()));
      }
      if (m.state() != null) {
        mm.put("state", m.state());
      }
      members.add(mm);
    }
    Map<String, Object> gc = new LinkedHashMap<>();
    gc.put("chat_id", g.chatId());
    gc.put("name", g.name());
    gc.put("owner", g.owner());
    gc.put("create_time", g.createTime());
    gc.put("notice", "");
    gc.put("member_list", members);
    gc.put("admin_list", List.of());
    return ok(Map.of("group_chat", gc));
  }

  private Outcome markTag(Map<String, Object> body) {
    String userId = str(body, "userid");
    String ext = str(body, "external_userid");
    if (userId == null || !users.contains(userId)) {
      return error(USER_NOT_FOUND, "userid not found");
    }
    SandboxContact c = ext == null ? null : contacts.get(ext);
    if (c == null) {
      return error(INVALID_EXTERNAL_USERID, "invalid external userid");
    }
    if (!c.followedBy(userId)) {
      return error(NOT_A_CONTACT, "no external contact relationship");
    }
    List<String> add = strings(body.get("add_tag"));
    List<String> remove = strings(body.get("remove_tag"));
    List<SandboxContact.Follow> follows = c.follows().stream().map(f -> {
      if (!f.userId().equals(userId)) {
        return f;
      }
      Set<String> tags = new java.util.LinkedHashSet<>(f.tags());
      tags.addAll(add);
      remove.forEach(tags::remove);
      return new SandboxContact.Follow(f.userId(), f.remark(), List.copyOf(tags), f.createTime(), f.state());
    }).toList();
    contacts.put(ext, new SandboxContact(ext, c.name(), c.avatar(), c.gender(), c.unionid(), follows));
    return ok(Map.of());
  }

  private Outcome addContactWay(Map<String, Object> body) {
    String state = str(body, "state");
    if (state != null && state.length() > 30) {
      return error(INVALID_PARAMETER, "state longer than 30 characters");
    }
    for (String u : strings(body.get("user"))) {
      if (!users.contains(u)) {
        return error(USER_NOT_FOUND, "userid not found");
      }
    }
    String configId = randomId("cw", 16);
    return ok(Map.of("config_id", configId, "qr_code", "https://sandbox.invalid/qr/" + configId));
  }

  private Outcome syncMsg(Map<String, Object> body) {
    String token = str(body, "token");
    if (token != null) {
      Instant expires = kfTokens.get(token);
      if (expires == null || !clock.instant().isBefore(expires)) {
        return error(KF_INVALID_MSG_TOKEN, "invalid msg token");
      }
    }
    String openKfid = str(body, "open_kfid");
    int limit = body.get("limit") instanceof Number n ? n.intValue() : 1000;
    if (limit < 1 || limit > 1000) {
      return error(INVALID_PARAMETER, "limit must be 1 to 1000");
    }
    Integer cap = syncPageSize;
    limit = Math.min(limit, cap != null ? cap : props.syncPageSize());
    String cursor = str(body, "cursor");
    int start;
    try {
      start = cursor == null || cursor.isEmpty() ? 0 : decodeCursor(cursor);
    } catch (IllegalArgumentException badCursor) {
      return error(INVALID_PARAMETER, "invalid cursor");
    }
    List<Map<String, Object>> visible = kfMessages.stream()
        .filter(m -> openKfid == null || openKfid.equals(m.get("open_kfid"))).toList();
    String emptyKey = openKfid == null ? "*" : openKfid;
    Integer empties = emptySyncPages.get(emptyKey);
    Outcome out;
    if (empties != null && empties > 0) {
      emptySyncPages.put(emptyKey, empties - 1);
      out = ok(Map.of("next_cursor", encodeCursor(start), "has_more", 1, "msg_list", List.of()));
      out.detail.put("empty_page", true);
    } else {
      int from = Math.min(start, visible.size());
      int to = Math.min(from + limit, visible.size());
      out = ok(Map.of("next_cursor", encodeCursor(to), "has_more", to < visible.size() ? 1 : 0,
          "msg_list", List.copyOf(visible.subList(from, to))));
      out.detail.put("returned", to - from);
    }
    return out;
  }

  private Outcome kfSendMsg(Map<String, Object> body) {
    String openKfid = str(body, "open_kfid");
    String touser = str(body, "touser");
    if (openKfid == null || touser == null) {
      return error(INVALID_PARAMETER, "touser and open_kfid are required");
    }
    String key = sessionKey(openKfid, touser);
    KfSession s = kfSessions.get(key);
    Instant now = clock.instant();
    if (s == null || now.isAfter(s.lastCustomerMessage().plus(props.kfReplyWindow()))) {
      return error(KF_WINDOW_CLOSED, "not allowed to send: more than 48 hours since the customer's last message");
    }
    if (s.repliesSince() >= props.kfMaxReplies()) {
      return error(KF_COUNT_LIMIT, "not allowed to send: reply count limit reached");
    }
    kfSessions.put(key, new KfSession(s.lastCustomerMessage(), s.repliesSince() + 1));
    String msgid = str(body, "msgid");
    return ok(Map.of("msgid", msgid != null ? msgid : randomId("kfsend", 16)));
  }

  private Outcome kfSendMsgOnEvent(Map<String, Object> body) {
    String code = str(body, "code");
    WelcomeCode wc = code == null ? null : kfEventCodes.get(code);
    if (wc == null || wc.used() || !clock.instant().isBefore(wc.expiresAt())) {
      // Unconfirmed: WeCom documents no dedicated code for a used/expired enter_session code in our sources.
      return error(INVALID_PARAMETER, "code invalid, used or expired");
    }
    kfEventCodes.put(code, new WelcomeCode(wc.userId(), wc.externalUserId(), wc.expiresAt(), true));
    String msgid = str(body, "msgid");
    return ok(Map.of("msgid", msgid != null ? msgid : randomId("kfsend", 16)));
  }

  // ------------------------------------------------------------------------------------------------

  private void record(String api, String app, Map<String, Object> request, Outcome out) {
    SandboxCall call = new SandboxCall(seq.incrementAndGet(), clock.instant(), api, app, request, out.errcode,
        out.dropped, Map.copyOf(out.detail));
    calls.addLast(call);
    while (calls.size() > props.callLogSize()) {
      calls.pollFirst();
    }
    if (out.dropped) {
      log.info("sandbox {} call {} accepted but not delivered (WeCom limit)", api, call.seq());
    } else if (out.errcode != OK) {
      log.debug("sandbox {} call {} answered errcode {}", api, call.seq(), out.errcode);
    }
  }

  private static final class Outcome {
    final int errcode;
    final String errmsg;
    final Map<String, Object> response;
    final Map<String, Object> detail = new HashMap<>();
    boolean dropped;

    Outcome(int errcode, String errmsg, Map<String, Object> response) {
      this.errcode = errcode;
      this.errmsg = errmsg;
      this.response = response;
    }
  }

  private static Outcome ok(Map<String, Object> response) {
    return new Outcome(OK, "ok", response);
  }

  private static Outcome error(int errcode, String errmsg) {
    return new Outcome(errcode, errmsg, Map.of());
  }

  private long nowSeconds() {
    return clock.instant().getEpochSecond();
  }

  private static String sessionKey(String openKfid, String externalUserId) {
    return openKfid + "|" + externalUserId;
  }

  static String encodeCursor(int index) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("c" + index).getBytes(StandardCharsets.UTF_8));
  }

  static int decodeCursor(String cursor) {
    String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    if (!s.startsWith("c")) {
      throw new IllegalArgumentException("not a sandbox cursor");
    }
    int i = Integer.parseInt(s.substring(1));
    if (i < 0) {
      throw new IllegalArgumentException("negative cursor");
    }
    return i;
  }

  static String randomId(String prefix, int bytes) {
    byte[] b = new byte[bytes / 2];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  private static String avatarFor(String externalUserId) {
    return "https://sandbox.invalid/avatar/" + externalUserId + ".png";
  }

  private static String str(Map<String, Object> body, String key) {
    Object v = body.get(key);
    return v == null ? null : String.valueOf(v);
  }

  private static List<String> strings(Object v) {
    if (v instanceof Collection<?> c) {
      return c.stream().map(String::valueOf).toList();
    }
    return v == null ? List.of() : List.of(String.valueOf(v));
  }
}

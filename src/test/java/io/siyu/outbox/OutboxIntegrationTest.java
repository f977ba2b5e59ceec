package io.siyu.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.inbox.InboxEvent;
import io.siyu.infra.RedisKeys;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import io.siyu.wecom.WecomClient;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import me.chanjar.weixin.cp.bean.external.WxCpMsgTemplate;
import me.chanjar.weixin.cp.bean.external.msg.Text;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The outbox against the real Redis and the sandbox through WecomClient. Workers are driven by calling
 * {@link OutboxWorker#deliverDue()} ({@code siyu.outbox.enabled=false} in tests); time is a MutableClock set
 * to 10:00 (brand zone) of a later day before each test, so quiet hours apply only where a test wants them.
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class OutboxIntegrationTest {

  private static final Duration T = Duration.ofSeconds(20);
  private static final String OWNER = "zhangsan";

  @Autowired Outbox outbox;
  @Autowired OutboxWorker worker;
  @Autowired OutboxStore store;
  @Autowired OutboxRules rules;
  @Autowired OutboxChannels channels;
  @Autowired OutboxProperties props;
  @Autowired KfSessionHandler kfHandler;
  @Autowired SandboxWecom sandbox;
  @Autowired WecomClient wecom;
  @Autowired MutableClock clock;
  @Autowired MeterRegistry meters;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired WebTestClient web;
  @Autowired io.siyu.infra.SiyuProperties siyu;

  private String ext;
  private String person;
  private String kf;

  @BeforeEach
  void freshDayAndIds() {
    ZoneId zone = siyu.zone();
    ZonedDateTime next = clock.instant().atZone(zone).toLocalDate().plusDays(2).atTime(LocalTime.of(10, 0)).atZone(zone);
    clock.set(next.toInstant());
    // Entries other test classes left queued (their workers are off) must not be delivered here.
    redis.delete(RedisKeys.outboxDue(), RedisKeys.outboxInflight()).block(T);
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    ext = "wmOb" + id;
    person = "p-" + id;
    kf = "wkOb" + id;
    sandbox.addFollow(ext, OWNER, null);
  }

  // --- channels ---------------------------------------------------------------------------------

  @Test
  void freshWelcomeCodeSendsThroughSendWelcomeMsgWithLinks() {
    String code = sandbox.issueWelcomeCode(OWNER, ext);
    OutboxMessage m = message("welcome", new OutboxMessage.Recipient(ext, OWNER, code, clock.instant(), null),
        new OutboxMessage.Content("欢迎", List.of(new OutboxMessage.Link("问卷", "https://example.invalid/q", null, null)),
            null), "journey-welcome");

    assertThat(outbox.enqueue(m).block(T).first()).isTrue();
    deliver();

    assertThat(status(m).status()).isEqualTo("sent");
    assertThat(status(m).channel()).isEqualTo("welcome");
    List<SandboxCall> calls = callsFor("externalcontact/send_welcome_msg", "welcome_code", code);
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0).errcode()).isZero();
    assertThat(calls.get(0).request().toString()).contains("https://example.invalid/q");
  }

  @Test
  void staleWelcomeCodeGoesToKfWhenTheCustomerHasAnOpenSession() {
    String code = sandbox.issueWelcomeCode(OWNER, ext);
    Instant addedAt = clock.instant();
    customerWrites();
    clock.advance(Duration.ofSeconds(18)); // inside WeCom's 20 s but past window - margin
    OutboxMessage m = message("stale", new OutboxMessage.Recipient(ext, OWNER, code, addedAt, kf), text("hi"), "journey");

    outbox.enqueue(m).block(T);
    deliver();

    assertThat(status(m).channel()).isEqualTo("kf");
    assertThat(callsFor("externalcontact/send_welcome_msg", "welcome_code", code)).isEmpty();
    List<SandboxCall> kfCalls = callsFor("kf/send_msg", "touser", ext);
    assertThat(kfCalls).hasSize(1);
    assertThat(kfCalls.get(0).request()).containsEntry("msgid", OutboxChannels.kfMsgId(m.key()));
  }

  @Test
  void aMessagesOwnChannelListIsTriedInItsOrderAndOtherChannelsAreSkipped() {
    OutboxMessage m = new OutboxMessage(key("ordered"), person, new OutboxMessage.Recipient(ext, OWNER, null, null, null),
        text("hi"), 0, null, "campaign:c-x", List.of("staff", "template"));
    outbox.enqueue(m).block(T);
    deliver();
    assertThat(status(m).channel()).isEqualTo("staff");
    assertThat(templateCalls()).isEmpty();

    // kf only, but no kf account: no listed channel can take it, even though add_msg_template could
    OutboxMessage kfOnly = new OutboxMessage(key("kfonly"), person,
        new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("hi"), 0, null, "campaign:c-x", List.of("kf"));
    outbox.enqueue(kfOnly).block(T);
    deliver();
    assertThat(status(kfOnly).status()).isEqualTo("dead");
    assertThat(templateCalls()).isEmpty();
  }

  @Test
  void refusesAChannelListWithUnknownRepeatedOrNoChannels() {
    OutboxMessage.Recipient to = new OutboxMessage.Recipient(ext, OWNER, null, null, null);
    for (List<String> bad : List.of(List.of("sms"), List.of("staff", "staff"), List.<String>of())) {
      assertThatThrownBy(() -> outbox.enqueue(new OutboxMessage(key("bad"), person, to, text("hi"), 0, null, "x", bad))
          .block(T)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channels");
    }
    assertThat(outbox.status(key("bad")).block(T)).isNull();
  }

  @Test
  void enqueueAllQueuesEachNewKeyOnceInOneScriptAndReportsKnownOnes() {
    OutboxMessage.Recipient to = new OutboxMessage.Recipient(ext, OWNER, null, null, null);
    OutboxMessage known = message("batch-known", to, text("a"), "campaign:c-b");
    assertThat(outbox.enqueue(known).block(T).first()).isTrue();
    long queuedBefore = outbox.stats().block(T).byStatus().getOrDefault("queued", 0L);
    List<OutboxMessage> batch = List.of(message("batch-1", to, text("b"), "campaign:c-b"), known,
        message("batch-2", to, text("c"), null));
    List<Outbox.Receipt> receipts = outbox.enqueueAll(batch).block(T);
    assertThat(receipts).extracting(Outbox.Receipt::key).containsExactly(key("batch-1"), key("batch-known"),
        key("batch-2"));
    assertThat(receipts).extracting(Outbox.Receipt::first).containsExactly(true, false, true);
    assertThat(receipts).extracting(Outbox.Receipt::status).containsOnly("queued");
    assertThat(outbox.stats().block(T).byStatus().get("queued")).isEqualTo(queuedBefore + 2);
    assertThat(status(batch.get(2)).source()).isEqualTo("unknown");
    // again: every key known, nothing new
    assertThat(outbox.enqueueAll(batch).block(T)).extracting(Outbox.Receipt::first).containsOnly(false);
    assertThat(outbox.stats().block(T).byStatus().get("queued")).isEqualTo(queuedBefore + 2);
    // one invalid message refuses the batch: nothing written
    OutboxMessage fresh = message("batch-3", to, text("d"), "campaign:c-b");
    OutboxMessage bad = new OutboxMessage(key("batch bad"), person, to, text("e"), 0, null, "campaign:c-b");
    assertThatThrownBy(() -> outbox.enqueueAll(List.of(fresh, bad)).block(T))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key");
    assertThat(status(fresh)).isNull();
    deliver();
  }

  @Test
  void anExemptSourceAlsoExemptsItsSubSources() {
    assertThat(rules.quietUntil(Instant.parse("2026-01-01T15:00:00Z"), "journey-welcome:x")).isEmpty();
    assertThat(rules.quietUntil(Instant.parse("2026-01-01T15:00:00Z"), "journey-welcomed")).isPresent();
  }

  @Test
  void staleWelcomeCodeWithoutKfSessionGoesToAddMsgTemplateAsTheOwner() {
    String code = sandbox.issueWelcomeCode(OWNER, ext);
    Instant addedAt = clock.instant();
    clock.advance(Duration.ofSeconds(25));
    OutboxMessage m = message("stale2", new OutboxMessage.Recipient(ext, OWNER, code, addedAt, kf), text("hi"), "journey");

    outbox.enqueue(m).block(T);
    deliver();

    assertThat(status(m).channel()).isEqualTo("template");
    List<SandboxCall> calls = callsFor("externalcontact/add_msg_template", "sender", OWNER).stream()
        .filter(c -> c.request().toString().contains(ext)).toList();
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0).request()).containsEntry("chat_type", "single");
  }

  @Test
  void welcomeCodeRefusedWith41051MovesToTheNextChannel() {
    OutboxMessage m = message("used", new OutboxMessage.Recipient(ext, OWNER, "wc-not-issued", clock.instant(), null),
        text("hi"), "journey-welcome");

    outbox.enqueue(m).block(T);
    deliver();

    assertThat(callsFor("externalcontact/send_welcome_msg", "welcome_code", "wc-not-issued"))
        .extracting(SandboxCall::errcode).containsExactly(41051);
    assertThat(status(m).status()).isEqualTo("sent");
    assertThat(status(m).channel()).isEqualTo("template");
  }

  @Test
  void kfFiveMessageLimitHoldsAndTheSixthGoesToTheNextChannel() {
    customerWrites();
    List<OutboxMessage> ms = IntStream.range(0, 6).mapToObj(i -> message("kf" + i,
        new OutboxMessage.Recipient(ext, OWNER, null, null, kf), text("m" + i), "campaign")).toList();
    // caps are per person: these messages go to a staff-less person id so the kf limit is what is tested
    ms = ms.stream().map(m -> new OutboxMessage(m.key(), null, m.to(), m.content(), 0, null, m.source())).toList();
    for (OutboxMessage m : ms) {
      outbox.enqueue(m).block(T);
      deliver();
    }

    assertThat(ms.stream().map(m -> status(m).channel()).toList())
        .containsExactly("kf", "kf", "kf", "kf", "kf", "template");
    assertThat(callsFor("kf/send_msg", "touser", ext)).hasSize(5).allMatch(c -> c.errcode() == 0);
  }

  @Test
  void kfSessionClosesAfter48HoursAndReopensWhenTheCustomerWrites() {
    customerWrites();
    clock.advance(Duration.ofHours(49));
    OutboxMessage late = message("late", new OutboxMessage.Recipient(ext, OWNER, null, null, kf), text("x"), "campaign");
    outbox.enqueue(late).block(T);
    deliver();
    assertThat(status(late).channel()).isEqualTo("template");
    assertThat(status(late).lastError()).isNull();

    customerWrites();
    clock.advance(Duration.ofHours(47));
    OutboxMessage inWindow = message("inwin", new OutboxMessage.Recipient(ext, OWNER, null, null, kf), text("y"),
        "campaign");
    outbox.enqueue(inWindow).block(T);
    deliver();
    assertThat(status(inWindow).channel()).isEqualTo("kf");
  }

  @Test
  void kfRefusedByWecomMovesToTheNextChannelAndClosesTheSessionForLaterMessages() {
    // Our view says the session is open, WeCom's does not (95002): next channel, and no more kf tries.
    String payload = "{\"msgid\":\"m-" + ext + "\",\"open_kfid\":\"" + kf + "\",\"external_userid\":\"" + ext
        + "\",\"send_time\":" + clock.instant().getEpochSecond() + ",\"origin\":3,\"msgtype\":\"text\"}";
    kfHandler.handle(new InboxEvent("", "kf", "kf:text", "kf:m-" + ext, InboxEvent.JSON, payload, clock.instant()))
        .block(T);
    OutboxMessage first = new OutboxMessage(key("k1"), null, new OutboxMessage.Recipient(ext, OWNER, null, null, kf),
        text("a"), 0, null, "campaign");
    OutboxMessage second = new OutboxMessage(key("k2"), null, first.to(), text("b"), 0, null, "campaign");

    outbox.enqueue(first).block(T);
    deliver();
    outbox.enqueue(second).block(T);
    deliver();

    assertThat(callsFor("kf/send_msg", "touser", ext)).extracting(SandboxCall::errcode).containsExactly(95002);
    assertThat(status(first).channel()).isEqualTo("template");
    assertThat(status(second).channel()).isEqualTo("staff");
  }

  @Test
  void replayedCustomerMessageDoesNotResetTheKfCount() {
    InboxEvent event = customerWrites();
    for (int i = 0; i < 5; i++) {
      outbox.enqueue(new OutboxMessage(key("r" + i), null, new OutboxMessage.Recipient(ext, OWNER, null, null, kf),
          text("m"), 0, null, "campaign")).block(T);
    }
    deliver();
    kfHandler.handle(event).block(T); // the inbox redelivers the same customer message

    OutboxMessage sixth = new OutboxMessage(key("r6"), null, new OutboxMessage.Recipient(ext, OWNER, null, null, kf),
        text("m"), 0, null, "campaign");
    outbox.enqueue(sixth).block(T);
    deliver();
    assertThat(status(sixth).channel()).isEqualTo("template");
  }

  @Test
  void menuGoesOnlyThroughKf() {
    OutboxMessage.Menu menu = new OutboxMessage.Menu("请选择", List.of(new OutboxMessage.MenuItem("q1-a", "A"),
        new OutboxMessage.MenuItem("q1-b", "B")), null);
    OutboxMessage noSession = message("menu0", new OutboxMessage.Recipient(ext, OWNER, null, null, kf),
        new OutboxMessage.Content(null, List.of(), menu), "journey");
    outbox.enqueue(noSession).block(T);
    deliver();
    assertThat(status(noSession).status()).isEqualTo("dead");
    assertThat(status(noSession).lastError()).contains("no channel").contains("kf: no open kf session");

    customerWrites();
    OutboxMessage withSession = message("menu1", noSession.to(), noSession.content(), "journey");
    outbox.enqueue(withSession).block(T);
    deliver();
    assertThat(status(withSession).channel()).isEqualTo("kf");
    assertThat(callsFor("kf/send_msg", "touser", ext).get(0).request()).containsEntry("msgtype", "msgmenu")
        .containsKey("msgmenu");
  }

  @Test
  void addMsgTemplateLimitSendsAStaffNoticeInstead() {
    OutboxMessage first = message("t1", new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("一"), "campaign");
    OutboxMessage second = message("t2", first.to(), text("二"), "campaign");
    outbox.enqueue(first).block(T);
    outbox.enqueue(second).block(T);
    deliver();

    assertThat(status(first).channel()).isEqualTo("template");
    assertThat(status(second).channel()).isEqualTo("staff");
    List<SandboxCall> todos = callsFor("message/send", "touser", OWNER);
    SandboxCall task = todos.get(todos.size() - 1);
    assertThat(task.request().toString()).contains(ext).contains("二").contains("请通过企业微信");
  }

  @Test
  void customerInAddMsgTemplateFailListGetsAStaffNotice() {
    // WeCom's own per-customer limit, used up by a send the outbox did not track
    WxCpMsgTemplate t = new WxCpMsgTemplate();
    t.setChatType("single");
    t.setExternalUserid(List.of(ext));
    t.setSender(OWNER);
    Text text = new Text();
    text.setContent("earlier");
    t.setText(text);
    wecom.call("contact", "externalcontact/add_msg_template", s -> s.getExternalContactService().addMsgTemplate(t))
        .block(T);
    OutboxMessage m = message("fl", new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), "campaign");

    outbox.enqueue(m).block(T);
    deliver();

    assertThat(status(m).channel()).isEqualTo("staff");
  }

  // --- rules ------------------------------------------------------------------------------------

  @Test
  void quietHoursDeferUntilTheirEndThenDeliver() {
    ZoneId zone = siyu.zone();
    ZonedDateTime night = clock.instant().atZone(zone).with(LocalTime.of(23, 0));
    clock.set(night.toInstant());
    OutboxMessage m = message("quiet", new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), "campaign");
    outbox.enqueue(m).block(T);
    double deferred = counter("siyu.outbox.deferred", "reason", "quiet-hours");

    deliver();
    Outbox.Status s = status(m);
    assertThat(s.status()).isEqualTo("queued");
    Instant morning = night.toLocalDate().plusDays(1).atTime(8, 0).atZone(zone).toInstant();
    assertThat(s.dueAt()).isEqualTo(morning);
    assertThat(templateCalls()).isEmpty();
    assertThat(counter("siyu.outbox.deferred", "reason", "quiet-hours")).isEqualTo(deferred + 1);

    clock.set(morning.minusSeconds(1));
    assertThat(worker.deliverDue().block(T)).isZero();
    clock.set(morning);
    deliver();
    assertThat(status(m).status()).isEqualTo("sent");
    assertThat(templateCalls()).hasSize(1);
  }

  @Test
  void exemptSourcesAreSentDuringQuietHours() {
    clock.set(clock.instant().atZone(siyu.zone()).with(LocalTime.of(23, 30)).toInstant());
    String code = sandbox.issueWelcomeCode(OWNER, ext);
    OutboxMessage m = message("qw", new OutboxMessage.Recipient(ext, OWNER, code, clock.instant(), null), text("欢迎"),
        "journey-welcome");
    outbox.enqueue(m).block(T);
    deliver();
    assertThat(status(m).channel()).isEqualTo("welcome");
  }

  @Test
  void perDayCapDefersToTheNextDayAcrossSources() {
    customerWrites();
    List<OutboxMessage> ms = new ArrayList<>();
    for (int i = 0; i < props.caps().perDay() + 1; i++) {
      ms.add(message("cap" + i, new OutboxMessage.Recipient(ext, OWNER, null, null, kf), text("m" + i),
          i % 2 == 0 ? "campaign" : "koc"));
    }
    ms.forEach(m -> outbox.enqueue(m).block(T));
    deliver();

    long sent = ms.stream().filter(m -> status(m).status().equals("sent")).count();
    assertThat(sent).isEqualTo(props.caps().perDay());
    OutboxMessage over = ms.stream().filter(m -> status(m).status().equals("queued")).findFirst().orElseThrow();
    Instant tomorrow = clock.instant().atZone(siyu.zone()).toLocalDate().plusDays(1).atStartOfDay(siyu.zone()).toInstant();
    assertThat(status(over).dueAt()).isEqualTo(tomorrow);
    assertThat(status(over).lastError()).contains("cap-day");

    clock.set(tomorrow.plus(Duration.ofHours(9))); // after the quiet hours
    customerWrites();
    deliver();
    assertThat(status(over).status()).isEqualTo("sent");
  }

  @Test
  void capDeferralPastTheDeadlineExpires() {
    for (int i = 0; i < props.caps().perDay(); i++) {
      outbox.enqueue(message("d" + i, new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("m"), "koc"))
          .block(T);
    }
    OutboxMessage m = new OutboxMessage(key("dl"), person, new OutboxMessage.Recipient(null, OWNER, null, null, null),
        text("x"), 0, clock.instant().plus(Duration.ofHours(2)), "campaign");
    outbox.enqueue(m).block(T);
    deliver();
    assertThat(status(m).status()).isEqualTo("expired");
    assertThat(status(m).lastError()).contains("cap-day").contains("deadline");
  }

  @Test
  void pastItsDeadlineAnEntryExpires() {
    OutboxMessage m = new OutboxMessage(key("exp"), person, new OutboxMessage.Recipient(ext, OWNER, null, null, null),
        text("x"), 0, clock.instant().plusSeconds(10), "campaign");
    outbox.enqueue(m).block(T);
    clock.advance(Duration.ofSeconds(11));
    deliver();
    assertThat(status(m).status()).isEqualTo("expired");
    assertThat(templateCalls()).isEmpty();
  }

  // --- exactly once -----------------------------------------------------------------------------

  @Test
  void sameKeyEnqueuedTwentyTimesConcurrentlyIsSentOnce() {
    OutboxMessage m = message("twenty", new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), "campaign");
    List<Outbox.Receipt> receipts = Flux.range(0, 20)
        .flatMap(i -> outbox.enqueue(m).subscribeOn(Schedulers.parallel()), 20).collectList().block(T);

    assertThat(receipts).filteredOn(Outbox.Receipt::first).hasSize(1);
    deliver();
    deliver();
    assertThat(templateCalls()).hasSize(1);
    assertThat(outbox.enqueue(m).block(T)).isEqualTo(new Outbox.Receipt(m.key(), false, "sent"));
  }

  @Test
  void twoWorkerInstancesNeverSendAnEntryTwice() {
    OutboxWorker other = new OutboxWorker(store, rules, channels, props, clock, meters);
    String marker = "two-" + UUID.randomUUID();
    List<OutboxMessage> ms = IntStream.range(0, 40).mapToObj(i -> new OutboxMessage(key("w" + i), null,
        new OutboxMessage.Recipient(null, OWNER, null, null, null), text(marker + " #" + i + "#"), 0, null, "koc"))
        .toList();
    ms.forEach(m -> outbox.enqueue(m).block(T));

    for (int round = 0; round < 10; round++) {
      Mono.zip(worker.deliverDue().subscribeOn(Schedulers.parallel()),
          other.deliverDue().subscribeOn(Schedulers.parallel())).block(T);
    }

    List<SandboxCall> calls = sandbox.calls("message/send").stream().filter(OutboxIntegrationTest::reachedTheApi)
        .filter(c -> c.request().toString().contains(marker)).toList();
    assertThat(calls).hasSize(40);
    for (int i = 0; i < 40; i++) {
      String tag = " #" + i + "#";
      assertThat(calls).filteredOn(c -> c.request().toString().contains(tag)).hasSize(1);
    }
    assertThat(ms).allMatch(m -> status(m).status().equals("sent"));
  }

  @Test
  void crashMidDeliveryIsRedeliveredAfterTheLeaseOnce() {
    OutboxMessage m = message("crash", new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), "campaign");
    outbox.enqueue(m).block(T);
    // An instance claims the entry and dies before any outcome is recorded.
    OutboxWorker crashed = new OutboxWorker(store, rules, channels, props, clock, meters);
    List<OutboxStore.Claimed> held = crashed.claim(10).block(T);
    assertThat(held).extracting(OutboxStore.Claimed::key).contains(m.key());
    assertThat(status(m).status()).isEqualTo("sending");

    assertThat(worker.deliverDue().block(T)).as("lease still held").isZero();
    clock.advance(props.lease().plusSeconds(1));
    deliver();
    deliver();

    assertThat(status(m).status()).isEqualTo("sent");
    assertThat(templateCalls()).hasSize(1);
    OutboxStore.Claimed stale = held.stream().filter(c -> c.key().equals(m.key())).findFirst().orElseThrow();
    assertThat(store.finish(stale, clock.instant(), OutboxStore.Outcome.DEAD, null, null, 0, 0, "late").block(T))
        .as("the crashed instance's late outcome is refused").isFalse();
    assertThat(status(m).status()).isEqualTo("sent");
  }

  // --- per-run feedback counters -------------------------------------------------------------------

  @Test
  void feedbackCountsEveryOutcomeOfARunOnceAndPerLabel() {
    String run = "c-fb" + person + ":1";
    OutboxMessage.Feedback fb = new OutboxMessage.Feedback(run, Duration.ofDays(3), "order", List.of("stage:intro", "s:vip"));
    String source = "campaign:c-fb" + person;
    OutboxMessage sent = new OutboxMessage(key("fbs"), person, new OutboxMessage.Recipient(ext, OWNER, null, null, null),
        text("x"), 0, null, source, null, fb);
    OutboxMessage dead = new OutboxMessage(key("fbd"), person + "d",
        new OutboxMessage.Recipient(null, "nobody-" + ext, null, null, null), text("x"), 0, null, source, null, fb);
    OutboxMessage expired = new OutboxMessage(key("fbe"), person + "e",
        new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), 0, clock.instant().plusSeconds(5), source,
        null, fb);
    OutboxMessage plain = new OutboxMessage(key("fbp"), person + "p",
        new OutboxMessage.Recipient(null, OWNER, null, null, null), text("x"), 0, null, source);
    for (OutboxMessage m : List.of(sent, dead, expired, plain)) {
      outbox.enqueue(m).block(T);
    }
    outbox.enqueue(sent).block(T); // a replayed enqueue counts nothing
    assertThat(feedback(run)).containsEntry("enqueued", 3L).containsEntry("l:s:vip:enqueued", 3L);

    clock.advance(Duration.ofSeconds(6));
    deliver();

    assertThat(status(sent).status()).isEqualTo("sent");
    assertThat(status(dead).status()).isEqualTo("dead");
    assertThat(status(expired).status()).isEqualTo("expired");
    assertThat(feedback(run)).containsEntry("enqueued", 3L).containsEntry("sent", 1L)
        .containsEntry("sent:template", 1L).containsEntry("failed", 1L).containsEntry("failed:permanent", 1L)
        .containsEntry("expired", 1L).containsEntry("expired:deadline", 1L)
        .containsEntry("l:stage:intro:sent", 1L).containsEntry("l:s:vip:failed", 1L)
        .doesNotContainKey("cancelled");
    // the send is noted on the person for reply/conversion attribution, with its window end and labels
    String touch = redis.<String, String>opsForHash().get(RedisKeys.outboxTouches(person), run).block(T);
    assertThat(touch).isEqualTo(clock.instant().toEpochMilli() + "|"
        + clock.instant().plus(Duration.ofDays(3)).toEpochMilli() + "|order|stage:intro,s:vip");
    // a relative TTL: the virtual clock is not the Redis server's
    assertThat(redis.getExpire(RedisKeys.outboxTouches(person)).block(T)).isPositive()
        .isLessThanOrEqualTo(Duration.ofDays(3));
    assertThat(redis.hasKey(RedisKeys.outboxTouches(person + "p")).block(T)).as("no feedback, no touch").isFalse();

    OutboxMessage cancelled = new OutboxMessage(key("fbc"), person + "c",
        new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), 0, null, source, null, fb);
    outbox.enqueue(cancelled).block(T);
    outbox.cancelSource(source).block(T);
    deliver();
    assertThat(feedback(run)).containsEntry("enqueued", 4L).containsEntry("cancelled", 1L)
        .containsEntry("l:stage:intro:cancelled", 1L);
  }

  @Test
  void feedbackCountsDeferralsRetriesAndAReplayedFinishOnce() {
    String run = "c-fb2" + person + ":1";
    OutboxMessage.Feedback fb = new OutboxMessage.Feedback(run, Duration.ofDays(1), null, List.of());
    ZoneId zone = siyu.zone();
    ZonedDateTime night = clock.instant().atZone(zone).with(LocalTime.of(23, 0));
    clock.set(night.toInstant());
    OutboxMessage m = new OutboxMessage(key("fbq"), person, new OutboxMessage.Recipient(ext, OWNER, null, null, null),
        text("x"), 0, null, "campaign:c-fb2", null, fb);
    outbox.enqueue(m).block(T);
    deliver();
    assertThat(feedback(run)).containsEntry("deferred", 1L).containsEntry("deferred:quiet-hours", 1L);

    clock.set(night.toLocalDate().plusDays(1).atTime(8, 0).atZone(zone).toInstant());
    OutboxWorker crashed = new OutboxWorker(store, rules, channels, props, clock, meters);
    List<OutboxStore.Claimed> held = crashed.claim(10).block(T);
    OutboxStore.Claimed stale = held.stream().filter(c -> c.key().equals(m.key())).findFirst().orElseThrow();
    clock.advance(props.lease().plusSeconds(1));
    deliver();
    assertThat(store.finish(stale, clock.instant(), OutboxStore.Outcome.SENT, Channel.TEMPLATE, null, 0, 1, null)
        .block(T)).isFalse();
    assertThat(feedback(run)).containsEntry("retried", 1L).containsEntry("sent", 1L).containsEntry("sent:template", 1L);
  }

  private Map<String, Long> feedback(String runId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.outboxFeedback(runId))
        .collectMap(Map.Entry::getKey, e -> Long.parseLong(e.getValue())).block(T);
  }

  // --- retries and dead letters -------------------------------------------------------------------

  @Test
  void transientErrorsAreRetriedWithBackoffThenSent() {
    OutboxMessage m = new OutboxMessage(key("busy"), null, new OutboxMessage.Recipient(null, OWNER, null, null, null),
        text("notice"), 0, null, "koc");
    outbox.enqueue(m).block(T);
    // WecomClient itself tries 1 + retry.attempts times; all of them answer -1
    sandbox.injectFault("message/send", -1, 4);

    deliver();
    Outbox.Status s = status(m);
    assertThat(s.status()).isEqualTo("queued");
    assertThat(s.attempts()).isEqualTo(1);
    assertThat(s.lastError()).startsWith("transient: staff errcode -1");
    assertThat(s.dueAt()).isEqualTo(clock.instant().plus(props.retry().initialBackoff()));

    clock.advance(props.retry().initialBackoff());
    deliver();
    assertThat(status(m).status()).isEqualTo("sent");
    assertThat(status(m).attempts()).isEqualTo(2);
  }

  @Test
  void permanentErrorIsDeadWithTheErrcode() {
    double dead = counter("siyu.outbox.dead", "reason", "permanent");
    OutboxMessage m = new OutboxMessage(key("perm"), null,
        new OutboxMessage.Recipient(null, "nobody-" + ext, null, null, null), text("x"), 0, null, "koc");
    outbox.enqueue(m).block(T);
    deliver();

    Outbox.Status s = status(m);
    assertThat(s.status()).isEqualTo("dead");
    assertThat(s.lastError()).startsWith("staff errcode 81013");
    assertThat(counter("siyu.outbox.dead", "reason", "permanent")).isEqualTo(dead + 1);
  }

  @Test
  void deadLetterGivesBackThePersonsCapReservation() {
    OutboxMessage bad = new OutboxMessage(key("bad"), person,
        new OutboxMessage.Recipient(null, "nobody-" + ext, null, null, null), text("x"), 0, null, "koc");
    outbox.enqueue(bad).block(T);
    deliver();
    assertThat(status(bad).status()).isEqualTo("dead");
    String day = clock.instant().atZone(siyu.zone()).toLocalDate().format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE);
    assertThat(redis.opsForValue().get(RedisKeys.outboxCapDay(person, day)).block(T)).isEqualTo("0");
  }

  // --- enqueue validation and status ------------------------------------------------------------

  @Test
  void refusesInvalidMessagesWritingNothing() {
    OutboxMessage.Recipient to = new OutboxMessage.Recipient(ext, OWNER, null, null, null);
    OutboxMessage.Menu menu = new OutboxMessage.Menu("h", List.of(new OutboxMessage.MenuItem("a", "A")), null);
    List<OutboxMessage> invalid = List.of(
        new OutboxMessage("", person, to, text("x"), 0, null, "s"),
        new OutboxMessage("k".repeat(201), person, to, text("x"), 0, null, "s"),
        new OutboxMessage(key("empty"), person, to, text(" "), 0, null, "s"),
        new OutboxMessage(key("menu"), person, to, new OutboxMessage.Content(null, List.of(), menu), 0, null, "s"),
        new OutboxMessage(key("nobody"), person, new OutboxMessage.Recipient(ext, null, null, null, null), text("x"), 0,
            null, "s"),
        new OutboxMessage(key("norecipient"), person, null, text("x"), 0, null, "s"));
    for (OutboxMessage m : invalid) {
      assertThatThrownBy(() -> outbox.enqueue(m).block(T)).isInstanceOf(IllegalArgumentException.class);
      if (!m.key().isEmpty()) {
        assertThat(redis.hasKey(RedisKeys.outboxEntry(m.key())).block(T)).isFalse();
      }
    }
  }

  @Test
  void statusEndpointsReportAnEntryAndCounts() {
    OutboxMessage m = message("api", new OutboxMessage.Recipient(ext, OWNER, null, null, null), text("x"), "campaign");
    outbox.enqueue(m).block(T);
    deliver();

    web.get().uri("/api/v1/outbox/messages/{key}", m.key())
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.key").isEqualTo(m.key())
        .jsonPath("$.status").isEqualTo("sent")
        .jsonPath("$.channel").isEqualTo("template")
        .jsonPath("$.attempts").isEqualTo(1)
        .jsonPath("$.source").isEqualTo("campaign");
    web.get().uri("/api/v1/outbox/messages/{key}", key("unknown"))
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange()
        .expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:outbox-message-not-found");
    web.get().uri("/api/v1/outbox/stats")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.byStatus.sent").value(n -> assertThat(((Number) n).longValue()).isPositive())
        .jsonPath("$.sentByChannel.template").value(n -> assertThat(((Number) n).longValue()).isPositive());
  }

  // --- helpers ----------------------------------------------------------------------------------

  private String key(String suffix) {
    return "test:" + person + ":" + suffix;
  }

  private OutboxMessage message(String suffix, OutboxMessage.Recipient to, OutboxMessage.Content content,
                                String source) {
    return new OutboxMessage(key(suffix), person, to, content, 0, null, source);
  }

  private static OutboxMessage.Content text(String text) {
    return OutboxMessage.Content.text(text);
  }

  private void deliver() {
    while (worker.deliverDue().block(T) > 0) {
      // until the due set has nothing left that is due now
    }
  }

  private Outbox.Status status(OutboxMessage m) {
    return outbox.status(m.key()).block(T);
  }

  /** The customer writes in the kf chat: the sandbox opens its session, the inbox event opens ours. */
  private InboxEvent customerWrites() {
    String msgid = sandbox.queueKfText(kf, ext, "你好", null);
    String payload = "{\"msgid\":\"" + msgid + "\",\"open_kfid\":\"" + kf + "\",\"external_userid\":\"" + ext
        + "\",\"send_time\":" + clock.instant().getEpochSecond() + ",\"origin\":3,\"msgtype\":\"text\","
        + "\"text\":{\"content\":\"你好\"}}";
    InboxEvent event = new InboxEvent("", "kf", "kf:text", "kf:" + msgid, InboxEvent.JSON, payload, clock.instant());
    assertThat(kfHandler.supports(event)).isTrue();
    kfHandler.handle(event).block(T);
    return event;
  }

  private List<SandboxCall> callsFor(String api, String field, String value) {
    return sandbox.calls(api).stream().filter(OutboxIntegrationTest::reachedTheApi)
        .filter(c -> value.equals(String.valueOf(c.request().get(field)))).toList();
  }

  private List<SandboxCall> templateCalls() {
    return sandbox.calls("externalcontact/add_msg_template").stream().filter(OutboxIntegrationTest::reachedTheApi)
        .filter(c -> c.request().toString().contains(ext)).toList();
  }

  /**
   * Not refused for its access token: the clock jumps days between tests, so the first call of an app
   * meets an expired token (42001) and WecomClient repeats it with a fresh one. Not a second send.
   */
  private static boolean reachedTheApi(SandboxCall c) {
    return c.errcode() != 42001 && c.errcode() != 40014;
  }

  private double counter(String name, String tag, String value) {
    var c = meters.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

}

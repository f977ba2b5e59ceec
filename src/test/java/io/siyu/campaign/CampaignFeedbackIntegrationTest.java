package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.growth.Events;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxDriver;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Per-run feedback against the real Redis, outbox and sandbox: the planner, the outbox worker and the events
 * consumer are driven by the tests with a {@link MutableClock}. {@code siyu.campaign.feedback.segments=fbvip}
 * (test.properties) gives the {@code s:fbvip} breakdown.
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class CampaignFeedbackIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  private static final String OWNER = "zhangsan";
  private static final String VIP = "fbvip";

  @Autowired CampaignPlanner planner;
  @Autowired CampaignTriggers triggers;
  @Autowired CampaignFeedback feedback;
  @Autowired Campaigns campaigns;
  @Autowired CampaignRuns runs;
  @Autowired PersonStore persons;
  @Autowired SandboxWecom sandbox;
  @Autowired Outbox outbox;
  @Autowired Events events;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired WebTestClient web;
  @Autowired ApplicationContext context;

  private String prefix;
  private Instant morning;

  @BeforeEach
  void setUp() {
    prefix = "fb" + UUID.randomUUID().toString().substring(0, 8);
    morning = ZonedDateTime.of(clock.instant().atZone(SHANGHAI).toLocalDate().plusDays(3), LocalTime.of(9, 0), SHANGHAI)
        .toInstant();
    clock.set(morning);
    redis.delete(RedisKeys.campaignDue(), RedisKeys.campaignRunsActive(), RedisKeys.outboxDue(),
        RedisKeys.outboxInflight(), RedisKeys.campaignFires(), RedisKeys.outboxTemplatePending()).block(T);
    triggers.ensureGroup().block(T);
    triggers.consume().block(T); // events other tests left
  }

  @AfterEach
  void deliverWhatIsLeft() {
    redis.delete(RedisKeys.campaignFires()).block(T);
    OutboxDriver.deliverAll(context, T);
  }

  @Test
  void outcomesMatchTheOutboxAndRepliesAndConversionsCountOncePerPersonInsideTheWindow() {
    String v0 = person("v0", OWNER);
    String v1 = person("v1", OWNER);
    String n0 = person("n0", OWNER);
    String gone = person("n1", OWNER, false); // unknown to WeCom: in add_msg_template's fail_list, no other channel
    String seg = segment(prefix, "id.startsWith('" + prefix + "')", 4);
    segment(VIP, "id.startsWith('" + prefix + "v')", 2);
    // fires at 23:00: quiet hours defer every message to 08:00
    Instant night = morning.atZone(SHANGHAI).with(LocalTime.of(23, 0)).toInstant();
    String id = launch(seg, night, "order", Duration.ofDays(7));
    clock.set(night);
    planner.tick().block(T);
    String runId = CampaignRuns.runId(id, night);
    OutboxDriver.deliverAll(context, T);

    Map<String, Object> fb = feedback(id, runId);
    assertThat(fb).containsEntry("planned", 4).containsEntry("enqueued", 4).containsEntry("waiting", 4);
    assertThat(map(fb, "deferred")).containsEntry("total", 4).containsEntry("byReason", Map.of("quiet-hours", 4));

    Instant eight = night.atZone(SHANGHAI).toLocalDate().plusDays(1).atTime(8, 0).atZone(SHANGHAI).toInstant();
    clock.set(eight);
    OutboxDriver.deliverAll(context, T);
    for (String p : List.of(v0, v1, n0)) {
      assertThat(outbox.status(CampaignPlanner.key(runId, p)).block(T).status()).isEqualTo("sent");
    }
    assertThat(outbox.status(CampaignPlanner.key(runId, gone)).block(T).status()).isEqualTo("dead");

    fb = feedback(id, runId);
    assertThat(fb).containsEntry("planned", 4).containsEntry("waiting", 0).containsEntry("capped", 0)
        .containsEntry("replies", 0).containsEntry("conversions", 0);
    assertThat(map(fb, "sent")).containsEntry("total", 3).containsEntry("byChannel", Map.of("template", 3));
    assertThat(map(fb, "failed")).containsEntry("total", 1).containsEntry("byReason", Map.of("no-channel", 1));
    assertThat(map(fb, "staffTasks")).containsEntry("pending", 3).containsEntry("confirmed", 0);
    // zhangsan sends v0's task in the WeCom client; the next check (after confirm-check) sees it, once
    assertThat(sandbox.confirmTemplateTasks("wm" + v0)).isEqualTo(1);
    assertThat(OutboxDriver.checkTemplateConfirmations(context, T)).as("not due before confirm-check").isZero();
    clock.advance(Duration.ofMinutes(10));
    assertThat(OutboxDriver.checkTemplateConfirmations(context, T)).isEqualTo(3);
    clock.advance(Duration.ofMinutes(10));
    assertThat(OutboxDriver.checkTemplateConfirmations(context, T)).as("the two unconfirmed, asked again").isEqualTo(2);
    assertThat(map(feedback(id, runId), "staffTasks")).containsEntry("pending", 2).containsEntry("confirmed", 1);
    clock.advance(Duration.ofDays(7));
    OutboxDriver.checkTemplateConfirmations(context, T);
    assertThat(map(feedback(id, runId), "staffTasks")).containsEntry("pending", 0).containsEntry("confirmed", 1)
        .containsEntry("unsent", 2);
    assertThat(map(fb, "rates")).containsEntry("sent", 0.75);
    assertThat(map(map(fb, "breakdown"), "s:" + VIP)).containsEntry("enqueued", 2).containsEntry("sent", 2);

    // v0 replies twice and orders (inside the window); n0 orders after the 7-day window; v1 wrote BEFORE the send
    event("chat", v0, "m1", eight.plus(Duration.ofHours(1)));
    event("chat", v0, "m2", eight.plus(Duration.ofHours(2)));
    event("order", v0, "o1", eight.plus(Duration.ofDays(2)));
    event("chat", v1, "m0", eight.minus(Duration.ofHours(1)));
    event("order", n0, "o2", eight.plus(Duration.ofDays(8)));
    assertThat(triggers.consume().block(T)).isGreaterThanOrEqualTo(5);
    // a replayed event counts nothing more
    feedback.onEvent(Map.of("type", Events.INTERACTION, "key", "k", "person", v0, "kind", "order",
        "at", Long.toString(eight.plus(Duration.ofDays(3)).toEpochMilli()))).block(T);

    fb = feedback(id, runId);
    assertThat(fb).containsEntry("replies", 1).containsEntry("conversions", 1);
    assertThat(map(fb, "rates")).containsEntry("reply", 1.0 / 3).containsEntry("conversion", 1.0 / 3);
    Map<String, Object> vip = map(map(fb, "breakdown"), "s:" + VIP);
    assertThat(vip).containsEntry("replies", 1).containsEntry("conversions", 1).containsEntry("replyRate", 0.5);
    assertThat(map(fb, "breakdown")).containsKey("stage:intro");

    List<Map<String, Object>> latest = get("/campaigns/" + id + "/feedback?limit=5").expectStatus().isOk()
        .expectBodyList(new org.springframework.core.ParameterizedTypeReference<Map<String, Object>>() {})
        .returnResult().getResponseBody();
    assertThat(latest).hasSize(1);
    assertThat(latest.get(0)).containsEntry("runId", runId).containsEntry("replies", 1);
  }

  @Test
  void aReplyCountsForEveryRunThatMessagedThePersonWithinItsWindow() {
    String a = person("a", OWNER);
    String seg = segment(prefix, "id.startsWith('" + prefix + "')", 1);
    Instant at1 = morning.plusSeconds(60);
    Instant at2 = at1.plus(Duration.ofDays(1)); // a day later: the template limit per customer allows it
    String first = launch(seg, at1, "order", Duration.ofDays(7));
    String second = launch(seg, at2, "order", Duration.ofHours(1));
    clock.set(at1);
    planner.tick().block(T);
    OutboxDriver.deliverAll(context, T);
    clock.set(at2);
    planner.tick().block(T);
    OutboxDriver.deliverAll(context, T);
    String run1 = CampaignRuns.runId(first, at1);
    String run2 = CampaignRuns.runId(second, at2);
    assertThat(map(feedback(first, run1), "sent")).containsEntry("total", 1);
    assertThat(map(feedback(second, run2), "sent")).containsEntry("total", 1);

    event("chat", a, "r1", at2.plus(Duration.ofMinutes(30)));
    event("order", a, "o1", at2.plus(Duration.ofHours(2)));
    triggers.consume().block(T);

    assertThat(feedback(first, run1)).containsEntry("replies", 1).containsEntry("conversions", 1);
    assertThat(feedback(second, run2)).as("the order came after its 1-hour window")
        .containsEntry("replies", 1).containsEntry("conversions", 0);
  }

  @Test
  void aTriggeredCampaignsMessagesAggregateUnderItsTriggeredRun() {
    String a = person("a", OWNER);
    String b = person("b", OWNER);
    String seg = segment(prefix, "id.startsWith('" + prefix + "')", 2);
    Campaign.Definition d = new Campaign.Definition("签到回访", new Campaign.Goal("促成下单", "order", Duration.ofDays(2)),
        new Campaign.Audience(seg, List.of()), new Campaign.Content("{name}您好", Map.of()), List.of("staff"),
        new Campaign.Triggered("interaction", "checkin", Duration.ZERO, null), new Campaign.Caps(1));
    String id = campaigns.create(d, "test").block(T).id();
    campaigns.launch(id, "test").block(T);
    event("checkin", a, "c1", clock.instant());
    event("checkin", b, "c1", clock.instant());
    triggers.consume().block(T);
    triggers.fireTick().block(T);
    OutboxDriver.deliverAll(context, T);
    event("order", b, "o1", clock.instant().plus(Duration.ofDays(1)));
    triggers.consume().block(T);

    String run = id + ":triggered";
    Map<String, Object> fb = feedback(id, run);
    assertThat(fb).containsEntry("state", "triggered").containsEntry("planned", 2).containsEntry("conversions", 1);
    assertThat(map(fb, "sent")).containsEntry("total", 2);
    List<Map<String, Object>> latest = get("/campaigns/" + id + "/feedback").expectStatus().isOk()
        .expectBodyList(new org.springframework.core.ParameterizedTypeReference<Map<String, Object>>() {})
        .returnResult().getResponseBody();
    assertThat(latest).extracting(m -> m.get("runId")).containsExactly(run);
  }

  @Test
  void unknownCampaignOrRunIsA404Problem() {
    String seg = segment(prefix, "id.startsWith('" + prefix + "')", 0);
    String id = launch(seg, morning.plusSeconds(60), "order", Duration.ofDays(1));
    get("/campaigns/nope-" + prefix + "/feedback").expectStatus().isNotFound();
    get("/campaigns/" + id + "/runs/" + id + ":1/feedback").expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").value(t -> assertThat(t.toString()).endsWith("run-not-found"));
    // not a triggered campaign: no aggregate run
    get("/campaigns/" + id + "/runs/" + id + ":triggered/feedback")
        .expectStatus().isNotFound();
    get("/campaigns/" + id + "/feedback").expectStatus().isOk().expectBody().json("[]");
    web.get().uri("/v3/api-docs").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.paths['/api/v1/campaigns/{id}/runs/{runId}/feedback'].get.summary").exists()
        .jsonPath("$.paths['/api/v1/campaigns/{id}/feedback'].get").exists();
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private String launch(String segment, Instant at, String goalKind, Duration window) {
    Campaign.Definition d = new Campaign.Definition("反馈测试", new Campaign.Goal("促成下单", goalKind, window),
        new Campaign.Audience(segment, List.of()), new Campaign.Content("{name}您好", Map.of()), List.of("staff"),
        new Campaign.Once(at), new Campaign.Caps(1));
    String id = campaigns.create(d, "test").block(T).id();
    campaigns.launch(id, "test").block(T);
    return id;
  }

  private void event(String kind, String person, String key, Instant at) {
    events.publish(Events.INTERACTION, Events.interactionKey(person, kind, key), person, at, Map.of("kind", kind))
        .block(T);
  }

  private Map<String, Object> feedback(String id, String runId) {
    return get("/campaigns/" + id + "/runs/" + runId + "/feedback").expectStatus().isOk()
        .expectBody(new org.springframework.core.ParameterizedTypeReference<Map<String, Object>>() {})
        .returnResult().getResponseBody();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) m.get(key);
  }

  /** A person (unionid = person id) followed by {@code owner}. */
  private String person(String suffix, String owner) {
    return person(suffix, owner, true);
  }

  private String person(String suffix, String owner, boolean atWecom) {
    String id = prefix + suffix;
    String follow = ",\"follow_user\":[{\"userid\":\"" + owner + "\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]";
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"wm" + id + "\",\"name\":\"顾客" + suffix + "\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + id + "\"}" + follow + "}");
    assertThat(persons.upsert(info, owner, "").block(T)).isEqualTo(id);
    if (atWecom) {
      sandbox.addFollow("wm" + id, owner, null);
    }
    return id;
  }

  private String segment(String name, String expression, int size) {
    web.put().uri("/api/v1/segments/" + name).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", expression)).exchange()
        .expectStatus().is2xxSuccessful();
    await().atMost(T).until(() -> redis.opsForSet().size(RedisKeys.segmentMembers(name)).block(T) == size);
    return name;
  }

  private WebTestClient.ResponseSpec get(String path) {
    return web.get().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange();
  }
}

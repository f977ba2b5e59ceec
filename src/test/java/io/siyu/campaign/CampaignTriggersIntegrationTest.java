package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.growth.Events;
import io.siyu.growth.Interaction;
import io.siyu.growth.Interactions;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxDriver;
import io.siyu.sandbox.SandboxCall;
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
 * Triggered campaigns against the real Redis, outbox and sandbox: events are published by the real growth
 * code ({@link Interactions#record}); the consumer ({@link CampaignTriggers#consume}) and the fire tick
 * ({@link CampaignTriggers#fireTick}) are driven by the tests with a {@link MutableClock}
 * ({@code siyu.campaign.triggers.enabled=false}).
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class CampaignTriggersIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  private static final String OWNER = "zhangsan";

  @Autowired CampaignTriggers triggers;
  @Autowired Campaigns campaigns;
  @Autowired PersonStore persons;
  @Autowired Interactions interactions;
  @Autowired Events events;
  @Autowired SandboxWecom sandbox;
  @Autowired Outbox outbox;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired WebTestClient web;
  @Autowired ApplicationContext context;

  private String prefix;
  private Instant morning;

  @BeforeEach
  void setUp() {
    prefix = "tr" + UUID.randomUUID().toString().substring(0, 8);
    morning = ZonedDateTime.of(clock.instant().atZone(SHANGHAI).toLocalDate().plusDays(3), LocalTime.of(9, 0), SHANGHAI)
        .toInstant();
    clock.set(morning);
    redis.delete(RedisKeys.campaignDue(), RedisKeys.campaignRunsActive(), RedisKeys.outboxDue(),
        RedisKeys.outboxInflight(), RedisKeys.campaignFires()).block(T);
    triggers.ensureGroup().block(T);
    triggers.consume().block(T); // events other tests left
  }

  @AfterEach
  void deliverWhatIsLeft() {
    redis.delete(RedisKeys.campaignFires()).block(T);
    OutboxDriver.deliverAll(context, T);
  }

  @Test
  void aReminder24HoursAfterFollowGoesOnlyToPeopleStillWithoutAGroupAtFireTimeAndAReplayedEventFiresOnce() {
    String a = person("a");
    String b = person("b");
    String seg = segment("id.startsWith('" + prefix + "')", 2);
    String id = launch(seg, new Campaign.Triggered("interaction", "follow", Duration.ofHours(24), "groups == 0"));
    follow(a);
    follow(b);
    assertThat(triggers.consume().block(T)).isGreaterThanOrEqualTo(2);
    assertThat(campaigns.find(id).block(T).state()).as("the first event runs it").isEqualTo(Campaign.State.RUNNING);

    triggers.fireTick().block(T);
    assertThat(status(id, a)).as("not before 24 h").isNull();

    clock.advance(Duration.ofHours(12));
    interactions.record(new Interaction(b, "group_joined", "chat1", null, Map.of("chatId", "chat1"))).block(T);
    triggers.consume().block(T);
    clock.advance(Duration.ofHours(12).minusSeconds(1));
    triggers.fireTick().block(T);
    assertThat(status(id, a)).as("one second early").isNull();

    clock.advance(Duration.ofSeconds(1));
    triggers.fireTick().block(T);
    assertThat(status(id, a)).as("a: no group at fire time").isNotNull();
    assertThat(status(id, b)).as("b joined a group before the fire").isNull();
    assertThat(redis.opsForZSet().size(RedisKeys.campaignFires()).block(T)).as("both fires handled").isZero();

    // the same follow again (a replay publishes the same event key): one message still
    follow(a);
    triggers.consume().block(T);
    clock.advance(Duration.ofHours(25));
    triggers.fireTick().block(T);
    OutboxDriver.deliverAll(context, T);
    assertThat(status(id, a).status()).isEqualTo("sent");
    assertThat(templateCallsTo(ext(a))).hasSize(1);
    assertThat(templateCallsTo(ext(b))).isEmpty();
  }

  @Test
  void aPausedCampaignsFireWaitsAndGoesAfterTheResume() {
    String a = person("a");
    String seg = segment("id.startsWith('" + prefix + "')", 1);
    String id = launch(seg, new Campaign.Triggered("interaction", "follow", Duration.ofHours(24), null));
    follow(a);
    triggers.consume().block(T);
    campaigns.transition(id, Campaign.State.PAUSED, "test").block(T);

    clock.advance(Duration.ofHours(25));
    triggers.fireTick().block(T);
    assertThat(status(id, a)).as("paused").isNull();
    assertThat(redis.opsForZSet().size(RedisKeys.campaignFires()).block(T)).as("still pending").isEqualTo(1);

    campaigns.resume(id, "test").block(T);
    clock.advance(Duration.ofMinutes(1)); // siyu.campaign.triggers.paused-recheck
    triggers.fireTick().block(T);
    assertThat(status(id, a)).isNotNull();
    assertThat(redis.opsForZSet().size(RedisKeys.campaignFires()).block(T)).isZero();
  }

  @Test
  void aCancelledCampaignsFireIsDropped() {
    String a = person("a");
    String seg = segment("id.startsWith('" + prefix + "')", 1);
    String id = launch(seg, new Campaign.Triggered("interaction", "follow", Duration.ofHours(1), null));
    follow(a);
    triggers.consume().block(T);
    campaigns.transition(id, Campaign.State.CANCELLED, "test").block(T);
    clock.advance(Duration.ofHours(2));
    triggers.fireTick().block(T);
    assertThat(status(id, a)).isNull();
    assertThat(redis.opsForZSet().size(RedisKeys.campaignFires()).block(T)).isZero();
  }

  @Test
  void aLevelUpTriggerSendsOnlyWhenTheConditionHoldsAtFireTime() {
    String a = person("a");
    String b = person("b");
    String seg = segment("id.startsWith('" + prefix + "')", 2);
    String id = launch(seg, new Campaign.Triggered("level_up", null, Duration.ZERO, "level >= 2"));
    follow(a); // an interaction is not a level_up (recorded first: it recomputes the level from growth)
    redis.opsForHash().put(RedisKeys.person(a), "level", "2").block(T);
    redis.opsForHash().put(RedisKeys.person(b), "level", "1").block(T);
    events.publish(Events.LEVEL_UP, Events.levelUpKey(a, 2), a, clock.instant(), Map.of("level", "2", "from", "1"))
        .block(T);
    events.publish(Events.LEVEL_UP, Events.levelUpKey(b, 2), b, clock.instant(), Map.of("level", "2", "from", "1"))
        .block(T);
    triggers.consume().block(T);
    triggers.fireTick().block(T);
    assertThat(outbox.status("campaign:" + id + ":t:" + Events.levelUpKey(a, 2)).block(T)).isNotNull();
    assertThat(outbox.status("campaign:" + id + ":t:" + Events.levelUpKey(b, 2)).block(T)).as("level 1 now").isNull();
    assertThat(status(id, a)).isNull();
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private Outbox.Status status(String campaignId, String personId) {
    return outbox.status("campaign:" + campaignId + ":t:" + Events.interactionKey(personId, "follow", OWNER + ":1"))
        .block(T);
  }

  private void follow(String personId) {
    interactions.record(new Interaction(personId, "follow", OWNER + ":1", null, Map.of())).block(T);
  }

  private String launch(String segment, Campaign.Triggered schedule) {
    Campaign.Definition d = new Campaign.Definition("入群提醒", new Campaign.Goal("入群", "group_joined",
        Duration.ofDays(7)), new Campaign.Audience(segment, List.of()), new Campaign.Content("{name}您好，欢迎入群。", null),
        List.of("staff"), schedule, new Campaign.Caps(5));
    String id = campaigns.create(d, "test").block(T).id();
    campaigns.launch(id, "test").block(T);
    return id;
  }

  private String person(String suffix) {
    String id = prefix + suffix;
    String follow = ",\"follow_user\":[{\"userid\":\"" + OWNER + "\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]";
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"" + ext(id) + "\",\"name\":\"顾客" + suffix + "\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + id + "\"}" + follow + "}");
    assertThat(persons.upsert(info, OWNER, "").block(T)).isEqualTo(id);
    sandbox.addFollow(ext(id), OWNER, null);
    return id;
  }

  private static String ext(String personId) {
    return "wm" + personId;
  }

  private String segment(String expression, int members) {
    String seg = prefix + "-all";
    web.put().uri("/api/v1/segments/" + seg).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", expression)).exchange()
        .expectStatus().is2xxSuccessful();
    await().atMost(T).until(() -> redis.opsForSet().size(RedisKeys.segmentMembers(seg)).block(T) == members);
    return seg;
  }

  private List<SandboxCall> templateCallsTo(String ext) {
    return sandbox.calls("externalcontact/add_msg_template").stream()
        .filter(c -> c.errcode() == 0)
        .filter(c -> c.request().toString().contains(ext)).toList();
  }
}

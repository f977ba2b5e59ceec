package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.siyu.MutableClock;
import io.siyu.SiyuApplication;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.AudienceRebuilds;
import io.siyu.audience.PersonStore;
import io.siyu.growth.Events;
import io.siyu.growth.Interaction;
import io.siyu.growth.Interactions;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.OutboxDriver;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamInfo;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Mono;

/**
 * The built-in campaigns of config/application.yml ({@code siyu.campaign.builtins}) on the real Redis, outbox
 * and sandbox; the trigger consumer and fire tick are driven with a {@link MutableClock}. Their audience
 * {@code followers} is, in tests, persons whose id starts with {@code builtin} (test.properties).
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
@TestPropertySource(properties = "siyu.campaign.builtins.enabled=true")
class CampaignBuiltinsIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  private static final String OWNER = "zhangsan";
  private static final String QUESTIONNAIRE = CampaignBuiltins.campaignId("journey-questionnaire");

  @Autowired CampaignBuiltins builtins;
  @Autowired BuiltinsProperties props;
  @Autowired CampaignValidator validator;
  @Autowired CampaignTriggers triggers;
  @Autowired Campaigns campaigns;
  @Autowired PersonStore persons;
  @Autowired Interactions interactions;
  @Autowired Events events;
  @Autowired AudienceRebuilds rebuilds;
  @Autowired SandboxWecom sandbox;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired ApplicationContext context;

  private String prefix;

  @BeforeEach
  void setUp() {
    prefix = "builtin" + UUID.randomUUID().toString().substring(0, 8);
    clock.set(ZonedDateTime.of(clock.instant().atZone(SHANGHAI).toLocalDate().plusDays(3), LocalTime.of(9, 0),
        SHANGHAI).toInstant());
    redis.delete(RedisKeys.campaignFires()).block(T);
    triggers.ensureGroup().block(T);
    triggers.consume().block(T); // events other tests left
    redis.delete(RedisKeys.campaignFires()).block(T);
    removeBuiltins();
    builtins.createAll().block(T);
  }

  /** The builtins must not outlive this class: other tests' triggers would schedule fires for them. */
  @AfterEach
  void tearDown() {
    redis.delete(RedisKeys.campaignFires()).block(T);
    removeBuiltins();
    OutboxDriver.deliverAll(context, T);
  }

  @Test
  void builtinsAreCreatedOnceAcrossInstancesAndStartsAndAStoredOneIsNeverOverwritten() {
    removeBuiltins();
    CampaignBuiltins other = new CampaignBuiltins(props, validator, redis, clock);
    var both = Mono.zip(builtins.createAll(), other.createAll()).block(T);
    assertThat(props.campaigns()).containsKeys("journey-questionnaire", "journey-group-join", "journey-first-order",
        "level-up", "points-expiring");
    for (String id : props.campaigns().keySet()) {
      assertThat(List.of(both.getT1().get(id), both.getT2().get(id))).as(id)
          .containsExactlyInAnyOrder(CampaignBuiltins.Outcome.CREATED, CampaignBuiltins.Outcome.EXISTS);
      Campaign c = campaigns.find(CampaignBuiltins.campaignId(id)).block(T);
      assertThat(c.state()).isEqualTo(Campaign.State.SCHEDULED);
      assertThat(c.createdBy()).isEqualTo(CampaignBuiltins.CREATED_BY);
      assertThat(c.definition().schedule()).isInstanceOf(Campaign.Triggered.class);
      assertThat(c.definition().channels()).as("defaults filled in").isNotEmpty();
    }

    // an operator cancels one; a restart does not bring it back
    String levelUp = CampaignBuiltins.campaignId("level-up");
    campaigns.transition(levelUp, Campaign.State.CANCELLED, "operator").block(T);
    assertThat(new CampaignBuiltins(props, validator, redis, clock).createAll().block(T).values())
        .containsOnly(CampaignBuiltins.Outcome.EXISTS);
    assertThat(campaigns.find(levelUp).block(T).state()).isEqualTo(Campaign.State.CANCELLED);

    // a changed definition in config is reported, the stored campaign kept
    Map<String, BuiltinsProperties.Builtin> changed = new LinkedHashMap<>(props.campaigns());
    BuiltinsProperties.Builtin q = changed.get("journey-questionnaire");
    changed.put("journey-questionnaire", new BuiltinsProperties.Builtin(q.name(), q.goal(), q.audience(),
        new Campaign.Content("{name}，问卷还没填哦", null), q.channels(), q.schedule(), q.caps()));
    var outcomes = new CampaignBuiltins(new BuiltinsProperties(true, changed), validator, redis, clock).createAll()
        .block(T);
    assertThat(outcomes.get("journey-questionnaire")).isEqualTo(CampaignBuiltins.Outcome.CHANGED);
    assertThat(outcomes.get("journey-group-join")).isEqualTo(CampaignBuiltins.Outcome.EXISTS);
    assertThat(campaigns.find(QUESTIONNAIRE).block(T).definition().content().template())
        .isEqualTo(q.content().template());
  }

  @Test
  void anInvalidBuiltinFailsStartUpNamingTheKeyAndCreatesNothing() {
    removeBuiltins();
    BuiltinsProperties.Builtin good = props.campaigns().get("level-up");
    BuiltinsProperties.Builtin bad = new BuiltinsProperties.Builtin("坏的", good.goal(),
        new Campaign.Audience("no-such-segment", null), new Campaign.Content("{nosuch}您好", null), null,
        new BuiltinsProperties.Trigger("interaction", "follow", Duration.ofHours(24), "groups =="), good.caps());
    CampaignBuiltins start = new CampaignBuiltins(new BuiltinsProperties(true, Map.of("level-up", good, "bad-one", bad)),
        validator, redis, clock);
    assertThatThrownBy(start::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("siyu.campaign.builtins.campaigns.bad-one.audience.segment")
        .hasMessageContaining("siyu.campaign.builtins.campaigns.bad-one.content.template")
        .hasMessageContaining("siyu.campaign.builtins.campaigns.bad-one.schedule.condition")
        .hasMessageNotContaining("campaigns.level-up");
    assertThat(redis.opsForHash().size(RedisKeys.campaignBuiltins()).block(T)).as("nothing created").isZero();

    BuiltinsProperties.Builtin noTrigger = new BuiltinsProperties.Builtin(good.name(), good.goal(), good.audience(),
        good.content(), null, null, good.caps());
    assertThatThrownBy(new CampaignBuiltins(new BuiltinsProperties(true, Map.of("Bad Id", good, "x", noTrigger)),
        validator, redis, clock)::start)
        .hasMessageContaining("siyu.campaign.builtins.campaigns.Bad Id: a builtin id")
        .hasMessageContaining("siyu.campaign.builtins.campaigns.x.schedule");
  }

  @Test
  void theApplicationDoesNotStartWithAnInvalidBuiltinInItsConfiguration() {
    SpringApplicationBuilder app = new SpringApplicationBuilder(SiyuApplication.class);
    // command-line arguments: above config/application.yml, as an operator's edit of it would be
    assertThatThrownBy(() -> app.run("--spring.config.additional-location=classpath:/test.properties",
            "--server.port=0", "--siyu.campaign.builtins.enabled=true",
            "--siyu.campaign.builtins.campaigns.journey-questionnaire.audience.segment=no-such-segment").close())
        .satisfies(e -> assertThat(messages(e))
            .contains("siyu.campaign.builtins.campaigns.journey-questionnaire.audience.segment"));
  }

  private static String messages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  @Test
  void theQuestionnaireReminderGoes24HoursAfterTheFollowOnlyToWhoHasNotAnsweredByThen() {
    String a = person("a");
    String b = person("b");
    followers(a, b);
    follow(a);
    follow(b);
    triggers.consume().block(T);
    assertThat(campaigns.find(QUESTIONNAIRE).block(T).state()).isEqualTo(Campaign.State.RUNNING);

    clock.advance(Duration.ofHours(12));
    interactions.record(new Interaction(b, "questionnaire", "journey", null, Map.of())).block(T);
    triggers.consume().block(T);
    clock.advance(Duration.ofHours(12).minusSeconds(1));
    triggers.fireTick().block(T);
    assertThat(entry(QUESTIONNAIRE, followKey(a))).as("not before 24 h").isNull();

    clock.advance(Duration.ofSeconds(1));
    triggers.fireTick().block(T);
    assertThat(entry(QUESTIONNAIRE, followKey(a))).as("a has not answered").contains("问卷");
    assertThat(entry(QUESTIONNAIRE, followKey(b))).as("b answered before the fire").isNull();
    assertThat(entry(CampaignBuiltins.campaignId("journey-group-join"), followKey(b)))
        .as("b is in no group: the group reminder goes").contains("会员福利群");
  }

  @Test
  void aLevelUpIsCongratulated() {
    String c = person("c");
    followers(c);
    redis.opsForHash().put(RedisKeys.person(c), "level", "3").block(T);
    events.publish(Events.LEVEL_UP, Events.levelUpKey(c, 3), c, clock.instant(), Map.of("level", "3", "from", "2"))
        .block(T);
    triggers.consume().block(T);
    triggers.fireTick().block(T);
    assertThat(entry(CampaignBuiltins.campaignId("level-up"), Events.levelUpKey(c, 3))).contains("升级为 3 级会员");
  }

  @Test
  void anEventReadByADeadConsumerIsClaimedAndProcessedAndTheConsumerDeleted() {
    String d = person("d");
    followers(d);
    follow(d);
    String dead = "dead-" + prefix;
    redis.opsForStream().read(Consumer.from(CampaignTriggers.GROUP, dead), StreamReadOptions.empty().count(10_000),
        StreamOffset.create(RedisKeys.events(), ReadOffset.lastConsumed())).collectList().block(T);
    String fire = QUESTIONNAIRE + "|" + d + "|" + followKey(d);

    triggers.consume().block(T);
    triggers.claimStale().block(T); // pending only milliseconds, far below claim-idle (5m)
    assertThat(redis.opsForZSet().score(RedisKeys.campaignFires(), fire).block(T)).as("still with the dead one").isNull();

    assertThat(triggers.claimStale(Duration.ZERO, Duration.ZERO).block(T)).isGreaterThanOrEqualTo(1);
    assertThat(redis.opsForZSet().score(RedisKeys.campaignFires(), fire).block(T))
        .isEqualTo((double) clock.instant().plus(Duration.ofHours(24)).toEpochMilli());
    assertThat(redis.opsForStream().consumers(RedisKeys.events(), CampaignTriggers.GROUP)
        .map(StreamInfo.XInfoConsumer::consumerName).collectList().block(T)).doesNotContain(dead);
    assertThat(redis.opsForStream().pending(RedisKeys.events(), CampaignTriggers.GROUP).block(T).getTotalPendingMessages())
        .as("acknowledged").isZero();
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private void removeBuiltins() {
    for (String id : props.campaigns().keySet()) {
      String campaign = CampaignBuiltins.campaignId(id);
      redis.delete(RedisKeys.campaign(campaign)).block(T);
      redis.opsForZSet().remove(RedisKeys.campaignIndex(), campaign).block(T);
    }
    redis.delete(RedisKeys.campaignBuiltins()).block(T);
  }

  /** The message text queued for a campaign's fire on an event, or null. */
  private String entry(String campaignId, String eventKey) {
    return redis.<String, String>opsForHash().get(RedisKeys.outboxEntry("campaign:" + campaignId + ":t:" + eventKey),
        "msg").block(T);
  }

  private static String followKey(String personId) {
    return Events.interactionKey(personId, "follow", OWNER + ":1");
  }

  private void follow(String personId) {
    interactions.record(new Interaction(personId, "follow", OWNER + ":1", null, Map.of())).block(T);
  }

  private void followers(String... ids) {
    rebuilds.rebuild(List.of("followers")).block(T);
    await().atMost(T).until(() -> {
      for (String id : ids) {
        if (!Boolean.TRUE.equals(redis.opsForSet().isMember(RedisKeys.segmentMembers("followers"), id).block(T))) {
          rebuilds.rebuild(List.of("followers")).block(T);
          return false;
        }
      }
      return true;
    });
  }

  private String person(String suffix) {
    String id = prefix + suffix;
    String follow = ",\"follow_user\":[{\"userid\":\"" + OWNER + "\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]";
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"wm" + id + "\",\"name\":\"顾客" + suffix + "\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + id + "\"}" + follow + "}");
    assertThat(persons.upsert(info, OWNER, "").block(T)).isEqualTo(id);
    sandbox.addFollow("wm" + id, OWNER, null);
    return id;
  }
}

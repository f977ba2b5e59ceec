package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.admin.Problem;
import io.siyu.audience.PersonStore;
import io.siyu.audience.Profile;
import io.siyu.growth.GrowthProperties;
import io.siyu.growth.Points;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import io.siyu.outbox.OutboxProperties;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The campaign admin API: validation naming fields, lifecycle and races, clone, preview against real people. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class CampaignAdminIntegrationTest {

  private static final Duration T = Duration.ofSeconds(20);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  @Autowired WebTestClient web;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired PersonStore persons;
  @Autowired Points points;
  @Autowired Campaigns campaigns;
  @Autowired Personalizer personalizer;
  @Autowired GrowthProperties growth;
  @Autowired SiyuProperties siyu;
  @Autowired OutboxProperties outbox;
  @Autowired CampaignProperties props;

  private String prefix;
  private Instant morning;

  @BeforeEach
  void setUp() {
    prefix = "cmp" + UUID.randomUUID().toString().substring(0, 8);
    // 10:00 tomorrow in the brand zone: outside quiet hours, a fresh cap day
    morning = ZonedDateTime.of(LocalDate.now(SHANGHAI).plusDays(1), LocalTime.of(10, 0), SHANGHAI).toInstant();
    clock.set(morning);
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private WebTestClient.ResponseSpec get(String path) {
    return web.get().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange();
  }

  private WebTestClient.ResponseSpec post(String path, Object body) {
    WebTestClient.RequestBodySpec spec = web.post().uri("/api/v1" + path)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR);
    return body == null ? spec.exchange() : spec.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private WebTestClient.ResponseSpec put(String path, Object body) {
    return web.put().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private void segment(String name, String expression, String... expectedMembers) {
    put("/segments/" + name, Map.of("expression", expression)).expectStatus().is2xxSuccessful();
    for (String m : expectedMembers) {
      await().atMost(T).until(() -> redis.opsForSet().isMember(RedisKeys.segmentMembers(name), m).block(T));
    }
  }

  /** A person as externalcontact/get describes them (unionid = the person id), owned by zhangsan. */
  private String person(String suffix, String name, Set<String> tags) {
    String id = prefix + "-" + suffix;
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"wm" + id + "\",\"name\":\"" + name + "\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + id + "\"},\"follow_user\":[{\"userid\":\"zhangsan\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]}");
    assertThat(persons.upsert(info, "zhangsan", "").block(T)).isEqualTo(id);
    if (!tags.isEmpty()) {
      persons.recordAnswers(id, Map.of(), tags).block(T);
    }
    return id;
  }

  private Map<String, Object> definition(String segment) {
    Map<String, Object> d = new HashMap<>();
    d.put("name", "会员日提醒");
    d.put("goal", Map.of("text", "促成下单", "conversionKind", "order", "conversionWindow", "P7D"));
    d.put("audience", Map.of("segment", segment));
    d.put("content", Map.of("template", "{name}您好，本周推荐{block:rec}。"
        , "blocks", Map.of("rec", Map.of("table", "recommendation"))));
    d.put("schedule", Map.of("type", "once", "at", morning.plus(Duration.ofHours(1)).toString()));
    return d;
  }

  private String create(Map<String, Object> d) {
    Map<String, Object> created = post("/campaigns", d).expectStatus().isCreated()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult().getResponseBody();
    return (String) created.get("id");
  }

  private List<String> errorFields(WebTestClient.ResponseSpec r) {
    Map<String, Object> body = r.expectStatus().isBadRequest()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult().getResponseBody();
    assertThat(body.get("type")).isEqualTo(Problem.TYPE_PREFIX + "invalid-campaign");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> errors = (List<Map<String, Object>>) body.get("errors");
    return errors.stream().map(e -> (String) e.get("field")).toList();
  }

  // --- validation ---------------------------------------------------------------------------------------

  @Test
  void invalidDefinitionsAreRefusedNamingEveryFieldAndNothingIsStored() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    long before = redis.opsForZSet().size(RedisKeys.campaignIndex()).block(T);

    Map<String, Object> d = definition(prefix + "-missing");
    d.put("audience", Map.of("segment", prefix + "-missing", "excludedSegments", List.of(seg, prefix + "-gone")));
    d.put("goal", Map.of("text", "x", "conversionKind", "teleport", "conversionWindow", "P7D"));
    d.put("content", Map.of("template", "您好 {nickname}，{block:rec}", "blocks", Map.of("rec", Map.of(
        "rules", List.of(Map.of("when", "level >> 3", "text", "x"), Map.of("text", "没有条件")), "fallback", "y"))));
    d.put("channels", List.of());
    d.put("caps", Map.of("perPerson", 0));
    assertThat(errorFields(post("/campaigns", d))).contains("audience.segment", "audience.excludedSegments[1]",
        "goal.conversionKind", "content.template", "content.blocks.rec.rules[0].when", "content.blocks.rec.rules[1]",
        "channels", "caps.perPerson").doesNotContain("audience.excludedSegments[0]");

    Map<String, Object> template = definition(seg);
    template.put("content", Map.of("template", "您好 {nickname}"));
    post("/campaigns", template).expectStatus().isBadRequest().expectBody()
        .jsonPath("$.errors[0].field").isEqualTo("content.template")
        .jsonPath("$.errors[0].position").isEqualTo(3);

    Map<String, Object> cron = definition(seg);
    cron.put("schedule", Map.of("type", "recurring", "cron", "0 0 25 * * *", "zone", "Mars/Olympus"));
    assertThat(errorFields(post("/campaigns", cron))).containsExactlyInAnyOrder("schedule.cron", "schedule.zone");

    Map<String, Object> trigger = definition(seg);
    trigger.put("schedule", Map.of("type", "triggered", "eventType", "interaction", "kind", "nope", "delay", "PT24H",
        "condition", "groups = 0"));
    post("/campaigns", trigger).expectStatus().isBadRequest().expectBody()
        .jsonPath("$.errors[?(@.field=='schedule.kind')]").exists()
        .jsonPath("$.errors[?(@.field=='schedule.condition')].position").exists();

    Map<String, Object> channel = definition(seg);
    channel.put("channels", List.of("kf", "sms", "kf"));
    assertThat(errorFields(post("/campaigns", channel))).containsExactly("channels[1]", "channels[2]");

    Map<String, Object> table = definition(seg);
    table.put("content", Map.of("template", "{block:rec}", "blocks", Map.of("rec", Map.of("table", "nope"))));
    assertThat(errorFields(post("/campaigns", table))).containsExactly("content.blocks.rec.table");

    Map<String, Object> undefinedBlock = definition(seg);
    undefinedBlock.put("content", Map.of("template", "{block:other}"));
    assertThat(errorFields(post("/campaigns", undefinedBlock))).containsExactly("content.template");

    assertThat(redis.opsForZSet().size(RedisKeys.campaignIndex()).block(T)).isEqualTo(before);
  }

  @Test
  void aValidTriggeredDefinitionIsAcceptedWithDefaultsFilledIn() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    Map<String, Object> d = definition(seg);
    d.put("schedule", Map.of("type", "triggered", "eventType", "interaction", "kind", "follow", "delay", "PT24H",
        "condition", "groups == 0"));
    String id = create(d);
    assertThat(id).matches("c-\\d{8}-[a-z0-9]{8}");
    get("/campaigns/" + id).expectStatus().isOk().expectBody()
        .jsonPath("$.state").isEqualTo("draft")
        .jsonPath("$.createdBy").isEqualTo("test-operator")
        .jsonPath("$.definition.channels[0]").isEqualTo(props.defaultChannels().get(0))
        .jsonPath("$.definition.caps.perPerson").isEqualTo(props.defaultPerPerson())
        .jsonPath("$.definition.schedule.type").isEqualTo("triggered")
        .jsonPath("$.version").isEqualTo(1);
    post("/campaigns/" + id + "/launch", null).expectStatus().isOk().expectBody()
        .jsonPath("$.state").isEqualTo("scheduled")
        .jsonPath("$.nextRunAt").doesNotExist();
    get("/campaigns?state=scheduled").expectStatus().isOk().expectBody()
        .jsonPath("$[?(@.id=='" + id + "')]").exists();
    get("/campaigns?state=draft").expectStatus().isOk().expectBody()
        .jsonPath("$[?(@.id=='" + id + "')]").doesNotExist();
    get("/campaigns?state=lost").expectStatus().isBadRequest();
    get("/campaigns/c-none").expectStatus().isNotFound().expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "campaign-not-found");
  }

  // --- lifecycle ----------------------------------------------------------------------------------------

  @Test
  void theLifecycleAllowsOnlyItsTransitions() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    String id = create(definition(seg));
    post("/campaigns/" + id + "/pause", null).expectStatus().isEqualTo(409).expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "invalid-transition")
        .jsonPath("$.from").isEqualTo("draft").jsonPath("$.to").isEqualTo("paused");
    post("/campaigns/" + id + "/launch", null).expectStatus().isOk().expectBody()
        .jsonPath("$.state").isEqualTo("scheduled")
        .jsonPath("$.nextRunAt").isEqualTo(morning.plus(Duration.ofHours(1)).toString())
        .jsonPath("$.version").isEqualTo(2);
    post("/campaigns/" + id + "/launch", null).expectStatus().isEqualTo(409).expectBody()
        .jsonPath("$.from").isEqualTo("scheduled").jsonPath("$.to").isEqualTo("scheduled");
    post("/campaigns/" + id + "/resume", null).expectStatus().isEqualTo(409);
    // the planner starts the run (next session's code path)
    assertThat(campaigns.transition(id, Campaign.State.RUNNING, "planner").block(T).state())
        .isEqualTo(Campaign.State.RUNNING);
    post("/campaigns/" + id + "/pause", null).expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("paused");
    post("/campaigns/" + id + "/resume", null).expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("running");
    web.delete().uri("/api/v1/campaigns/" + id).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isEqualTo(409).expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "campaign-not-deletable");
    post("/campaigns/" + id + "/cancel", null).expectStatus().isOk().expectBody()
        .jsonPath("$.state").isEqualTo("cancelled").jsonPath("$.nextRunAt").doesNotExist();
    post("/campaigns/" + id + "/resume", null).expectStatus().isEqualTo(409).expectBody()
        .jsonPath("$.from").isEqualTo("cancelled");
    web.delete().uri("/api/v1/campaigns/" + id).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isNoContent();
    get("/campaigns/" + id).expectStatus().isNotFound();
    // viewers cannot write
    web.post().uri("/api/v1/campaigns/" + id + "/launch").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isForbidden();
  }

  @Test
  void launchingAOnceCampaignWhoseTimeHasPassedIsRefused() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    String id = create(definition(seg));
    clock.advance(Duration.ofHours(2));
    assertThat(errorFields(post("/campaigns/" + id + "/launch", null))).containsExactly("schedule.at");
    get("/campaigns/" + id).expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("draft");
  }

  @Test
  void aRecurringCampaignIsScheduledForItsNextCronTimeInItsZone() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    Map<String, Object> d = definition(seg);
    d.put("schedule", Map.of("type", "recurring", "cron", "0 30 9 * * *"));
    String id = create(d);
    Instant expected = ZonedDateTime.of(LocalDate.ofInstant(morning, SHANGHAI).plusDays(1), LocalTime.of(9, 30),
        SHANGHAI).toInstant();
    post("/campaigns/" + id + "/launch", null).expectStatus().isOk().expectBody()
        .jsonPath("$.nextRunAt").isEqualTo(expected.toString());
  }

  @Test
  void ofConcurrentLaunchesExactlyOneWins() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    String id = create(definition(seg));
    List<String> outcomes = Flux.range(0, 8)
        .flatMap(i -> campaigns.launch(id, "op" + i).map(c -> "launched")
            .onErrorResume(Problem.class, p -> Mono.just(p.slug())), 8)
        .collectList().block(T);
    assertThat(outcomes).hasSize(8).containsOnlyOnce("launched");
    assertThat(outcomes.stream().filter(o -> !o.equals("launched"))).allMatch("invalid-transition"::equals);
    Campaign c = campaigns.find(id).block(T);
    assertThat(c.state()).isEqualTo(Campaign.State.SCHEDULED);
    assertThat(c.version()).isEqualTo(2);
  }

  @Test
  void aLaunchedCampaignCannotBeEditedButItsCloneIsAnEditableDraft() {
    String seg = prefix + "-all";
    segment(seg, "id.startsWith('" + prefix + "')");
    Map<String, Object> d = definition(seg);
    String id = create(d);
    d.put("name", "改名");
    put("/campaigns/" + id, d).expectStatus().isOk().expectBody()
        .jsonPath("$.definition.name").isEqualTo("改名").jsonPath("$.version").isEqualTo(2);
    post("/campaigns/" + id + "/launch", null).expectStatus().isOk();
    campaigns.transition(id, Campaign.State.RUNNING, "planner").block(T);
    d.put("name", "再改");
    put("/campaigns/" + id, d).expectStatus().isEqualTo(409).expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "campaign-not-editable")
        .jsonPath("$.state").isEqualTo("running");
    Map<String, Object> copy = post("/campaigns/" + id + "/clone", null).expectStatus().isCreated()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult().getResponseBody();
    String copyId = (String) copy.get("id");
    assertThat(copyId).isNotEqualTo(id);
    assertThat(copy.get("state")).isEqualTo("draft");
    put("/campaigns/" + copyId, d).expectStatus().isOk().expectBody().jsonPath("$.definition.name").isEqualTo("再改");
    get("/campaigns/" + id).expectStatus().isOk().expectBody().jsonPath("$.definition.name").isEqualTo("改名");
  }

  // --- personalisation and preview -------------------------------------------------------------------------

  @Test
  void previewRendersRealPeopleWithBlocksAndFallbacksAndEqualsTheRenderer() {
    String oily = person("oily", "小林", Set.of("skin:oily"));
    String dry = person("dry", "", Set.of("skin:dry"));
    String plain = person("plain", "阿华", Set.of());
    String vip = person("vip", "贵宾", Set.of("skin:oily", "vip"));
    Instant expiry = morning.plus(Duration.ofDays(5));
    points.earn(oily, 120, prefix + "-earn", "test", "test", expiry).block(T);
    String all = prefix + "-all";
    String vips = prefix + "-vip";
    segment(all, "id.startsWith('" + prefix + "')", oily, dry, plain, vip);
    segment(vips, "id.startsWith('" + prefix + "') and tags.contains('vip')", vip);

    Map<String, Object> d = definition(all);
    d.put("audience", Map.of("segment", all, "excludedSegments", List.of(vips)));
    d.put("channels", List.of("kf", "staff"));
    d.put("content", Map.of(
        "template", "{name}您好，推荐{block:rec}。{expiringPoints|0}积分将于{expiringDate}到期。{block:gift}",
        "blocks", Map.of("rec", Map.of("table", "recommendation"),
            "gift", Map.of("rules", List.of(Map.of("when", "points >= 100", "text", "可兑换小样({points}分)")),
                "fallback", "多多互动领积分"))));
    String id = create(d);

    // the oily person's day cap is used up: the preview says so, read-only
    String day = DateTimeFormatter.BASIC_ISO_DATE.format(LocalDate.ofInstant(morning, SHANGHAI));
    redis.opsForValue().set(RedisKeys.outboxCapDay(oily, day), Integer.toString(outbox.caps().perDay())).block(T);

    Map<String, Object> preview = post("/campaigns/" + id + "/preview?sample=10", null).expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult().getResponseBody();
    @SuppressWarnings("unchecked")
    Map<String, Object> audience = (Map<String, Object>) preview.get("audience");
    assertThat(((Number) audience.get("size")).longValue()).isEqualTo(3);
    assertThat(audience.get("exact")).isEqualTo(true);
    assertThat(((Number) audience.get("segmentSize")).longValue()).isEqualTo(4);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> samples = (List<Map<String, Object>>) preview.get("samples");
    Map<String, Map<String, Object>> byPerson = new HashMap<>();
    samples.forEach(s -> byPerson.put((String) s.get("personId"), s));
    assertThat(byPerson).containsOnlyKeys(oily, dry, plain);

    String expiringDate = DateTimeFormatter.ofPattern("M月d日").format(expiry.atZone(SHANGHAI));
    assertThat(byPerson.get(oily).get("text"))
        .isEqualTo("小林您好，推荐控油系列。120积分将于" + expiringDate + "到期。可兑换小样(120分)");
    assertThat(byPerson.get(dry).get("text")).isEqualTo("亲爱的顾客您好，推荐保湿系列。0积分将于近期到期。多多互动领积分");
    assertThat(byPerson.get(plain).get("text")).isEqualTo("阿华您好，推荐明星单品。0积分将于近期到期。多多互动领积分");
    assertThat(byPerson.get(oily).get("capped")).isEqualTo("cap-day");
    assertThat(byPerson.get(dry).get("capped")).isNull();
    assertThat(byPerson.get(dry).get("channel")).isEqualTo("staff"); // no kf account configured
    assertThat(((Number) preview.get("sampledCapped")).longValue()).isEqualTo(1);
    assertThat(preview.get("quietUntil")).isNull();
    assertThat(redis.opsForValue().get(RedisKeys.outboxCapDay(dry, day)).block(T)).isNull();

    // preview equals rendering: the same compiled content over the same stored profile and points
    Campaign stored = campaigns.find(id).block(T);
    Personalizer.Compiled compiled = personalizer.compile(stored.definition());
    for (String p : List.of(oily, dry, plain)) {
      Map<String, String> h = redis.<String, String>opsForHash().entries(RedisKeys.person(p))
          .collectMap(Map.Entry::getKey, Map.Entry::getValue).block(T);
      Profile profile = Profile.from(h, clock.instant(), siyu.zone(), growth.windowDays());
      String text = compiled.render(profile, points.expiring(p, props.expiringWithin()).block(T));
      assertThat(byPerson.get(p).get("text")).isEqualTo(text);
    }

    // in quiet hours every sample that could go now would be deferred
    clock.set(ZonedDateTime.of(LocalDate.ofInstant(morning, SHANGHAI), LocalTime.of(23, 0), SHANGHAI).toInstant());
    post("/campaigns/" + id + "/preview?sample=10", null).expectStatus().isOk().expectBody()
        .jsonPath("$.sampledQuiet").isEqualTo(2)
        .jsonPath("$.quietUntil").isEqualTo(ZonedDateTime.of(LocalDate.ofInstant(morning, SHANGHAI).plusDays(1),
            LocalTime.of(8, 0), SHANGHAI).toInstant().toString());
    clock.set(morning);

    post("/campaigns/" + id + "/dry-run", null).expectStatus().isOk().expectBody()
        .jsonPath("$.audience.size").isEqualTo(3)
        .jsonPath("$.reachable").isEqualTo(2)
        .jsonPath("$.capped").isEqualTo(1)
        .jsonPath("$.noChannel").isEqualTo(0);

    // an unsaved definition previews the same way, without being stored
    long stored2 = redis.opsForZSet().size(RedisKeys.campaignIndex()).block(T);
    d.put("content", Map.of("template", "{name|朋友}，{stage}"));
    post("/campaigns/preview?sample=1", d).expectStatus().isOk().expectBody()
        .jsonPath("$.samples.length()").isEqualTo(1)
        .jsonPath("$.audience.size").isEqualTo(3);
    assertThat(redis.opsForZSet().size(RedisKeys.campaignIndex()).block(T)).isEqualTo(stored2);
    post("/campaigns/preview?sample=1000", d).expectStatus().isBadRequest();
  }

  @Test
  void theConfiguredRecommendationTableAndFallbacksAreLoaded() {
    assertThat(props.tables().get("recommendation").rules()).extracting(Campaign.Rule::text)
        .containsExactly("控油系列", "保湿系列", "舒缓修护系列");
    assertThat(props.tables().get("recommendation").rules().get(0).whenTags()).containsExactly("skin:oily");
    assertThat(props.fallbacks()).containsEntry("name", "亲爱的顾客").containsEntry("expiringDate", "近期")
        .containsEntry("expiringPoints", "0");
  }
}

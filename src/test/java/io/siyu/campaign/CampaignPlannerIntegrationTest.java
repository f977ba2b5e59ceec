package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.admin.Problem;
import io.siyu.audience.PersonStore;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxDriver;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
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
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Campaign runs and the planner against the real Redis, the real outbox and the sandbox. The tick and the
 * outbox workers are driven by the tests ({@code siyu.campaign.planner.enabled=false},
 * {@code siyu.outbox.enabled=false}); pages are 20 members ({@code siyu.campaign.planner.page-size} in
 * test.properties) so 45 people take three pages.
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class CampaignPlannerIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  private static final String OWNER = "zhangsan";

  @Autowired CampaignPlanner planner;
  @Autowired Campaigns campaigns;
  @Autowired CampaignRuns runs;
  @Autowired CampaignProperties props;
  @Autowired PersonStore persons;
  @Autowired SandboxWecom sandbox;
  @Autowired Outbox outbox;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired WebTestClient web;
  @Autowired ApplicationContext context;
  @Autowired SiyuProperties siyu;

  private String prefix;
  private Instant morning;

  @BeforeEach
  void setUp() {
    prefix = "pl" + UUID.randomUUID().toString().substring(0, 8);
    // 09:00 a few days ahead in the brand zone: outside quiet hours, fresh outbox cap days
    morning = ZonedDateTime.of(clock.instant().atZone(SHANGHAI).toLocalDate().plusDays(3), LocalTime.of(9, 0), SHANGHAI)
        .toInstant();
    clock.set(morning);
    // Campaigns and outbox entries other test classes left behind must not run or be delivered here.
    redis.delete(RedisKeys.campaignDue(), RedisKeys.campaignRunsActive(), RedisKeys.outboxDue(),
        RedisKeys.outboxInflight()).block(T);
  }

  /** Leaves nothing of this test queued: the outbox's global counters must add up for later classes. */
  @AfterEach
  void deliverWhatIsLeft() {
    OutboxDriver.deliverAll(context, T);
  }

  // --- tests --------------------------------------------------------------------------------------------

  @Test
  void onceCampaignPlansEachMemberOnceAndTheOutboxSendsOneMessageEach() {
    List<String> people = people(45);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), once(morning.plus(Duration.ofHours(1))), 1, List.of("staff")));

    planner.tick().block(T);
    assertThat(runs.ofCampaign(id, 10).collectList().block(T)).as("not due yet").isEmpty();

    clock.advance(Duration.ofHours(1));
    planner.tick().block(T);

    CampaignRuns.Run run = onlyRun(id);
    assertThat(run.runId()).isEqualTo(id + ":" + morning.plus(Duration.ofHours(1)).toEpochMilli());
    assertThat(run.state()).isEqualTo("planned");
    assertThat(run.planned()).isEqualTo(45);
    assertThat(run.alreadyQueued()).isZero();
    // SSCAN's COUNT is a hint: a set Redis is still rehashing (just built) can come back in one page, so the
    // paging itself is asserted by the crash-resume test, not by a page count here
    assertThat(run.pages()).isPositive();
    assertThat(run.finishedAt()).isNotNull();
    assertThat(campaigns.find(id).block(T).state()).isEqualTo(Campaign.State.COMPLETED);
    assertThat(redis.opsForZSet().score(RedisKeys.campaignDue(), id).block(T)).as("left the due set").isNull();

    OutboxDriver.deliverAll(context, T);
    for (String p : people) {
      Outbox.Status s = outbox.status(CampaignPlanner.key(run.runId(), p)).block(T);
      assertThat(s.status()).isEqualTo("sent");
      assertThat(s.channel()).isEqualTo("template");
      assertThat(s.source()).isEqualTo("campaign:" + id);
      assertThat(templateCallsTo(ext(p))).as("one message to " + p).hasSize(1);
    }
    SandboxCall call = templateCallsTo(ext(people.get(0))).get(0);
    assertThat(call.request().toString()).contains("顾客" + people.get(0).substring(prefix.length()) + "您好");

    // a later tick changes nothing
    planner.tick().block(T);
    assertThat(onlyRun(id).planned()).isEqualTo(45);
    assertThat(OutboxDriver.deliverAll(context, T)).isZero();
  }

  @Test
  void concurrentTicksOnTwoPlannerInstancesPlanTheRunOnce() {
    List<String> people = people(45);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), once(morning.plus(Duration.ofMinutes(5))), 1, List.of("staff")));
    clock.advance(Duration.ofMinutes(5));

    CampaignPlanner other = planner.another();
    Flux.range(0, 6).flatMap(i -> (i % 2 == 0 ? planner : other).tick().subscribeOn(Schedulers.parallel()), 6)
        .then().block(T);
    Flux.range(0, 2).flatMap(i -> (i % 2 == 0 ? planner : other).tick().subscribeOn(Schedulers.parallel()), 2)
        .then().block(T);

    CampaignRuns.Run run = onlyRun(id);
    assertThat(run.state()).isEqualTo("planned");
    assertThat(run.planned()).isEqualTo(45);
    assertThat(run.alreadyQueued()).as("no page planned twice").isZero();
    OutboxDriver.deliverAll(context, T);
    for (String p : people) {
      assertThat(templateCallsTo(ext(p))).hasSize(1);
    }
  }

  @Test
  void aPlannerCrashingMidPlanIsResumedByTheNextTickAfterItsLeaseAndEveryoneGetsOneMessage() {
    List<String> people = people(45);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), once(morning.plus(Duration.ofMinutes(5))), 1, List.of("staff")));
    clock.advance(Duration.ofMinutes(5));

    planner.tick(1).block(T); // one page, then "dies" holding the lease
    CampaignRuns.Run half = onlyRun(id);
    assertThat(half.state()).isEqualTo("planning");
    assertThat(half.planned()).isBetween(1L, 44L);
    assertThat(half.cursor()).isNotEqualTo("0");
    // Part of the next page was queued before the crash (cursor not saved): replayed harmlessly.
    CampaignRuns.Page next = runs.page(seg, half.cursor(), props.planner().pageSize()).block(T);
    String runId = half.runId();
    OutboxDriver.deliverAll(context, T); // the first page's entries go meanwhile

    CampaignPlanner other = planner.another();
    other.tick().block(T);
    assertThat(onlyRun(id).planned()).as("lease still held by the crashed planner").isEqualTo(half.planned());

    clock.advance(props.planner().lease().plusSeconds(1));
    other.tick().block(T);
    CampaignRuns.Run done = onlyRun(id);
    assertThat(done.state()).isEqualTo("planned");
    assertThat(done.planned()).isEqualTo(45);
    assertThat(campaigns.find(id).block(T).state()).isEqualTo(Campaign.State.COMPLETED);
    assertThat(next.members()).isNotEmpty();

    OutboxDriver.deliverAll(context, T);
    for (String p : people) {
      assertThat(outbox.status(CampaignPlanner.key(runId, p)).block(T).status()).isEqualTo("sent");
      assertThat(templateCallsTo(ext(p))).as("exactly one message to " + p).hasSize(1);
    }
  }

  @Test
  void pagesReplayedAfterACrashBeforeTheCursorWasSavedQueueNothingTwice() {
    List<String> people = people(25);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), new Campaign.Recurring("0 0 10 * * *", null), 1, List.of("staff")));
    clock.set(morning.plus(Duration.ofHours(1)));
    planner.tick().block(T);
    String runId = onlyRun(id).runId();
    assertThat(onlyRun(id).planned()).isEqualTo(25);
    // As if the planner had died after enqueueing every page but before saving any cursor.
    redis.opsForHash().putAll(RedisKeys.campaignRun(runId), Map.of("cursor", "0", "scanDone", "0",
        "state", "planning")).block(T);
    redis.opsForZSet().add(RedisKeys.campaignRunsActive(), runId, clock.millis()).block(T);

    planner.tick().block(T);
    CampaignRuns.Run replayed = onlyRun(id);
    assertThat(replayed.state()).isEqualTo("planned");
    assertThat(replayed.planned()).isEqualTo(25);
    assertThat(replayed.alreadyQueued()).isEqualTo(25);
    assertThat(replayed.skipped().capped()).as("the run's own cap slot is reused").isZero();
    OutboxDriver.deliverAll(context, T);
    for (String p : people) {
      assertThat(templateCallsTo(ext(p))).hasSize(1);
    }
  }

  @Test
  void pauseStopsThePlannerBetweenPagesAndResumeContinuesFromTheSavedCursor() {
    List<String> people = people(45);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), once(morning.plus(Duration.ofMinutes(5))), 1, List.of("staff")));
    clock.advance(Duration.ofMinutes(5));

    planner.tick(1).block(T);
    long firstPage = onlyRun(id).planned();
    String cursor = onlyRun(id).cursor();
    post("/campaigns/" + id + "/pause").expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("paused");
    clock.advance(props.planner().lease().plusSeconds(1));
    planner.tick().block(T);

    CampaignRuns.Run paused = onlyRun(id);
    assertThat(paused.state()).isEqualTo("paused");
    assertThat(paused.planned()).isEqualTo(firstPage);
    assertThat(paused.cursor()).isEqualTo(cursor);
    // entries queued before the pause still go
    OutboxDriver.deliverAll(context, T);
    assertThat(people.stream().filter(p -> templateCallsTo(ext(p)).size() == 1).count()).isEqualTo(firstPage);
    planner.tick().block(T);
    assertThat(onlyRun(id).planned()).as("nothing planned while paused").isEqualTo(firstPage);

    post("/campaigns/" + id + "/resume").expectStatus().isOk();
    planner.tick().block(T);
    CampaignRuns.Run done = onlyRun(id);
    assertThat(done.state()).isEqualTo("planned");
    assertThat(done.planned()).isEqualTo(45);
    assertThat(done.alreadyQueued()).isZero();
    assertThat(campaigns.find(id).block(T).state()).isEqualTo(Campaign.State.COMPLETED);
    OutboxDriver.deliverAll(context, T);
    for (String p : people) {
      assertThat(templateCallsTo(ext(p))).hasSize(1);
    }
  }

  @Test
  void cancelStopsPlanningAndExpiresQueuedEntriesNotSentYet() {
    List<String> people = people(45);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), once(morning.plus(Duration.ofMinutes(5))), 1, List.of("staff")));
    clock.advance(Duration.ofMinutes(5));

    planner.tick(1).block(T);
    String runId = onlyRun(id).runId();
    long firstPage = onlyRun(id).planned();
    post("/campaigns/" + id + "/cancel").expectStatus().isOk();
    OutboxDriver.deliverAll(context, T);
    clock.advance(props.planner().lease().plusSeconds(1));
    planner.tick().block(T);

    CampaignRuns.Run run = onlyRun(id);
    assertThat(run.state()).isEqualTo("cancelled");
    assertThat(run.planned()).isEqualTo(firstPage);
    long queued = 0;
    for (String p : people) {
      assertThat(templateCallsTo(ext(p))).isEmpty();
      Outbox.Status s = outbox.status(CampaignPlanner.key(runId, p)).block(T);
      if (s != null) {
        queued++;
        assertThat(s.status()).isEqualTo("expired");
        assertThat(s.lastError()).isEqualTo("source cancelled");
      }
    }
    assertThat(queued).isEqualTo(firstPage);
  }

  @Test
  void recurringCampaignRunsAtTheCronTimesInItsZone() {
    List<String> people = people(3);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), new Campaign.Recurring("0 0 10 * * *", "Asia/Shanghai"), 2,
        List.of("staff")));
    Instant ten = morning.plus(Duration.ofHours(1));
    assertThat(campaigns.find(id).block(T).nextRunAt()).isEqualTo(ten);

    clock.set(ten.minusSeconds(1));
    planner.tick().block(T);
    assertThat(runs.ofCampaign(id, 10).collectList().block(T)).isEmpty();

    clock.set(ten);
    planner.tick().block(T);
    Campaign running = campaigns.find(id).block(T);
    assertThat(running.state()).isEqualTo(Campaign.State.RUNNING);
    assertThat(running.nextRunAt()).isEqualTo(ten.plus(Duration.ofDays(1)));
    OutboxDriver.deliverAll(context, T);
    people.forEach(p -> assertThat(templateCallsTo(ext(p))).hasSize(1));

    clock.set(ten.plus(Duration.ofDays(1)).minusSeconds(1));
    planner.tick().block(T);
    assertThat(runs.ofCampaign(id, 10).collectList().block(T)).hasSize(1);
    clock.set(ten.plus(Duration.ofDays(1)));
    planner.tick().block(T);
    List<CampaignRuns.Run> both = runs.ofCampaign(id, 10).collectList().block(T);
    assertThat(both).extracting(CampaignRuns.Run::runId).containsExactly(
        id + ":" + ten.plus(Duration.ofDays(1)).toEpochMilli(), id + ":" + ten.toEpochMilli());
    assertThat(both).allSatisfy(r -> {
      assertThat(r.state()).isEqualTo("planned");
      assertThat(r.planned()).isEqualTo(3);
    });
    assertThat(campaigns.find(id).block(T).state()).isEqualTo(Campaign.State.RUNNING);
    OutboxDriver.deliverAll(context, T);
    people.forEach(p -> assertThat(templateCallsTo(ext(p))).hasSize(2));

    get("/campaigns/" + id + "/runs").expectStatus().isOk().expectBody()
        .jsonPath("$.length()").isEqualTo(2)
        .jsonPath("$[0].planned").isEqualTo(3)
        .jsonPath("$[0].skipped.capped").isEqualTo(0);
    get("/campaigns/" + id + "/runs/" + id + ":" + ten.toEpochMilli()).expectStatus().isOk().expectBody()
        .jsonPath("$.state").isEqualTo("planned")
        .jsonPath("$.campaignId").isEqualTo(id);
    get("/campaigns/" + id + "/runs/" + id + ":1").expectStatus().isNotFound().expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "run-not-found");
  }

  @Test
  void theCampaignCapHoldsAcrossRunsOfARecurringCampaign() {
    List<String> people = people(3);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), new Campaign.Recurring("0 0 10 * * *", null), 1, List.of("staff")));
    Instant ten = morning.plus(Duration.ofHours(1));
    clock.set(ten);
    planner.tick().block(T);
    clock.set(ten.plus(Duration.ofDays(1)));
    planner.tick().block(T);

    List<CampaignRuns.Run> both = runs.ofCampaign(id, 10).collectList().block(T);
    assertThat(both).hasSize(2);
    assertThat(both.get(1).planned()).isEqualTo(3);
    assertThat(both.get(0).planned()).isZero();
    assertThat(both.get(0).skipped().capped()).isEqualTo(3);
    OutboxDriver.deliverAll(context, T);
    people.forEach(p -> assertThat(templateCallsTo(ext(p))).hasSize(1));
  }

  @Test
  void membersOfAnExcludedSegmentAndPeopleWithoutAChannelAreSkipped() {
    List<String> people = people(4);
    String gone = person("gone", true);
    redis.opsForHash().remove(RedisKeys.person(gone), io.siyu.audience.ProfileFields.OWNER).block(T);
    List<String> all = new ArrayList<>(people);
    all.add(gone);
    String seg = segment("all", "id.startsWith('" + prefix + "')", all);
    String excluded = segment("vip", "id == '" + people.get(0) + "'", List.of(people.get(0)));
    String id = launch(definition(seg, List.of(excluded), once(morning.plus(Duration.ofMinutes(5))), 1,
        List.of("staff")));
    clock.advance(Duration.ofMinutes(5));
    planner.tick().block(T);

    CampaignRuns.Run run = onlyRun(id);
    assertThat(run.planned()).isEqualTo(3);
    assertThat(run.skipped().excluded()).isEqualTo(1);
    assertThat(run.skipped().noRecipient()).as("no owner: staff impossible").isEqualTo(1);
    assertThat(outbox.status(CampaignPlanner.key(run.runId(), people.get(0))).block(T)).isNull();
  }

  @Test
  void quietHoursDeferTheEntriesToTheirEndInsteadOfDroppingThem() {
    List<String> people = people(2);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    Instant late = ZonedDateTime.of(morning.atZone(SHANGHAI).toLocalDate(), LocalTime.of(23, 0), SHANGHAI).toInstant();
    String id = launch(definition(seg, List.of(), once(late), 1, List.of("staff")));
    clock.set(late);
    planner.tick().block(T);
    OutboxDriver.deliverAll(context, T);

    Instant eight = ZonedDateTime.of(morning.atZone(SHANGHAI).toLocalDate().plusDays(1), LocalTime.of(8, 0), SHANGHAI)
        .toInstant();
    String runId = onlyRun(id).runId();
    for (String p : people) {
      Outbox.Status s = outbox.status(CampaignPlanner.key(runId, p)).block(T);
      assertThat(s.status()).isEqualTo("queued");
      assertThat(s.dueAt()).isEqualTo(eight);
      assertThat(templateCallsTo(ext(p))).isEmpty();
    }
    clock.set(eight);
    OutboxDriver.deliverAll(context, T);
    people.forEach(p -> assertThat(templateCallsTo(ext(p))).hasSize(1));
  }

  @Test
  void aCampaignPreferringStaffNoticeGetsTheStaffToDoChannel() {
    List<String> people = people(2);
    String seg = segment("all", "id.startsWith('" + prefix + "')", people);
    String id = launch(definition(seg, List.of(), once(morning.plus(Duration.ofMinutes(5))), 1,
        List.of("staff-notice", "staff")));
    clock.advance(Duration.ofMinutes(5));
    planner.tick().block(T);
    OutboxDriver.deliverAll(context, T);

    String runId = onlyRun(id).runId();
    for (String p : people) {
      assertThat(outbox.status(CampaignPlanner.key(runId, p)).block(T).channel()).isEqualTo("staff");
      assertThat(templateCallsTo(ext(p))).isEmpty();
      assertThat(sandbox.calls("message/send").stream().filter(c -> c.errcode() == 0)
          .filter(c -> c.request().toString().contains(ext(p)))).hasSize(1);
    }
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private Campaign.Once once(Instant at) {
    return new Campaign.Once(at);
  }

  private Campaign.Definition definition(String segment, List<String> excluded, Campaign.Schedule schedule,
                                         int perPerson, List<String> channels) {
    return new Campaign.Definition("计划测试", new Campaign.Goal("促成下单", "order", Duration.ofDays(7)),
        new Campaign.Audience(segment, excluded), new Campaign.Content("{name}您好，本周推荐{block:rec}。",
            Map.of("rec", new Campaign.Block("recommendation", null, null))),
        channels, schedule, new Campaign.Caps(perPerson));
  }

  private String launch(Campaign.Definition d) {
    String id = campaigns.create(d, "test").block(T).id();
    campaigns.launch(id, "test").block(T);
    return id;
  }

  private CampaignRuns.Run onlyRun(String id) {
    List<CampaignRuns.Run> all = runs.ofCampaign(id, 10).collectList().block(T);
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  private List<String> people(int n) {
    return IntStream.range(0, n).mapToObj(i -> person(String.format("%03d", i), true)).toList();
  }

  /** A person (unionid = person id) followed by zhangsan. */
  private String person(String suffix, boolean owned) {
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

  private String segment(String name, String expression, List<String> members) {
    String seg = prefix + "-" + name;
    web.put().uri("/api/v1/segments/" + seg).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", expression)).exchange()
        .expectStatus().is2xxSuccessful();
    await().atMost(T).until(() -> redis.opsForSet().size(RedisKeys.segmentMembers(seg)).block(T) == members.size());
    return seg;
  }

  private List<SandboxCall> templateCallsTo(String ext) {
    return sandbox.calls("externalcontact/add_msg_template").stream()
        .filter(c -> c.errcode() == 0)
        .filter(c -> c.request().toString().contains(ext)).toList();
  }

  private WebTestClient.ResponseSpec get(String path) {
    return web.get().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange();
  }

  private WebTestClient.ResponseSpec post(String path) {
    return web.post().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange();
  }
}

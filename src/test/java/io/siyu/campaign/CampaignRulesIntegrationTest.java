package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxDriver;
import io.siyu.outbox.OutboxProperties;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Campaign rules end to end on a virtual clock: the outbox day cap shared by two campaigns, preview equals what
 * is sent, a cron in a non-UTC zone whose missed fires collapse into one run that still delivers. Covered
 * elsewhere and not repeated here: quiet hours across midnight, pause and resume mid-run
 * ({@link CampaignPlannerIntegrationTest}); fallbacks for missing values and invalid definitions refused naming
 * the field ({@link CampaignAdminIntegrationTest}).
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class CampaignRulesIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");

  @Autowired CampaignPlanner planner;
  @Autowired Campaigns campaigns;
  @Autowired CampaignRuns runs;
  @Autowired PersonStore persons;
  @Autowired SandboxWecom sandbox;
  @Autowired Outbox outbox;
  @Autowired OutboxProperties outboxProps;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired WebTestClient web;
  @Autowired ApplicationContext context;
  @Autowired MeterRegistry meters;

  private CampaignTestSupport support;
  private String prefix;
  private Instant morning;

  @BeforeEach
  void setUp() {
    support = new CampaignTestSupport(persons, sandbox, redis, web);
    prefix = "ru" + UUID.randomUUID().toString().substring(0, 8);
    // 09:00 a few days ahead in the brand zone: outside quiet hours, fresh outbox cap days
    morning = ZonedDateTime.of(clock.instant().atZone(SHANGHAI).toLocalDate().plusDays(3), LocalTime.of(9, 0), SHANGHAI)
        .toInstant();
    clock.set(morning);
    redis.delete(RedisKeys.campaignDue(), RedisKeys.campaignRunsActive(), RedisKeys.outboxDue(),
        RedisKeys.outboxInflight()).block(T);
  }

  @AfterEach
  void deliverWhatIsLeft() {
    OutboxDriver.deliverAll(context, T);
  }

  @Test
  void twoCampaignsShareThePersonDayCapAndTheSecondIsDeferredToTheNextDayNotDropped() {
    String p = support.person(prefix + "-a", "小林");
    String seg = support.segment(prefix + "-all", "id.startsWith('" + prefix + "')", 1);
    // the person was messaged today up to one below the cap (by the journey or other campaigns)
    String day = DateTimeFormatter.BASIC_ISO_DATE.format(LocalDate.ofInstant(morning, SHANGHAI));
    redis.opsForValue().set(RedisKeys.outboxCapDay(p, day), Integer.toString(outboxProps.caps().perDay() - 1)).block(T);
    // one goes by the staff to-do, the other by add_msg_template: WeCom's own per-customer limit plays no part
    String first = launch(definition(seg, once(morning.plus(Duration.ofMinutes(5))), List.of("staff-notice"), "{name}您好"));
    String second = launch(definition(seg, once(morning.plus(Duration.ofMinutes(5))), List.of("staff"), "{name}再见"));
    double cappedBefore = deferredCapDay();

    clock.advance(Duration.ofMinutes(5));
    planner.tick().block(T);
    OutboxDriver.deliverAll(context, T);

    // whichever the outbox claims first takes the last slot of the day; the other waits for the next day
    List<Outbox.Status> both = List.of(outbox.status(CampaignPlanner.key(onlyRun(first).runId(), p)).block(T),
        outbox.status(CampaignPlanner.key(onlyRun(second).runId(), p)).block(T));
    assertThat(both).extracting(Outbox.Status::status).containsExactlyInAnyOrder("sent", "queued");
    Outbox.Status capped = both.stream().filter(st -> st.status().equals("queued")).findFirst().orElseThrow();
    Instant tomorrow = LocalDate.ofInstant(morning, SHANGHAI).plusDays(1).atStartOfDay(SHANGHAI).toInstant();
    assertThat(capped.dueAt()).as("deferred, not dropped").isEqualTo(tomorrow);
    assertThat(deferredCapDay() - cappedBefore).as("counted as deferred by the day cap").isEqualTo(1);
    assertThat(sentMessages(p)).isEqualTo(1);

    // midnight is inside the quiet hours: it waits for their end, then goes
    clock.set(tomorrow);
    OutboxDriver.deliverAll(context, T);
    assertThat(outbox.status(capped.key()).block(T).dueAt()).isEqualTo(tomorrow.plus(Duration.ofHours(8)));
    clock.set(tomorrow.plus(Duration.ofHours(8)));
    OutboxDriver.deliverAll(context, T);
    assertThat(outbox.status(capped.key()).block(T).status()).isEqualTo("sent");
    assertThat(sentMessages(p)).isEqualTo(2);
  }

  @Test
  void previewRendersExactlyWhatIsSentToTheSamePeople() {
    List<String> people = List.of(support.person(prefix + "-a", "小林"), support.person(prefix + "-b", ""),
        support.person(prefix + "-c", "阿华"));
    String seg = support.segment(prefix + "-all", "id.startsWith('" + prefix + "')", 3);
    String id = campaigns.create(definition(seg, once(morning.plus(Duration.ofMinutes(5))), List.of("staff"),
        "{name|朋友}您好，您的等级{level}，积分{points}，推荐{block:rec}。{expiringPoints|0}积分将到期。"), "test")
        .block(T).id();

    Map<String, Object> preview = web.post().uri("/api/v1/campaigns/" + id + "/preview?sample=10")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR).exchange()
        .expectStatus().isOk().expectBody(new ParameterizedTypeReference<Map<String, Object>>() {})
        .returnResult().getResponseBody();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> samples = (List<Map<String, Object>>) preview.get("samples");
    assertThat(samples).extracting(s -> s.get("personId")).containsExactlyInAnyOrderElementsOf(people);

    campaigns.launch(id, "test").block(T);
    clock.advance(Duration.ofMinutes(5));
    planner.tick().block(T);
    OutboxDriver.deliverAll(context, T);
    for (Map<String, Object> s : samples) {
      String text = (String) s.get("text");
      assertThat(support.templateCallsTo(CampaignTestSupport.ext((String) s.get("personId"))))
          .singleElement().satisfies(c -> assertThat(c.request().toString()).contains(text));
    }
    assertThat(samples).anySatisfy(s -> assertThat((String) s.get("text")).startsWith("朋友您好")); // the fallback
  }

  @Test
  void aKolkataCronCollapsesFiresMissedDuringDowntimeIntoOneRunThatStillDelivers() {
    String p = support.person(prefix + "-a", "小林");
    String seg = support.segment(prefix + "-all", "id.startsWith('" + prefix + "')", 1);
    // 09:30 in Kolkata is 12:00 in Shanghai: inside the brand's sending hours
    Campaign.Definition d = definition(seg, new Campaign.Recurring("0 30 9 * * *", "Asia/Kolkata"), List.of("staff"),
        "{name}您好");
    // a conversion window shorter than the downtime: entries must count it from the run's start
    d = new Campaign.Definition(d.name(), new Campaign.Goal("促成下单", "order", Duration.ofDays(1)), d.audience(),
        d.content(), d.channels(), d.schedule(), new Campaign.Caps(5));
    String id = launch(d);
    LocalDate today = LocalDate.ofInstant(morning, KOLKATA);
    Instant firstFire = ZonedDateTime.of(today, LocalTime.of(9, 30), KOLKATA).toInstant();
    assertThat(campaigns.find(id).block(T).nextRunAt()).isEqualTo(firstFire);

    // down for three fires; back at 10:00 Kolkata three days later
    Instant back = ZonedDateTime.of(today.plusDays(3), LocalTime.of(10, 0), KOLKATA).toInstant();
    clock.set(back);
    planner.tick().block(T);

    CampaignRuns.Run run = onlyRun(id);
    assertThat(run.fireAt()).isEqualTo(firstFire);
    assertThat(run.planned()).isEqualTo(1);
    assertThat(campaigns.find(id).block(T).nextRunAt())
        .isEqualTo(ZonedDateTime.of(today.plusDays(4), LocalTime.of(9, 30), KOLKATA).toInstant());
    OutboxDriver.deliverAll(context, T);
    assertThat(outbox.status(CampaignPlanner.key(run.runId(), p)).block(T).status())
        .as("not expired at once: the deadline counts from the run's start").isEqualTo("sent");
    assertThat(support.templateCallsTo(CampaignTestSupport.ext(p))).hasSize(1);

    planner.tick().block(T);
    assertThat(runs.ofCampaign(id, 10).collectList().block(T)).as("no burst of the missed fires").hasSize(1);
  }

  // --- helpers ----------------------------------------------------------------------------------------

  /** Messages the person got: 1-on-1 tasks (staff) plus to-dos to the owner naming them (staff-notice). */
  private long sentMessages(String personId) {
    String ext = CampaignTestSupport.ext(personId);
    return support.templateCallsTo(ext).size() + sandbox.calls("message/send").stream()
        .filter(c -> c.errcode() == 0 && c.request().toString().contains(ext)).count();
  }

  private double deferredCapDay() {
    var c = meters.find("siyu.outbox.deferred").tag("reason", "cap-day").counter();
    return c == null ? 0 : c.count();
  }

  private static Campaign.Once once(Instant at) {
    return new Campaign.Once(at);
  }

  private static Campaign.Definition definition(String segment, Campaign.Schedule schedule, List<String> channels,
                                                String template) {
    return new Campaign.Definition("规则测试", new Campaign.Goal("促成下单", "order", Duration.ofDays(7)),
        new Campaign.Audience(segment, List.of()), new Campaign.Content(template,
            Map.of("rec", new Campaign.Block("recommendation", null, null))),
        channels, schedule, new Campaign.Caps(1));
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
}

package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.growth.Events;
import io.siyu.growth.Points;
import io.siyu.growth.PointsJobDriver;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.OutboxDriver;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * points_expiring events ({@code PointsExpiringNotices}, driven through {@link PointsJobDriver}) and a
 * triggered campaign on them, against the real Redis and outbox, with a {@link MutableClock}.
 */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class PointsExpiringNoticesIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  @Autowired Points points;
  @Autowired CampaignTriggers triggers;
  @Autowired Campaigns campaigns;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;
  @Autowired WebTestClient web;
  @Autowired ApplicationContext context;

  private String prefix;
  private Instant morning;

  @BeforeEach
  void setUp() {
    prefix = "pe" + UUID.randomUUID().toString().substring(0, 8);
    morning = ZonedDateTime.of(clock.instant().atZone(SHANGHAI).toLocalDate().plusDays(3), LocalTime.of(10, 0),
        SHANGHAI).toInstant();
    clock.set(morning);
    redis.delete(RedisKeys.pointsNoticeDue(), RedisKeys.campaignFires()).block(T);
    triggers.ensureGroup().block(T);
    triggers.consume().block(T); // events other tests left
  }

  @AfterEach
  void deliverWhatIsLeft() {
    redis.delete(RedisKeys.campaignFires()).block(T);
    OutboxDriver.deliverAll(context, T);
  }

  @Test
  void noticesOncePerPersonAndExpiryDayAndNotBeforeTheLead() {
    String a = person("a");
    Instant expiry = morning.plus(Duration.ofDays(10));
    points.earn(a, 30, "e1", "test", "tester", expiry).block(T);
    points.earn(a, 20, "e2", "test", "tester", expiry.plus(Duration.ofHours(1))).block(T); // same local day

    clock.set(expiry.minus(Duration.ofDays(3)).minusSeconds(1));
    PointsJobDriver.noticeDue(context, T);
    assertThat(notices(a)).as("not before siyu.points.expiring-notice-lead (3d)").isEmpty();

    clock.advance(Duration.ofSeconds(1));
    PointsJobDriver.noticeDue(context, T);
    PointsJobDriver.noticeDue(context, T);
    clock.advance(Duration.ofHours(2)); // the second lot's own notice time: same day, already told
    PointsJobDriver.noticeDue(context, T);
    List<MapRecord<String, Object, Object>> told = notices(a);
    assertThat(told).hasSize(1);
    String day = expiry.atZone(SHANGHAI).toLocalDate().toString();
    assertThat(told.get(0).getValue()).containsEntry("key", "points_expiring:" + a + ":" + day)
        .containsEntry("points", "50").containsEntry("date", day)
        .containsEntry("expiresAt", Long.toString(expiry.toEpochMilli()));

    // a lot expiring on a later day is told about on its own day's notice time
    Instant later = expiry.plus(Duration.ofDays(2));
    points.earn(a, 7, "e3", "test", "tester", later).block(T);
    clock.set(later.minus(Duration.ofDays(3)).minusSeconds(1));
    PointsJobDriver.noticeDue(context, T);
    assertThat(notices(a)).hasSize(1);
    clock.advance(Duration.ofSeconds(1));
    PointsJobDriver.noticeDue(context, T);
    assertThat(notices(a)).hasSize(2);
    assertThat(notices(a).get(0).getValue()).as("newest first")
        .containsEntry("key", "points_expiring:" + a + ":" + later.atZone(SHANGHAI).toLocalDate())
        .containsEntry("points", "7");
    assertThat(redis.opsForZSet().score(RedisKeys.pointsNoticeDue(), a).block(T)).as("nothing left to tell").isNull();
  }

  @Test
  void spentPointsAreNotNoticed() {
    String a = person("a");
    Instant expiry = morning.plus(Duration.ofDays(5));
    points.earn(a, 30, "e1", "test", "tester", expiry).block(T);
    points.redeem(a, 30, "r1", "test", "tester").block(T);
    clock.set(expiry.minus(Duration.ofDays(1)));
    PointsJobDriver.noticeDue(context, T);
    assertThat(notices(a)).isEmpty();
  }

  @Test
  void aTriggeredCampaignOnPointsExpiringSendsTheExpiringPoints() {
    String a = person("a");
    String seg = segment("id.startsWith('" + prefix + "')", 1);
    Campaign.Definition d = new Campaign.Definition("积分到期", new Campaign.Goal("下单", "order", Duration.ofDays(7)),
        new Campaign.Audience(seg, List.of()),
        new Campaign.Content("{name|朋友}，您有{expiringPoints}积分将于{expiringDate}到期", null), List.of("staff"),
        new Campaign.Triggered("points_expiring", null, Duration.ZERO, "points > 0"), new Campaign.Caps(5));
    String id = campaigns.create(d, "test").block(T).id();
    campaigns.launch(id, "test").block(T);

    Instant expiry = morning.plus(Duration.ofDays(5));
    points.earn(a, 80, "e1", "test", "tester", expiry).block(T);
    clock.set(expiry.minus(Duration.ofDays(3)));
    PointsJobDriver.noticeDue(context, T);
    triggers.consume().block(T);
    triggers.fireTick().block(T);

    String key = "campaign:" + id + ":t:points_expiring:" + a + ":" + expiry.atZone(SHANGHAI).toLocalDate();
    assertThat(redis.<String, String>opsForHash().get(RedisKeys.outboxEntry(key), "msg").block(T))
        .contains("有80积分将于" + expiry.atZone(SHANGHAI).getMonthValue() + "月" + expiry.atZone(SHANGHAI)
            .getDayOfMonth() + "日到期");
  }

  // --- helpers ----------------------------------------------------------------------------------------

  /** This person's points_expiring events, newest first. */
  private List<MapRecord<String, Object, Object>> notices(String personId) {
    return redis.opsForStream().reverseRange(RedisKeys.events(), Range.unbounded(), Limit.limit().count(500))
        .filter(r -> Events.POINTS_EXPIRING.equals(r.getValue().get("type")))
        .filter(r -> personId.equals(r.getValue().get("person")))
        .collectList().block(T);
  }

  private String person(String suffix) {
    String id = prefix + suffix;
    redis.<String, String>opsForHash().putAll(RedisKeys.person(id), Map.of("id", id, "externalUserId", "wm" + id,
        "ownerUserId", "zhangsan", "name", "小红")).block(T);
    return id;
  }

  private String segment(String expression, int members) {
    String seg = prefix + "-all";
    web.put().uri("/api/v1/segments/" + seg).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", expression)).exchange()
        .expectStatus().is2xxSuccessful();
    await().atMost(T).until(() -> redis.opsForSet().size(RedisKeys.segmentMembers(seg)).block(T) == members);
    return seg;
  }
}

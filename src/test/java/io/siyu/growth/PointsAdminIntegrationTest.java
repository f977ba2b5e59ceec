package io.siyu.growth;

import static io.siyu.growth.PointsTestSupport.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The points admin API: shapes, problem types, roles, and that refused requests write nothing. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class PointsAdminIntegrationTest {

  @Autowired
  WebTestClient web;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  @Autowired
  Points points;

  String person;

  @BeforeEach
  void setUp() {
    // the build machine is shared: a busy moment must not fail a request
    web = web.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    clock.set(Instant.parse("2026-06-15T02:00:00Z"));
    person = PointsTestSupport.person(redis);
  }

  WebTestClient.ResponseSpec post(String path, Object body) {
    return web.post().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  /** Reads need only a viewer token. */
  WebTestClient.ResponseSpec get(String path) {
    return web.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).exchange();
  }

  String base() {
    return "/api/v1/persons/" + person + "/points";
  }

  @Test
  void grantRedeemAndAdjustThroughTheApiWithOperatorInTheLedger() {
    post(base() + "/grants", Map.of("key", "g1", "amount", 100, "reason", "活动奖励",
        "expiresAt", "2026-07-01T00:00:00Z")).expectStatus().isOk()
        .expectBody().jsonPath("$.balance").isEqualTo(100).jsonPath("$.replay").isEqualTo(false);
    post(base() + "/grants", Map.of("key", "g1", "amount", 100, "reason", "活动奖励",
        "expiresAt", "2026-07-01T00:00:00Z")).expectStatus().isOk()
        .expectBody().jsonPath("$.balance").isEqualTo(100).jsonPath("$.replay").isEqualTo(true);
    post(base() + "/redemptions", Map.of("key", "r1", "amount", 30, "reason", "兑换小样")).expectStatus().isOk()
        .expectBody().jsonPath("$.balance").isEqualTo(70).jsonPath("$.amount").isEqualTo(-30);
    post(base() + "/adjustments", Map.of("key", "a1", "delta", -5, "reason", "纠错")).expectStatus().isOk()
        .expectBody().jsonPath("$.balance").isEqualTo(65);

    get(base()).expectStatus().isOk().expectBody()
        .jsonPath("$.balance").isEqualTo(65)
        .jsonPath("$.lots[0].remaining").isEqualTo(65)
        .jsonPath("$.expiringIn30Days.points").isEqualTo(65)
        .jsonPath("$.expiringIn30Days.earliest").isEqualTo("2026-07-01T00:00:00Z");
    get(base() + "/ledger?limit=2").expectStatus().isOk().expectBody()
        .jsonPath("$.length()").isEqualTo(2)
        .jsonPath("$[0].type").isEqualTo("adjust")
        .jsonPath("$[0].operator").isEqualTo("test-operator")
        .jsonPath("$[1].type").isEqualTo("spend")
        .jsonPath("$[1].lots[0].amount").isEqualTo(30);
    get("/api/v1/leaderboards/points?limit=1000").expectStatus().isOk().expectBody()
        .jsonPath("$[?(@.personId=='" + person + "')].points").isEqualTo(65);
  }

  @Test
  void aRetriedGrantWhoseExpiryHasPassedAnswersTheOriginalOutcome() {
    Map<String, Object> grant = Map.of("key", "g1", "amount", 10, "reason", "活动奖励", "expiresAt", "2026-06-15T04:00:00Z");
    post(base() + "/grants", grant).expectStatus().isOk().expectBody().jsonPath("$.replay").isEqualTo(false);
    clock.advance(Duration.ofHours(3));
    post(base() + "/grants", grant).expectStatus().isOk()
        .expectBody().jsonPath("$.replay").isEqualTo(true).jsonPath("$.balance").isEqualTo(10);
  }

  @Test
  void redeemAboveBalanceIsAConflictProblem() {
    post(base() + "/grants", Map.of("key", "g1", "amount", 10, "reason", "活动奖励")).expectStatus().isOk();
    post(base() + "/redemptions", Map.of("key", "r1", "amount", 11, "reason", "兑换")).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:insufficient-points")
        .jsonPath("$.balance").isEqualTo(10);
    post(base() + "/adjustments", Map.of("key", "a1", "delta", -11, "reason", "纠错")).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:insufficient-points");
    assertThat(points.balance(person).block(T).balance()).isEqualTo(10);
  }

  @Test
  void reusedKeyWithOtherArgumentsIsAConflictProblem() {
    post(base() + "/grants", Map.of("key", "g1", "amount", 10, "reason", "活动奖励")).expectStatus().isOk();
    post(base() + "/grants", Map.of("key", "g1", "amount", 11, "reason", "活动奖励")).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:idempotency-key-reused");
  }

  @Test
  void unknownPersonIsNotFound() {
    post("/api/v1/persons/pt-nobody-" + UUID.randomUUID() + "/points/grants",
        Map.of("key", "g1", "amount", 10, "reason", "活动奖励")).expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:person-not-found");
    get("/api/v1/persons/pt-nobody-" + UUID.randomUUID() + "/points").expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:person-not-found");
  }

  @Test
  void badRequestsNameTheFieldAndWriteNothing() {
    post(base() + "/grants", Map.of("key", "g1", "amount", 0, "reason", "x")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-request")
        .jsonPath("$.errors[0].field").isEqualTo("amount");
    post(base() + "/grants", Map.of("key", "g1", "amount", Points.MAX_AMOUNT + 1, "reason", "x"))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("amount");
    post(base() + "/grants", Map.of("key", "has space", "amount", 5, "reason", "x")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("key");
    post(base() + "/grants", Map.of("key", "g2", "amount", 5, "reason", "x", "expiresAt", "2020-01-01T00:00:00Z"))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("expiresAt");
    post(base() + "/adjustments", Map.of("key", "a1", "delta", 0, "reason", "x")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("delta");
    post(base() + "/redemptions", Map.of("key", "r1", "amount", 5)).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("reason");
    get(base() + "/ledger?limit=0").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("limit");
    assertThat(redis.hasKey(RedisKeys.pointsLedger(person)).block(T)).isFalse();
  }

  @Test
  void viewersCannotGrant() {
    web.post().uri(base() + "/grants").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("key", "g1", "amount", 10, "reason", "x"))
        .exchange().expectStatus().isForbidden();
  }

  @Test
  void batchExtensionThroughTheApi() {
    String segment = "api-ext-" + UUID.randomUUID();
    post("/api/v1/points/extensions", Map.of("key", "b1-" + segment.hashCode(), "segment", segment, "days", 30,
        "expiringWithin", "30d", "reason", "延期")).expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-segment");

    points.earn(person, 25, "g", "test", "tester", clock.instant().plus(Duration.ofDays(5))).block(T);
    web.put().uri("/api/v1/segments/" + segment).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", "id == '" + person + "'"))
        .exchange().expectStatus().isCreated();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> get("/api/v1/segments/" + segment + "/size")
        .expectStatus().isOk().expectBody().jsonPath("$.size").isEqualTo(1));
    String id = "b-" + UUID.randomUUID();
    Map<String, Object> body = Map.of("key", id, "segment", segment, "days", 30, "expiringWithin", "30d",
        "reason", "会员日延期");
    post("/api/v1/points/extensions", body).expectStatus().isAccepted()
        .expectBody().jsonPath("$.id").isEqualTo(id);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> get("/api/v1/points/extensions/" + id)
        .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("completed"));
    get("/api/v1/points/extensions/" + id).expectBody()
        .jsonPath("$.personsScanned").isEqualTo(1)
        .jsonPath("$.personsExtended").isEqualTo(1)
        .jsonPath("$.pointsExtended").isEqualTo(25)
        .jsonPath("$.noticesQueued").isEqualTo(1)
        .jsonPath("$.operator").isEqualTo("test-operator");
    post("/api/v1/points/extensions", body).expectStatus().isAccepted().expectBody().jsonPath("$.id").isEqualTo(id);
    post("/api/v1/points/extensions", Map.of("key", id, "segment", segment, "days", 31, "expiringWithin", "30d",
        "reason", "会员日延期")).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:idempotency-key-reused");
    post("/api/v1/points/extensions", Map.of("key", "b-x", "segment", segment, "days", 30, "expiringWithin", "soon",
        "reason", "延期")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("expiringWithin");
    get("/api/v1/points/extensions/nope-" + UUID.randomUUID()).expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-extension");
  }
}

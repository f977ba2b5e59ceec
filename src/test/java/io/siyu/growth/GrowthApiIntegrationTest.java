package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.AdminTokens;
import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The growth admin API and the signed order webhook: shapes, roles, problems with stable slugs. */
@SiyuIntegrationTest
class GrowthApiIntegrationTest extends GrowthTestSupport {

  static final Instant NOW = OffsetDateTime.parse("2026-03-01T12:00:00+08:00").toInstant();

  @Autowired
  WebTestClient web;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  MutableClock clock;

  String person;

  @BeforeEach
  void setUp() {
    clock.set(NOW);
    person = newPerson(redis);
  }

  private WebTestClient.RequestBodySpec post(String uri, String token) {
    return web.post().uri(uri).header(HttpHeaders.AUTHORIZATION, "Bearer " + token).contentType(MediaType.APPLICATION_JSON);
  }

  private WebTestClient.ResponseSpec interaction(Map<String, Object> body) {
    return post("/api/v1/interactions", AdminTokens.OPERATOR).bodyValue(body).exchange();
  }

  @Test
  void recordsAnInteractionOnceThenReportsDuplicate() {
    Map<String, Object> body = Map.of("person", person, "kind", "checkin", "key", "2026-03-01");
    interaction(body).expectStatus().isCreated().expectBody()
        .jsonPath("$.first").isEqualTo(true).jsonPath("$.growthAdded").isEqualTo(2);
    interaction(body).expectStatus().isOk().expectBody()
        .jsonPath("$.first").isEqualTo(false).jsonPath("$.growth").isEqualTo(2);
  }

  @Test
  void interactionProblems() {
    interaction(Map.of("person", person, "kind", "nope", "key", "k")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-kind");
    interaction(Map.of("person", "nobody-" + person, "kind", "chat", "key", "k")).expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-person");
    interaction(Map.of("person", person, "kind", "ugc", "key", "k", "attrs", Map.of("engagement", "many")))
        .expectStatus().isBadRequest().expectBody()
        .jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-interaction").jsonPath("$.field").isEqualTo("attrs.engagement");
    interaction(Map.of("person", person, "kind", "chat")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-request");
    post("/api/v1/interactions", AdminTokens.VIEWER).bodyValue(Map.of("person", person, "kind", "chat", "key", "k"))
        .exchange().expectStatus().isForbidden();
    assertThat(profile(redis, person)).doesNotContainKeys("growth", "v");
  }

  @Test
  void viewerReadsGrowthLevelsAndLeaderboard() {
    interaction(Map.of("person", person, "kind", "big", "key", "k1")).expectStatus().isCreated();
    interaction(Map.of("person", person, "kind", "chat", "key", "k2")).expectStatus().isCreated();
    post("/api/v1/persons/" + person + "/growth/corrections", AdminTokens.OPERATOR)
        .bodyValue(Map.of("key", "c1", "delta", 5, "reason", "补录")).exchange().expectStatus().isCreated();
    web.get().uri("/api/v1/persons/" + person + "/growth").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.growth").isEqualTo(66)
        .jsonPath("$.level").isEqualTo(3)
        .jsonPath("$.progress.next").isEqualTo(90)
        .jsonPath("$.today['*'].earned").isEqualTo(61)
        .jsonPath("$.today['*'].cap").isEqualTo(100)
        .jsonPath("$.today.chat.cap").isEqualTo(10)
        .jsonPath("$.counts.big").isEqualTo(1)
        .jsonPath("$.windows['7d']['*']").isEqualTo(2)
        .jsonPath("$.corrections[0].operator").isEqualTo("test-operator")
        .jsonPath("$.corrections[0].reason").isEqualTo("补录");
    web.get().uri("/api/v1/levels").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.levels[4].threshold").isEqualTo(120).jsonPath("$.recipe").isEqualTo("explicit");
    web.get().uri("/api/v1/leaderboards/growth?limit=1000").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isOk().expectBody()
        .jsonPath("$[?(@.personId == '" + person + "')].growth").isEqualTo(66);
    web.get().uri("/api/v1/leaderboards/growth?limit=0").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isBadRequest();
    web.get().uri("/api/v1/persons/nobody-" + person + "/growth").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isNotFound().expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-person");
  }

  @Test
  void correctionBelowZeroIsAProblem() {
    post("/api/v1/persons/" + person + "/growth/corrections", AdminTokens.OPERATOR)
        .bodyValue(Map.of("key", "c1", "delta", -1, "reason", "x")).exchange()
        .expectStatus().isEqualTo(422).expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:growth-below-zero");
    post("/api/v1/persons/" + person + "/growth/corrections", AdminTokens.VIEWER)
        .bodyValue(Map.of("key", "c1", "delta", 1, "reason", "x")).exchange().expectStatus().isForbidden();
  }

  // --- the order webhook ---------------------------------------------------------------------------

  static String sign(String ts, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal((ts + "." + body).getBytes(StandardCharsets.UTF_8)));
  }

  private WebTestClient.ResponseSpec order(String body, String ts, String signature) {
    return web.post().uri("/api/v1/orders").contentType(MediaType.APPLICATION_JSON)
        .header("X-Siyu-Timestamp", ts).header("X-Siyu-Signature", signature).bodyValue(body).exchange();
  }

  private WebTestClient.ResponseSpec signedOrder(String body) throws Exception {
    String ts = Long.toString(clock.instant().getEpochSecond());
    return order(body, ts, sign(ts, body));
  }

  private String orderJson(String orderId, String who) {
    return "{\"orderId\":\"" + orderId + "\"," + who + ",\"amount\":5990,"
        + "\"items\":[{\"sku\":\"SERUM-30\",\"name\":\"精华 30ml\",\"quantity\":1,\"price\":5990}],"
        + "\"time\":\"2026-03-01T10:00:00+08:00\"}";
  }

  @Test
  void signedOrderIsRecordedOnceWithoutABearerToken() throws Exception {
    String body = orderJson("T-" + person, "\"personId\":\"" + person + "\"");
    signedOrder(body).expectStatus().isCreated().expectBody()
        .jsonPath("$.first").isEqualTo(true).jsonPath("$.growthAdded").isEqualTo(59);
    signedOrder(body).expectStatus().isOk().expectBody().jsonPath("$.first").isEqualTo(false);
    assertThat(profile(redis, person)).containsEntry("orders", "1").containsEntry("amount", "5990")
        .containsEntry("firstOrderAt", Long.toString(OffsetDateTime.parse("2026-03-01T10:00:00+08:00").toInstant().toEpochMilli()));
  }

  @Test
  void orderByExternalUserIdResolvesThePerson() throws Exception {
    redis.opsForValue().set(RedisKeys.personIdOfExternalUser("wm-" + person), person).block(T);
    signedOrder(orderJson("E-" + person, "\"externalUserId\":\"wm-" + person + "\"")).expectStatus().isCreated();
    signedOrder(orderJson("E2-" + person, "\"externalUserId\":\"wm-unknown-" + person + "\"")).expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-person");
    assertThat(profile(redis, person)).containsEntry("orders", "1");
  }

  @Test
  void refusesBadAndStaleSignaturesWritingNothing() throws Exception {
    String body = orderJson("S-" + person, "\"personId\":\"" + person + "\"");
    String ts = Long.toString(clock.instant().getEpochSecond());
    order(body, ts, sign(ts, body + " ")).expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:bad-signature");
    String stale = Long.toString(clock.instant().getEpochSecond() - 301);
    order(body, stale, sign(stale, body)).expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:stale-timestamp");
    web.post().uri("/api/v1/orders").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isUnauthorized().expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:missing-signature");
    assertThat(profile(redis, person)).doesNotContainKeys("orders", "growth");
  }

  @Test
  void refusesBadBodiesNamingTheField() throws Exception {
    signedOrder("{\"orderId\":\"X\",\"personId\":\"" + person + "\",\"amount\":-1}").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-order").jsonPath("$.field").isEqualTo("amount");
    signedOrder("{\"personId\":\"" + person + "\",\"amount\":1}").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.field").isEqualTo("orderId");
    signedOrder("{\"orderId\":\"X\",\"personId\":\"" + person + "\",\"amount\":1,\"items\":[{\"sku\":\"a\",\"quantity\":0,\"price\":1}]}")
        .expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("items[0].quantity");
    signedOrder("{\"orderId\":\"X\",\"personId\":\"" + person + "\",\"amount\":1,\"time\":\"yesterday\"}")
        .expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("time");
    signedOrder("not json").expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("body");
    signedOrder("{\"orderId\":\"X\",\"personId\":\"nobody-" + person + "\",\"amount\":1}").expectStatus().isNotFound();
    String huge = "{\"orderId\":\"X\",\"personId\":\"" + person + "\",\"amount\":1,\"pad\":\"" + "x".repeat(70_000) + "\"}";
    signedOrder(huge).expectStatus().isEqualTo(413);
    assertThat(profile(redis, person)).doesNotContainKeys("orders", "growth");
  }
}

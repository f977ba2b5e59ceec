package io.siyu.blindbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

/** The blind-box admin API: shapes, problems with stable slugs, and that refused input stores nothing. */
@SiyuIntegrationTest
@TestPropertySource(properties = {
    "siyu.blindbox.pools.admintest.name=管理测试",
    "siyu.blindbox.pools.admintest.prizes[0].id=trial",
    "siyu.blindbox.pools.admintest.prizes[0].name=体验装",
    "siyu.blindbox.pools.admintest.prizes[0].kind=sample",
    "siyu.blindbox.pools.admintest.prizes[0].weight=1",
    "siyu.blindbox.pools.admintest.prizes[0].initial-stock=2",
    "siyu.blindbox.pools.admintest.prizes[1].id=coupon",
    "siyu.blindbox.pools.admintest.prizes[1].name=优惠券",
    "siyu.blindbox.pools.admintest.prizes[1].kind=coupon",
    "siyu.blindbox.pools.admintest.prizes[1].weight=1",
    "siyu.blindbox.pools.admintest.prizes[1].initial-stock=5",
    "siyu.blindbox.pools.admintest.fallback.id=thanks",
    "siyu.blindbox.pools.admintest.fallback.name=谢谢参与 + 10 积分",
    "siyu.blindbox.pools.admintest.fallback.kind=points",
    "siyu.blindbox.pools.admintest.fallback.points=10"})
class BlindBoxAdminIntegrationTest {

  static final String BASE = "/api/v1/blindbox";
  static final Duration T = Duration.ofSeconds(10);

  @Autowired
  WebTestClient web;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  BlindBox blindBox;

  @BeforeEach
  void freshPool() {
    redis.delete(Flux.just(RedisKeys.blindboxStock("admintest"), RedisKeys.blindboxStats("admintest"),
        RedisKeys.blindboxCodes("admintest", "coupon"), RedisKeys.blindboxCodesSeen("admintest", "coupon"))).block(T);
    blindBox.initialiseStock().block(T);
  }

  WebTestClient.RequestHeadersSpec<?> get(String path) {
    return web.get().uri(BASE + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER);
  }

  WebTestClient.RequestBodySpec post(String path) {
    return web.post().uri(BASE + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR);
  }

  List<String> storedCodes() {
    return redis.opsForList().range(RedisKeys.blindboxCodes("admintest", "coupon"), 0, -1).collectList().block(T);
  }

  @Test
  void listsPoolsWithPrizesCurrentStockAndRemainingCodes() {
    get("/pools").exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$[?(@.id=='follow')].name").isEqualTo("关注盲盒")
        .jsonPath("$[?(@.id=='admintest')].prizes[0].id").isEqualTo("trial")
        .jsonPath("$[?(@.id=='admintest')].prizes[0].kind").isEqualTo("SAMPLE")
        .jsonPath("$[?(@.id=='admintest')].prizes[0].stock").isEqualTo(2)
        .jsonPath("$[?(@.id=='admintest')].prizes[0].initialStock").isEqualTo(2)
        .jsonPath("$[?(@.id=='admintest')].prizes[0].limitPerPerson").isEqualTo(1)
        .jsonPath("$[?(@.id=='admintest')].prizes[1].codesRemaining").isEqualTo(0)
        .jsonPath("$[?(@.id=='admintest')].fallback.name").isEqualTo("谢谢参与 + 10 积分");
    get("/pools/admintest").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.prizes.length()").isEqualTo(2);
  }

  @Test
  void topUpAddsStockAtomically() {
    post("/pools/admintest/prizes/trial/topup").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("amount", 8))
        .exchange().expectStatus().isOk()
        .expectBody().json("{\"pool\":\"admintest\",\"prize\":\"trial\",\"stock\":10}");
    get("/pools/admintest").exchange().expectBody().jsonPath("$.prizes[0].stock").isEqualTo(10);
  }

  @Test
  void topUpOutOfRangeIsAProblemWithFieldErrorsAndChangesNothing() {
    for (String body : List.of("{\"amount\":0}", "{\"amount\":1000001}", "{}")) {
      post("/pools/admintest/prizes/trial/topup").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
          .exchange().expectStatus().isBadRequest()
          .expectBody()
          .jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-request")
          .jsonPath("$.errors[0].field").isEqualTo("amount");
    }
    assertThat(blindBox.stock("admintest").block(T)).containsEntry("trial", 2L);
  }

  @Test
  void unknownPoolOrPrizeIsA404Problem() {
    post("/pools/nope/prizes/trial/topup").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("amount", 1))
        .exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-pool");
    post("/pools/admintest/prizes/nope/topup").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("amount", 1))
        .exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-prize");
    get("/pools/nope/stats").exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-pool");
    get("/pools/nope").exchange().expectStatus().isNotFound();
    assertThat(redis.hasKey(RedisKeys.blindboxStock("nope")).block(T)).isFalse();
  }

  @Test
  void uploadsCodesAsTextLinesAndRefusesDuplicatesOfEarlierUploads() {
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.TEXT_PLAIN).bodyValue("A1\r\nA2\n\nA3\nA2\n")
        .exchange().expectStatus().isOk()
        .expectBody().json("{\"pool\":\"admintest\",\"prize\":\"coupon\",\"received\":4,\"accepted\":3,\"duplicates\":1,\"remaining\":3}");
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.APPLICATION_JSON).bodyValue(List.of("A3", "B1"))
        .exchange().expectStatus().isOk()
        .expectBody().json("{\"received\":2,\"accepted\":1,\"duplicates\":1,\"remaining\":4}");
    assertThat(storedCodes()).containsExactly("A1", "A2", "A3", "B1");
    get("/pools/admintest").exchange().expectBody().jsonPath("$.prizes[1].codesRemaining").isEqualTo(4);
  }

  @Test
  void uploadWithAnInvalidCodeIsRefusedWithFieldErrorsAndNothingStored() {
    String tooLong = "X".repeat(65);
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.TEXT_PLAIN)
        .bodyValue("GOOD1\nhas space\n" + tooLong + "\n优惠码\n")
        .exchange().expectStatus().isBadRequest()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-request")
        .jsonPath("$.errors.length()").isEqualTo(3)
        .jsonPath("$.errors[0].field").isEqualTo("codes[1]")
        .jsonPath("$.errors[1].field").isEqualTo("codes[2]")
        .jsonPath("$.errors[2].field").isEqualTo("codes[3]");
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.APPLICATION_JSON).bodyValue("[\"OK\", 5]")
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("codes[1]");
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"codes\":1}")
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("codes");
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.TEXT_PLAIN).bodyValue("\n\n")
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:invalid-request");
    assertThat(storedCodes()).isEmpty();
    assertThat(redis.hasKey(RedisKeys.blindboxCodesSeen("admintest", "coupon")).block(T)).isFalse();
  }

  @Test
  void uploadOfMoreThanOneHundredThousandCodesIsRefused() {
    String body = IntStream.range(0, 100_001).mapToObj(i -> "C" + i).collect(Collectors.joining("\n"));
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.TEXT_PLAIN).bodyValue(body)
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.errors[0].field").isEqualTo("codes");
    assertThat(storedCodes()).isEmpty();
  }

  @Test
  void uploadOfOneHundredThousandCodesIsAccepted() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String body = IntStream.range(0, 100_000).mapToObj(i -> run + "-" + i).collect(Collectors.joining("\n"));
    post("/pools/admintest/prizes/coupon/codes").contentType(MediaType.TEXT_PLAIN).bodyValue(body)
        .exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.accepted").isEqualTo(100_000);
  }

  @Test
  void codesForANonCouponPrizeAreAConflictProblem() {
    post("/pools/admintest/prizes/trial/codes").contentType(MediaType.TEXT_PLAIN).bodyValue("A\n")
        .exchange().expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:not-a-coupon-prize");
  }

  @Test
  void personDrawsStatsAndBlacklistThroughTheApi() {
    String person = "admin-" + UUID.randomUUID();
    String banned = "banned-" + UUID.randomUUID();
    web.put().uri(BASE + "/blacklist/" + banned).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isNoContent();
    get("/blacklist/" + banned).exchange().expectStatus().isOk()
        .expectBody().json("{\"blacklisted\":true}");
    blindBox.draw(person, "follow", "admintest").block(T);
    blindBox.draw(person, "questionnaire", "admintest").block(T);
    blindBox.draw(banned, "follow", "admintest").block(T);
    web.delete().uri(BASE + "/blacklist/" + banned).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isNoContent();
    get("/blacklist/" + banned).exchange().expectBody().json("{\"blacklisted\":false}");

    get("/persons/" + person + "/draws").exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.length()").isEqualTo(2)
        .jsonPath("$[0].step").isEqualTo("follow")
        .jsonPath("$[0].poolId").isEqualTo("admintest")
        .jsonPath("$[0].outcome").isEqualTo("WON")
        .jsonPath("$[0].prizeId").isEqualTo("trial")
        .jsonPath("$[0].kind").isEqualTo("SAMPLE")
        .jsonPath("$[0].drawnAt").exists()
        .jsonPath("$[1].outcome").isEqualTo("FALLBACK") // limit 1 per person, and the coupon has no codes
        .jsonPath("$[1].prizeName").isEqualTo("谢谢参与 + 10 积分");
    get("/pools/admintest/stats").exchange().expectStatus().isOk()
        .expectBody().json("{\"poolId\":\"admintest\",\"wonByPrize\":{\"trial\":1,\"coupon\":0},\"won\":1,"
            + "\"fallbacks\":1,\"empties\":0,\"blacklisted\":1,\"draws\":3}");
  }
}

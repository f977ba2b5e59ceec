package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import io.siyu.admin.Problem;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The profile and segment admin API: shapes, problems with stable slugs, background builds. */
@SiyuIntegrationTest
@TestPropertySource(properties = {"siyu.audience.segments[0].name=configured-nobody",
    "siyu.audience.segments[0].expression=id == 'nobody'", "siyu.audience.segments[0].description=配置的分群"})
class AudienceAdminIntegrationTest {

  private static final Duration T = Duration.ofSeconds(10);

  @Autowired WebTestClient web;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired ProfileChanges changes;
  @Autowired AudienceEvaluator evaluator;

  private ProfileWriter writer;
  private String prefix;

  @BeforeEach
  void setUp() {
    writer = new ProfileWriter(redis, changes);
    prefix = "adm" + UUID.randomUUID().toString().substring(0, 8);
    redis.delete(RedisKeys.audienceRebuildLease()).block(T);
  }

  private WebTestClient.RequestHeadersSpec<?> get(String path) {
    return web.get().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER);
  }

  private WebTestClient.ResponseSpec put(String path, Object body) {
    return web.put().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private WebTestClient.ResponseSpec post(String path, Object body) {
    return web.post().uri("/api/v1" + path).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  @Test
  void anInvalidExpressionIsA400ProblemWithItsPositionAndNothingIsStored() {
    String name = prefix + "-bad";
    put("/segments/" + name, Map.of("expression", "stage == 'growth' and T(java.lang.Runtime).getRuntime() != null"))
        .expectStatus().isBadRequest()
        .expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "invalid-expression")
        .jsonPath("$.position").isEqualTo(22);
    get("/segments/" + name).exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "segment-not-found");
    post("/segments/preview", Map.of("expression", "name.toString() == 'x'")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.position").isEqualTo(5);
    put("/segments/Bad Name", Map.of("expression", "true")).expectStatus().isBadRequest();
  }

  @Test
  void aNewSegmentIsBuiltAtOnceAndListedWithItsSizeMembersAndAPersonsSegments() {
    String a = prefix + "a";
    String b = prefix + "b";
    writer.set(a, Map.of("id", a, "t:skin:oily", "1", "firstSeen", "1"));
    writer.set(b, Map.of("id", b, "firstSeen", "1"));
    String name = prefix + "-oily";
    String expr = "id.startsWith('" + prefix + "') and tags.contains('skin:oily')";
    put("/segments/" + name, Map.of("expression", expr, "description", "油性肌")).expectStatus().isCreated()
        .expectBody().jsonPath("$.source").isEqualTo("api").jsonPath("$.updatedBy").isEqualTo("test-operator");
    await().atMost(T).until(() -> redis.opsForSet().isMember(RedisKeys.segmentMembers(name), a).block(T));
    get("/segments/" + name + "/rebuild").exchange().expectStatus().isOk();
    get("/segments/" + name).exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.size").isEqualTo(1).jsonPath("$.description").isEqualTo("油性肌");
    get("/segments/" + name + "/members?sample=5").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.size").isEqualTo(1).jsonPath("$.sample[0]").isEqualTo(a);
    get("/segments/" + name + "/size").exchange().expectStatus().isOk().expectBody().jsonPath("$.size").isEqualTo(1);
    get("/persons/" + a + "/segments").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$[0]").isEqualTo(name);
    get("/persons/" + a + "/profile").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.profile.tags[0]").isEqualTo("skin:oily")
        .jsonPath("$.profile.stage").isEqualTo("churned") // first seen in 1970, silent since
        .jsonPath("$.profile.rfm.r").isEqualTo(1)
        .jsonPath("$.segments[0]").isEqualTo(name);
    get("/segments").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$[?(@.name=='configured-nobody')].source").isEqualTo("config")
        .jsonPath("$[?(@.name=='" + name + "')].size").isEqualTo(1);

    post("/segments/preview", Map.of("expression", "id.startsWith('" + prefix + "')", "sample", 5))
        .expectStatus().isOk().expectBody().jsonPath("$.size").isEqualTo(2);

    // an update rebuilds too
    put("/segments/" + name, Map.of("expression", "id.startsWith('" + prefix + "') and !tags.contains('skin:oily')"))
        .expectStatus().isOk();
    await().atMost(T).until(() -> redis.opsForSet().isMember(RedisKeys.segmentMembers(name), b).block(T)
        && !redis.opsForSet().isMember(RedisKeys.segmentMembers(name), a).block(T));
    post("/segments/" + name + "/rebuild", Map.of()).expectStatus().isAccepted();

    web.delete().uri("/api/v1/segments/" + name).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isNoContent();
    await().atMost(T).until(() -> !redis.hasKey(RedisKeys.segmentMembers(name)).block(T));
    get("/segments/" + name).exchange().expectStatus().isNotFound();
  }

  @Test
  void configuredSegmentsCannotBeChangedThroughTheApi() {
    put("/segments/configured-nobody", Map.of("expression", "true")).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "segment-configured");
    web.delete().uri("/api/v1/segments/configured-nobody").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isEqualTo(409);
    get("/segments/configured-nobody").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.source").isEqualTo("config");
  }

  @Test
  void viewersCannotDefineSegmentsAndUnknownPersonsAre404() {
    web.put().uri("/api/v1/segments/" + prefix).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", "true")).exchange()
        .expectStatus().isForbidden();
    get("/persons/nobody-" + prefix + "/profile").exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "person-not-found");
  }
}

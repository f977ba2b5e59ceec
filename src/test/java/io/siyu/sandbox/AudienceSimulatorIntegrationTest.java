package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import io.siyu.blindbox.BlindBox;
import io.siyu.journey.Journey;
import io.siyu.outbox.Outbox;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import io.siyu.infra.RedisKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The simulated audience end to end: real callbacks through the ingress, the inbox consumer, the journey,
 * the questionnaire page, the blind box and the outbox's welcome delivery. The funnel and draw counts grow
 * by exactly the implied numbers (deltas: the embedded Redis is shared with other test classes).
 */
@SiyuIntegrationTest
@DirtiesContext
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestPropertySource(properties = {"siyu.inbox.enabled=true", "siyu.outbox.enabled=true",
    "siyu.outbox.poll-interval=200ms", "siyu.outbox.quiet-hours.start=00:00", "siyu.outbox.quiet-hours.end=00:00"})
class AudienceSimulatorIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);

  @Autowired WebTestClient web;
  @Autowired AudienceSimulator simulator;
  @Autowired Journey journey;
  @Autowired BlindBox blindBox;
  @Autowired Outbox outbox;
  @Autowired ReactiveStringRedisTemplate redis;

  @Test
  void twelvePersonsReachTheFunnelAndTheDrawsExactlyAsImplied() {
    Map<String, Long> before = counts();

    AudienceSimulator.AudienceReport started = web.post().uri("/sandbox/simulate/audience")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("count", 12, "seconds", 2, "questionnaireRate", 0.6, "joinRate", 0.4))
        .exchange().expectStatus().isAccepted()
        .expectBody(AudienceSimulator.AudienceReport.class).returnResult().getResponseBody();
    assertThat(started.implied()).isEqualTo(new AudienceSimulator.Implied(12, 7, 4));

    // a second run while this one is going is refused
    web.post().uri("/sandbox/simulate/audience").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("count", 1)).exchange().expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:sandbox-audience-running");

    await().atMost(Duration.ofSeconds(60)).until(() -> "finished".equals(progress().status()));
    AudienceSimulator.AudienceReport done = progress();
    assertThat(done.added()).isEqualTo(12);
    assertThat(done.questionnaires()).isEqualTo(7);
    assertThat(done.joined()).isEqualTo(4);
    assertThat(done.addFailed() + done.questionnaireFailed() + done.joinFailed() + done.personTimeouts()).isZero();
    assertThat(done.welcome().sent()).isEqualTo(12);
    assertThat(done.welcome().missed()).isZero();
    assertThat(done.welcome().p99Ms()).isNotNull().isLessThanOrEqualTo(20_000L);

    await().atMost(T).untilAsserted(() -> assertThat(delta(before, counts())).containsExactlyInAnyOrderEntriesOf(
        Map.of("funnel:follow", 12L, "funnel:questionnaire", 7L, "funnel:join_group", 4L,
            "draws:follow", 12L, "draws:questionnaire", 7L, "draws:join_group", 4L, "outbox:welcome", 12L)));
    // nothing left for the classes after this one (their outbox workers are driven by hand)
    await().atMost(T).until(() -> {
      Map<String, Long> byStatus = outbox.stats().block(T).byStatus();
      return byStatus.getOrDefault("queued", 0L) + byStatus.getOrDefault("sending", 0L) == 0;
    });
  }

  /**
   * This context's sandbox issued the access tokens WxJava keeps in the shared Redis; the next context's
   * sandbox would refuse them (40014), adding a retried call to that class's call log.
   */
  @AfterAll
  void forgetTheAccessTokensOfThisSandbox() {
    redis.keys(RedisKeys.wecomTokenPrefix() + "*").flatMap(redis::delete).then().block(T);
  }

  @Test
  void rejectsAnInvalidAudience() {
    web.post().uri("/sandbox/simulate/audience").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("count", 0)).exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:sandbox-audience-invalid");
    web.post().uri("/sandbox/simulate/audience").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("count", 5, "joinRate", 1.5)).exchange().expectStatus().isBadRequest();
  }

  private AudienceSimulator.AudienceReport progress() {
    return web.get().uri("/sandbox/simulate/audience").header("Authorization", "Bearer " + AdminTokens.VIEWER)
        .exchange().expectStatus().isOk().expectBody(AudienceSimulator.AudienceReport.class).returnResult()
        .getResponseBody();
  }

  private Map<String, Long> counts() {
    Map<String, Long> out = new LinkedHashMap<>();
    journey.funnelCounts(null).block(T).forEach((step, n) -> out.put("funnel:" + step.id(), n));
    for (String pool : new String[] {"follow", "questionnaire", "join_group"}) {
      out.put("draws:" + pool, blindBox.stats(pool).block(T).draws());
    }
    out.put("outbox:welcome", outbox.stats().block(T).sentByChannel().getOrDefault("welcome", 0L));
    return out;
  }

  private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new LinkedHashMap<>();
    after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
    return d;
  }

}

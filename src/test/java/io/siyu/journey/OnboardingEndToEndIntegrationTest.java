package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import io.siyu.blindbox.BlindBox;
import io.siyu.blindbox.DrawResult;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.Outbox;
import io.siyu.sandbox.CallbackSimulator;
import io.siyu.sandbox.SandboxContact;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One customer's onboarding with nothing replaced or spied on: encrypted callbacks from the sandbox's
 * simulator → ingress → inbox stream → inbox consumer → journey → the real blind box and outbox (Redis),
 * and the questionnaire page over HTTP. Only real state is asserted: draws, outbox entries, the funnel.
 */
@SiyuIntegrationTest
@TestPropertySource(properties = "siyu.inbox.enabled=true")
@DirtiesContext
class OnboardingEndToEndIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Autowired CallbackSimulator simulator;
  @Autowired SandboxWecom sandbox;
  @Autowired BlindBox blindBox;
  @Autowired Outbox outbox;
  @Autowired QuestionnaireLinks links;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired WebTestClient web;

  @Test
  void aCustomerFollowsAnswersTheQuestionnaireAndJoinsAGroupEarningThreeDrawsOnce() {
    String ext = "wmE2E" + UUID.randomUUID().toString().replace("-", "").substring(0, 14);
    String personId = "oE2E" + ext;
    String state = "poster-e2e-" + ext.substring(5, 13);
    sandbox.putContact(new SandboxContact(ext, "小红", "http://a/e2e.png", 2, personId,
        List.of(new SandboxContact.Follow("zhangsan", "", List.of(), 1_700_000_000L, state))));
    // Redis is shared by the test JVM: entries other test classes appended (their consumers are off) are
    // drained by this consumer first, some into the dead letters; measure from there
    awaitInboxDrained();
    long deadBefore = deadLetters();

    // 1. the customer adds the staff member: draw #1 and the welcome, queued with the event's WelcomeCode
    CallbackSimulator.Result added = simulate("add_external_contact",
        new CallbackSimulator.Request("zhangsan", ext, state, null, null, null, null, null, null, null, null, null,
            null, null, null, null));
    String welcomeCode = (String) added.issued().get("welcomeCode");
    assertThat(welcomeCode).isNotBlank();
    String welcomeKey = "journey:" + personId + ":follow:welcome";
    await().atMost(T).until(() -> outbox.status(welcomeKey).blockOptional(T).isPresent());
    assertThat(draws(personId)).extracting(DrawResult::step).containsExactly("follow");
    DrawResult followDraw = draws(personId).get(0);
    assertThat(followDraw.outcome()).isIn(DrawResult.Outcome.WON, DrawResult.Outcome.FALLBACK);
    assertThat(followDraw.prizeName()).isIn(prizeNames("follow"));
    assertThat(outbox.status(welcomeKey).block(T).status()).isEqualTo("queued");
    JsonNode welcome = storedMessage(welcomeKey);
    assertThat(welcome.path("to").path("welcomeCode").asString()).isEqualTo(welcomeCode);
    assertThat(welcome.path("to").path("externalUserId").asString()).isEqualTo(ext);
    assertThat(welcome.path("content").path("text").asString()).contains(followDraw.prizeName(), "/q/");

    // 2. the questionnaire page at the person's link, submitted with valid answers: draw #2
    String link = links.linkFor(personId).block(T);
    String token = link.substring(link.indexOf("/q/") + 3);
    String[] parts = token.split("\\.");
    // the welcome carries a link for the same person and purpose (its expiry may be a second earlier)
    assertThat(welcome.path("content").path("text").asString())
        .contains(link.substring(0, link.indexOf("/q/") + 3) + parts[0] + "." + parts[1] + ".");
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add("q.constellation", "leo");
    form.add("q.skin", "oily");
    form.add("q.concerns", "acne");
    form.add("q.nickname", "小红");
    String page = web.post().uri("/q/{token}", token).contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData(form)).exchange()
        .expectStatus().isEqualTo(HttpStatus.OK)
        .expectBody(String.class).returnResult().getResponseBody();
    DrawResult questionnaireDraw = drawOf(personId, "questionnaire");
    assertThat(questionnaireDraw.prizeName()).isIn(prizeNames("questionnaire"));
    assertThat(page).contains("感谢填写！你获得了：" + questionnaireDraw.prizeName());
    assertThat(outbox.status("journey:" + personId + ":questionnaire:reward").block(T).status()).isEqualTo("queued");

    // 3. the customer joins a group: draw #3
    CallbackSimulator.Request joined = new CallbackSimulator.Request("zhangsan", null, null, null, "wrE2E" + ext,
        "add_member", 3, List.of(ext), null, null, null, null, null, null, null, null);
    simulate("change_external_chat", joined);
    String groupKey = "journey:" + personId + ":join_group:reward";
    await().atMost(T).until(() -> outbox.status(groupKey).blockOptional(T).isPresent());
    assertThat(drawOf(personId, "join_group").prizeName()).isIn(prizeNames("join_group"));
    assertThat(draws(personId)).extracting(DrawResult::step)
        .containsExactlyInAnyOrder("follow", "questionnaire", "join_group");

    // 4. the add and the group events again (new inbox entries: a WeCom re-send, another WelcomeCode): no new draw
    simulate("add_external_contact", new CallbackSimulator.Request("zhangsan", ext, state, null, null, null, null,
        null, null, null, null, null, null, null, null, null));
    simulate("change_external_chat", joined);
    awaitInboxDrained();
    assertThat(deadLetters()).isEqualTo(deadBefore);
    assertThat(draws(personId)).hasSize(3).contains(followDraw, questionnaireDraw);
    assertThat(outbox.status(welcomeKey).block(T).status()).isEqualTo("queued");
    assertThat(storedMessage(welcomeKey).path("to").path("welcomeCode").asString()).isEqualTo(welcomeCode);

    // 5. the channel's funnel: one person at every step
    web.get().uri(b -> b.path("/api/v1/journey/funnel").queryParam("state", state).build())
        .headers(h -> h.setBearerAuth(AdminTokens.VIEWER))
        .exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.channels[0].state").isEqualTo(state)
        .jsonPath("$.channels[0].steps[0].step").isEqualTo("follow")
        .jsonPath("$.channels[0].steps[0].count").isEqualTo(1)
        .jsonPath("$.channels[0].steps[1].step").isEqualTo("questionnaire")
        .jsonPath("$.channels[0].steps[1].count").isEqualTo(1)
        .jsonPath("$.channels[0].steps[2].step").isEqualTo("join_group")
        .jsonPath("$.channels[0].steps[2].count").isEqualTo(1);
  }

  private CallbackSimulator.Result simulate(String kind, CallbackSimulator.Request request) {
    CallbackSimulator.Result result = simulator.simulate(kind, request).block(T);
    assertThat(result.delivered()).as(kind + " " + result.attempts()).isTrue();
    return result;
  }

  private List<DrawResult> draws(String personId) {
    return blindBox.drawsOf(personId).collectList().block(T);
  }

  private DrawResult drawOf(String personId, String step) {
    return draws(personId).stream().filter(d -> d.step().equals(step)).findFirst().orElseThrow();
  }

  private List<String> prizeNames(String poolId) {
    var pool = blindBox.pools().get(poolId);
    List<String> names = new java.util.ArrayList<>(pool.prizes().stream().map(p -> p.name()).toList());
    if (pool.fallback() != null) {
      names.add(pool.fallback().name());
    }
    return names;
  }

  /** The message as the outbox stored it (its entry hash's {@code msg} field). */
  private JsonNode storedMessage(String key) {
    String json = (String) redis.opsForHash().get(RedisKeys.outboxEntry(key), "msg").block(T);
    assertThat(json).as(key).isNotNull();
    return JSON.readTree(json);
  }

  /** Acked entries are deleted from the stream, so an empty stream means every entry was handled. */
  private void awaitInboxDrained() {
    await().atMost(T).until(() -> redis.opsForStream().size(RedisKeys.inboxStream()).blockOptional(T).orElse(0L) == 0);
  }

  private long deadLetters() {
    return redis.opsForStream().size(RedisKeys.inboxDeadLetters()).blockOptional(T).orElse(0L);
  }
}

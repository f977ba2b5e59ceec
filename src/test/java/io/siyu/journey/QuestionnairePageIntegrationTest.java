package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.infra.RedisKeys;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;

/** The H5 page at the signed link, on the real Redis, journey, blind box and sandbox; the journey is spied on. */
@SiyuIntegrationTest
@Import({QuestionnaireDoubles.class, MutableClock.Config.class})
@TestPropertySource(properties = {
    "siyu.journey.questionnaire.intro=<script>alert('x')</script> & 你好",
    "siyu.links.base-url=https://h5.example.com/"})
class QuestionnairePageIntegrationTest {

  private static final Duration T = Duration.ofSeconds(15);

  @Autowired WebTestClient web;
  @Autowired QuestionnaireTokens tokens;
  @Autowired QuestionnaireLinks links;
  @Autowired QuestionnaireStore store;
  @Autowired QuestionnaireDoubles.RecordingJourney journey;
  @Autowired PersonStore persons;
  @Autowired SandboxWecom sandbox;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;

  private String personA;
  private String extA;

  @BeforeEach
  void person() {
    clock.set(java.time.Instant.now());
    personA = "oUnionA" + UUID.randomUUID().toString().substring(0, 8);
    extA = "wmA" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    QuestionnaireDoubles.addPerson(persons, personA, extA, "zhangsan");
    sandbox.addFollow(extA, "zhangsan", null);
  }

  @Test
  void linkIsBaseUrlSlashQSlashAVerifiableTokenForThePerson() {
    String link = links.linkFor(personA).block(T);
    assertThat(link).startsWith("https://h5.example.com/q/");
    assertThat(tokens.verify(link.substring(link.lastIndexOf('/') + 1)))
        .isEqualTo(QuestionnaireTokens.Result.valid(personA));
  }

  @Test
  void rendersAChineseMobilePageWithEveryConfiguredValueEscaped() {
    String body = get(tokens.sign(personA), HttpStatus.OK);
    assertThat(body).contains("<html lang=\"zh-CN\">")
        .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .contains("你的星座是？").contains("狮子座").contains("name=\"q.constellation\"").contains("提交")
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 你好")
        .doesNotContain("<script>");
  }

  @Test
  void showsAnswersSavedEarlierThroughTheChat() {
    store.save(personA, QuestionnaireStore.Save.page(List.of(
        new QuestionnaireStore.Answer("skin", "dry", List.of("skin:dry")),
        new QuestionnaireStore.Answer("nickname", "小<b>美", List.of())))).block(T);
    String body = get(tokens.sign(personA), HttpStatus.OK);
    assertThat(body).contains("value=\"dry\" checked").contains("value=\"小&lt;b&gt;美\"")
        .doesNotContain("value=\"oily\" checked");
  }

  @Test
  void expiredLinkGetsAClearChinesePageWith410() {
    String token = tokens.sign(personA);
    clock.advance(Duration.ofDays(7).plusSeconds(1));
    assertThat(get(token, HttpStatus.GONE)).contains("链接已过期").contains("<html");
    assertThat(post(token, validForm(), HttpStatus.GONE)).contains("链接已过期");
    assertNothingStored(personA);
  }

  @Test
  void tamperedLinksGetAClearChinesePageWith403() {
    String token = tokens.sign(personA);
    // SignedLinks tokens: <purpose>.<base64url person id>.<expiry epoch seconds>.<mac>
    String[] parts = token.split("\\.");
    assertThat(parts).hasSize(4);
    String longer = parts[0] + "." + parts[1] + "." + (Long.parseLong(parts[2]) + 86_400) + "." + parts[3];
    String badMac = parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3].substring(0, parts[3].length() - 2)
        + "AA";
    String otherPurpose = "admin." + parts[1] + "." + parts[2] + "." + parts[3];
    for (String t : List.of(longer, badMac, otherPurpose, "garbage", "a.b.c", "a.b.c.d", token + "x")) {
      assertThat(get(t, HttpStatus.FORBIDDEN)).as(t).contains("链接无效");
      assertThat(post(t, validForm(), HttpStatus.FORBIDDEN)).as(t).contains("链接无效");
    }
    assertNothingStored(personA);
  }

  @Test
  void aLinkForAOnlyEverSubmitsForA() {
    String personB = "oUnionB" + UUID.randomUUID().toString().substring(0, 8);
    QuestionnaireDoubles.addPerson(persons, personB, "wmB" + personB, "zhangsan");
    String tokenA = tokens.sign(personA);
    String tokenB = tokens.sign(personB);
    // A's signature on B's id is not a token for B
    String[] a = tokenA.split("\\.");
    String forged = a[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(personB.getBytes(StandardCharsets.UTF_8)) + "." + a[2] + "." + a[3];
    assertThat(post(forged, validForm(), HttpStatus.FORBIDDEN)).contains("链接无效");

    MultiValueMap<String, String> form = validForm();
    form.add("personId", personB);
    form.add("person", personB);
    post(tokenA, form, HttpStatus.OK);

    assertThat(redis.opsForHash().entries(RedisKeys.questionnaireAnswers(personA)).collectList().block(T)).hasSize(4);
    assertNothingStored(personB);
    assertThat(journey.calls(personA)).isEqualTo(1);
    assertThat(journey.calls(personB)).isZero();
    assertThat(tokenB).isNotEqualTo(tokenA);
  }

  @Test
  void invalidAnswersAre400WithFieldErrorsAndNothingStored() {
    String token = tokens.sign(personA);
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add("q.constellation", "ophiuchus");                 // unknown option
    form.add("q.concerns", "acne");
    form.add("q.concerns", "<img src=x>");                    // unknown option, echoed escaped nowhere
    form.add("q.nickname", "长".repeat(21));                  // too long
    // q.skin (required) missing
    String body = post(token, form, HttpStatus.BAD_REQUEST);
    assertThat(body).contains("请检查标红的问题后再提交").contains("选项无效，请重新选择").contains("此题必答")
        .contains("最多 20 个字").contains("class=\"bad\"").doesNotContain("<img");
    assertNothingStored(personA);

    MultiValueMap<String, String> unknownQuestion = validForm();
    unknownQuestion.add("q.hacker", "1");
    assertThat(post(token, unknownQuestion, HttpStatus.BAD_REQUEST)).contains("问卷内容已更新");
    assertNothingStored(personA);
    assertThat(journey.calls(personA)).isZero();
  }

  @Test
  void validSubmitStoresAnswersAndTagsMarksMappedTagsAndEarnsTheDrawOnce() {
    sandbox.clearCalls();
    String token = tokens.sign(personA);
    String body = post(token, validForm(), HttpStatus.OK);
    String prize = QuestionnaireDoubles.prizeLabel(journey.questionnaireDraw(personA));
    assertThat(body).contains("感谢填写！你获得了：" + prize);

    assertThat(redis.<String, String>opsForHash().entries(RedisKeys.questionnaireAnswers(personA))
        .collectMap(e -> e.getKey(), e -> e.getValue()).block(T))
        .containsEntry("constellation", "leo").containsEntry("skin", "oily")
        .containsEntry("concerns", "acne,hydration").containsEntry("nickname", "小美");
    assertThat(store.tags(personA).block(T))
        .containsExactly("concern:acne", "concern:hydration", "constellation:leo", "skin:oily");
    List<SandboxCall> marks = sandbox.calls("externalcontact/mark_tag").stream()
        .filter(c -> extA.equals(c.request().get("external_userid"))).toList();
    assertThat(marks).hasSize(1);
    assertThat(marks.get(0).errcode()).isZero();
    assertThat(marks.get(0).request()).containsEntry("userid", "zhangsan");
    assertThat(marks.get(0).request().get("add_tag").toString()).contains("etSkinOily");
    assertThat(sandbox.contact(extA).orElseThrow().follows().get(0).tags()).containsExactly("etSkinOily");
    assertThat(journey.calls(personA)).isEqualTo(1);
    // the profile got the answers and tags (fields a:<question>, t:<tag>)
    io.siyu.audience.Person profile = persons.find(personA).block(T);
    assertThat(profile.answers()).containsEntry("skin", "oily").containsEntry("concerns", "acne,hydration");
    assertThat(profile.tags()).contains("skin:oily", "concern:acne");

    // a second submission earns nothing and changes nothing, and shows the earlier prize
    MultiValueMap<String, String> other = validForm();
    other.set("q.skin", "dry");
    assertThat(post(token, other, HttpStatus.OK)).contains("你已经填写过问卷啦，奖品：" + prize);
    assertThat(get(token, HttpStatus.OK)).contains("你已经填写过问卷啦");
    assertThat(redis.opsForHash().get(RedisKeys.questionnaireAnswers(personA), "skin").block(T)).isEqualTo("oily");
    assertThat(journey.calls(personA)).isEqualTo(1);
  }

  @Test
  void concurrentSubmitsCompleteOnceAndAllShowThePrize() {
    String token = tokens.sign(personA);
    List<CompletableFuture<String>> all = IntStream.range(0, 8)
        .mapToObj(i -> CompletableFuture.supplyAsync(() -> post(token, validForm(), HttpStatus.OK))).toList();
    List<String> bodies = all.stream().map(CompletableFuture::join).toList();
    String prize = QuestionnaireDoubles.prizeLabel(journey.questionnaireDraw(personA));
    assertThat(bodies).allSatisfy(b -> assertThat(b).contains(prize));
    assertThat(bodies.stream().filter(b -> b.contains("感谢填写"))).hasSize(1);
    assertThat(journey.calls(personA)).isEqualTo(1);
    await().atMost(T).until(() -> redis.opsForHash().get(RedisKeys.questionnaireState(personA), "prize")
        .block(T) != null);
  }

  private MultiValueMap<String, String> validForm() {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add("q.constellation", "leo");
    form.add("q.skin", "oily");
    form.add("q.concerns", "hydration");
    form.add("q.concerns", "acne");
    form.add("q.nickname", " 小美 ");
    return form;
  }

  private String get(String token, HttpStatus status) {
    return web.get().uri("/q/{token}", token).exchange()
        .expectStatus().isEqualTo(status)
        .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
        .expectBody(String.class).returnResult().getResponseBody();
  }

  private String post(String token, MultiValueMap<String, String> form, HttpStatus status) {
    return web.post().uri("/q/{token}", token).contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData(form)).exchange()
        .expectStatus().isEqualTo(status)
        .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
        .expectBody(String.class).returnResult().getResponseBody();
  }

  private void assertNothingStored(String personId) {
    for (String key : List.of(RedisKeys.questionnaireAnswers(personId), RedisKeys.questionnaireAnswerTags(personId),
        RedisKeys.questionnaireState(personId), RedisKeys.questionnaireTags(personId))) {
      assertThat(redis.hasKey(key).block(T)).as(key).isFalse();
    }
  }
}

package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.inbox.InboxAppender;
import io.siyu.inbox.InboxEvent;
import io.siyu.infra.RedisKeys;
import io.siyu.journey.Journey;
import io.siyu.journey.Step;
import io.siyu.sandbox.CallbackSimulator;
import io.siyu.sandbox.CallbackSimulator.KfInput;
import io.siyu.sandbox.CallbackSimulator.Request;
import io.siyu.sandbox.SandboxContact;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * Every source of interactions through the real path: encrypted callbacks from the sandbox's simulator →
 * ingress → inbox → consumer → handlers → {@link Interactions} (real Redis). Redeliveries are the same
 * payload appended to the inbox again under another dedupe key, so every handler runs on it twice.
 */
@SiyuIntegrationTest
@TestPropertySource(properties = {
    "siyu.inbox.enabled=true",
    "siyu.growth.kinds.questionnaire.growth=20",
    "siyu.growth.kinds.questionnaire.points=7",
    "siyu.growth.kinds.checkin.growth=2",
    "siyu.growth.kinds.checkin.daily-cap=2",
    "siyu.growth.kinds.checkin.points=3"})
@Import(MutableClock.Config.class)
@DirtiesContext
class InteractionSourcesIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final String ADD = "event:change_external_contact:add_external_contact";
  private static final String CHAT_UPDATE = "event:change_external_chat:update";

  @Autowired CallbackSimulator simulator;
  @Autowired SandboxWecom sandbox;
  @Autowired InboxAppender inbox;
  @Autowired PersonStore persons;
  @Autowired Journey journey;
  @Autowired Interactions interactions;
  @Autowired Points points;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired MutableClock clock;

  private long deadBefore;

  @BeforeEach
  void drainOthers() {
    // 10:00 in Shanghai: the day boundary is far on both sides
    clock.set(Instant.parse("2026-03-02T02:00:00Z"));
    // Redis is shared by the test JVM: entries other test classes appended (their consumers are off) are
    // drained by this consumer first, some into the dead letters; measure from there
    awaitInboxDrained();
    deadBefore = deadLetters();
  }

  @Test
  void journeyStepsRecordTheirInteractionsGrowthAndPointsOnceUnderRedelivery() {
    String ext = newExt();
    String personId = "oIx" + ext;
    sandbox.putContact(contact(ext, personId, "poster-ix"));

    CallbackSimulator.Result added = simulate("add_external_contact",
        new Request("zhangsan", ext, "poster-ix", null, null, null, null, null, null, null, null, null, null, null, null, null));
    awaitSeen(personId, "follow:zhangsan:" + clock.instant().getEpochSecond());
    journey.completeStep(personId, Step.QUESTIONNAIRE).block(T);
    String chatId = "wrIx" + ext;
    CallbackSimulator.Result joined = simulate("change_external_chat", new Request("zhangsan", null, null, null, chatId,
        "add_member", 3, List.of(ext), null, null, null, null, null, null, null, null));
    awaitSeen(personId, "draw:join_group");

    // redeliveries of every source
    redeliver(added, ADD);
    redeliver(joined, CHAT_UPDATE);
    journey.completeStep(personId, Step.QUESTIONNAIRE).block(T);
    awaitInboxDrained();

    Map<Object, Object> p = profile(personId);
    assertThat(p).containsEntry("n:follow", "1").containsEntry("n:questionnaire", "1")
        .containsEntry("n:group_joined", "1").containsEntry("n:draw", "3")
        .containsEntry("growth", "50").containsEntry("groups", "1").containsEntry("gr:" + chatId, "1");
    assertThat(seen(personId)).contains("draw:follow", "draw:questionnaire", "draw:join_group",
        "questionnaire:journey", "group_joined:" + chatId + ":" + clock.instant().getEpochSecond());
    // the questionnaire's points (7) once
    assertThat(points.balance(personId).block(T).balance()).isEqualTo(7);
    assertThat(deadLetters()).isEqualTo(deadBefore);
  }

  @Test
  void kfChatMenuClickAndCheckinKeywordBecomeInteractionsCheckinOncePerLocalDay() {
    String ext = newExt();
    String personId = storedPerson(ext);

    simulate("kf_msg_or_event", new Request(null, ext, null, null, null, null, null, null, null,
        List.of(new KfInput("你好", null, null), new KfInput("看看新品", "menu-new", null),
            new KfInput("签到", null, null), new KfInput("签到", null, null)),
        null, null, null, null, null, null));
    await().atMost(T).until(() -> "4".equals(profile(personId).get("n:chat")));
    awaitInboxDrained();
    Map<Object, Object> p = profile(personId);
    assertThat(p).containsEntry("n:menu_click", "1").containsEntry("n:checkin", "1");
    assertThat(seen(personId)).contains("checkin:checkin:2026-03-02");

    // the next local day: another check-in
    clock.advance(Duration.ofDays(1));
    simulate("kf_msg_or_event", new Request(null, ext, null, null, null, null, null, null, null,
        List.of(new KfInput("签到", null, null)), null, null, null, null, null, null));
    await().atMost(T).until(() -> "2".equals(profile(personId).get("n:checkin")));
    awaitInboxDrained();
    assertThat(profile(personId)).containsEntry("n:chat", "5").containsEntry("n:menu_click", "1");
    // check-in points (3) once per day
    assertThat(points.balance(personId).block(T).balance()).isEqualTo(6);
    assertThat(deadLetters()).isEqualTo(deadBefore);
  }

  @Test
  void kfMessagesOfUnknownCustomersAreSkipped() {
    String ext = newExt();
    simulate("kf_msg_or_event", new Request(null, ext, null, null, null, null, null, null, null,
        List.of(new KfInput("签到", null, null)), null, null, null, null, null, null));
    awaitInboxDrained();
    assertThat(deadLetters()).isEqualTo(deadBefore);
  }

  @Test
  void aFollowWithAReferralStateCreditsTheReferrerOnce() {
    String referrer = storedPerson(newExt());
    String ext = newExt();
    String personId = "oRef" + ext;
    String state = "ref-" + referrer;
    sandbox.putContact(contact(ext, personId, state));

    CallbackSimulator.Result added = simulate("add_external_contact",
        new Request("zhangsan", ext, state, null, null, null, null, null, null, null, null, null, null, null, null, null));
    awaitSeen(referrer, "referral:" + personId);
    // a re-add (another event, another WelcomeCode) and a redelivery of the first
    clock.advance(Duration.ofMinutes(5));
    simulate("add_external_contact",
        new Request("zhangsan", ext, state, null, null, null, null, null, null, null, null, null, null, null, null, null));
    redeliver(added, ADD);
    awaitInboxDrained();

    assertThat(profile(referrer)).containsEntry("n:referral", "1").containsEntry("referrals", "1");
    // the re-add is a new follow of the new person, not a new referral
    assertThat(profile(personId)).containsEntry("n:follow", "2");

    // an unknown referrer is skipped
    String other = newExt();
    sandbox.putContact(contact(other, "oRef" + other, "ref-nobody-" + other));
    simulate("add_external_contact",
        new Request("zhangsan", other, "ref-nobody-" + other, null, null, null, null, null, null, null, null, null, null,
            null, null, null));
    awaitSeen("oRef" + other, "draw:follow");
    awaitInboxDrained();
    assertThat(deadLetters()).isEqualTo(deadBefore);
  }

  @Test
  void aGroupLeaveRecordsGroupLeftAndTheGroupsCountDrops() {
    String ext = newExt();
    String personId = storedPerson(ext);
    String chatA = "wrA" + ext;
    String chatB = "wrB" + ext;
    simulate("change_external_chat", new Request("zhangsan", null, null, null, chatA, "add_member", 3, List.of(ext),
        null, null, null, null, null, null, null, null));
    simulate("change_external_chat", new Request("zhangsan", null, null, null, chatB, "add_member", 3, List.of(ext),
        null, null, null, null, null, null, null, null));
    await().atMost(T).until(() -> "2".equals(profile(personId).get("groups")));

    clock.advance(Duration.ofMinutes(1));
    CallbackSimulator.Result left = simulate("change_external_chat", new Request("zhangsan", null, null, null, chatA,
        "del_member", null, List.of(ext, "zhangsan"), null, null, null, null, null, null, null, null));
    await().atMost(T).until(() -> "1".equals(profile(personId).get("groups")));
    redeliver(left, CHAT_UPDATE);
    awaitInboxDrained();

    Map<Object, Object> p = profile(personId);
    assertThat(p).containsEntry("groups", "1").containsEntry("n:group_left", "1").containsEntry("gr:" + chatB, "1")
        .doesNotContainKey("gr:" + chatA);
    assertThat(seen(personId)).contains("group_left:" + chatA + ":" + clock.instant().getEpochSecond());
    assertThat(deadLetters()).isEqualTo(deadBefore);
  }

  @Test
  void aTemplateCardClickAboutAPersonIsRecordedOncePerMember() {
    String personId = storedPerson(newExt());
    String taskId = CardTasks.taskId(personId, "koc1");
    assertThat(taskId).isEqualTo("siyu@" + personId + "@koc1");
    CallbackSimulator.Result clicked = simulate("template_card_event", new Request("lisi", null, null, null, null, null,
        null, null, null, null, "btn-1", taskId, null, null, null, null));
    awaitSeen(personId, "template_card_click:" + taskId + ":lisi");
    redeliver(clicked, "event:template_card_event");
    // cards Siyu did not send about a person, and cards about unknown persons, are skipped
    simulate("template_card_event", new Request("lisi", null, null, null, null, null, null, null, null, null, "btn-1",
        "task-other-" + personId, null, null, null, null));
    simulate("template_card_event", new Request("lisi", null, null, null, null, null, null, null, null, null, "btn-1",
        CardTasks.taskId("nobody-" + personId, "x"), null, null, null, null));
    awaitInboxDrained();
    assertThat(profile(personId)).containsEntry("n:template_card_click", "1");
    assertThat(deadLetters()).isEqualTo(deadBefore);
  }

  @Test
  void aKindsPointsAreAwardedOnceHoweverOftenTheInteractionIsReplayed() {
    String personId = storedPerson(newExt());
    Interaction ix = new Interaction(personId, "questionnaire", "replayed", clock.instant());
    List<Recorded> all = reactor.core.publisher.Flux.range(0, 8)
        .flatMap(i -> interactions.record(ix), 8).collectList().block(T);
    assertThat(all).filteredOn(Recorded::first).hasSize(1);
    assertThat(points.balance(personId).block(T).balance()).isEqualTo(7);
    assertThat(points.ledger(personId, 0, 10).collectList().block(T))
        .singleElement().satisfies(e -> {
          assertThat(e.type()).isEqualTo("earn");
          assertThat(e.key()).isEqualTo("ix:questionnaire:replayed");
          assertThat(e.reason()).isEqualTo("questionnaire");
        });
    // a kind without points earns none
    interactions.record(new Interaction(personId, "chat", "m1", clock.instant())).block(T);
    assertThat(points.balance(personId).block(T).balance()).isEqualTo(7);
  }

  @Test
  void cardTaskIdsNameThePersonBetweenTheFirstTwoSeparators() {
    assertThat(CardTasks.taskId("oP1_x-2", "koc-42")).isEqualTo("siyu@oP1_x-2@koc-42");
    assertThat(CardTasks.personOf("siyu@oP1_x-2@koc-42")).isEqualTo("oP1_x-2");
    assertThat(CardTasks.personOf("siyu@p1@koc@42")).isEqualTo("p1");
    assertThat(CardTasks.personOf("siyu.p1.koc.42")).isEqualTo("p1");
    assertThat(CardTasks.personOf("siyu@p1@")).isNull();
    assertThat(CardTasks.personOf("siyu@@x")).isNull();
    assertThat(CardTasks.personOf("siyu@p1")).isNull();
    assertThat(CardTasks.personOf("siyu_p1_x")).isNull();
    assertThat(CardTasks.personOf("task-1")).isNull();
    assertThat(CardTasks.personOf(null)).isNull();
    // WeCom refuses task ids with other characters or above 128 bytes
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> CardTasks.taskId("p1", "a.b"));
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> CardTasks.taskId("p@1", "x"));
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> CardTasks.taskId("p1", "x".repeat(125)));
  }

  private static String newExt() {
    return "wmIx" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  private static SandboxContact contact(String ext, String unionId, String state) {
    return new SandboxContact(ext, "小明", "http://a/ix.png", 1, unionId,
        List.of(new SandboxContact.Follow("zhangsan", "", List.of(), 1_700_000_000L, state)));
  }

  /** A person stored as externalcontact/get would describe them; the id is the unionid. */
  private String storedPerson(String ext) {
    String personId = "oIx" + ext;
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"" + ext + "\",\"name\":\"顾客\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + personId + "\"},\"follow_user\":[{\"userid\":\"zhangsan\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]}");
    assertThat(persons.upsert(info, "zhangsan", "").block(T)).isEqualTo(personId);
    return personId;
  }

  private CallbackSimulator.Result simulate(String kind, Request request) {
    CallbackSimulator.Result result = simulator.simulate(kind, request).block(T);
    assertThat(result.delivered()).as(kind + " " + result.attempts()).isTrue();
    return result;
  }

  /** The same callback again as a new inbox entry: every handler of its kind runs on it once more. */
  private void redeliver(CallbackSimulator.Result result, String kind) {
    inbox.append(new InboxEvent("", result.app(), kind, "test-redelivery:" + UUID.randomUUID(), InboxEvent.XML,
        result.plainXml(), clock.instant())).block(T);
  }

  private void awaitSeen(String personId, String member) {
    await().atMost(T).until(() -> seen(personId).contains(member));
  }

  private List<String> seen(String personId) {
    return redis.opsForZSet().range(RedisKeys.interactionsSeen(personId), org.springframework.data.domain.Range.unbounded())
        .collectList().block(T);
  }

  private Map<Object, Object> profile(String personId) {
    return redis.opsForHash().entries(RedisKeys.person(personId)).collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .block(T);
  }

  /** Acked entries are deleted from the stream, so an empty stream means every entry was handled. */
  private void awaitInboxDrained() {
    await().atMost(T).until(() -> redis.opsForStream().size(RedisKeys.inboxStream()).blockOptional(T).orElse(0L) == 0);
  }

  private long deadLetters() {
    return redis.opsForStream().size(RedisKeys.inboxDeadLetters()).blockOptional(T).orElse(0L);
  }
}

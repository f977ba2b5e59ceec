package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.Person;
import io.siyu.audience.PersonStore;
import io.siyu.blindbox.DrawResult;
import io.siyu.inbox.InboxEvent;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.OutboxMessage;
import io.siyu.outbox.RecordingOutbox;
import io.siyu.sandbox.CallbackSimulator;
import io.siyu.sandbox.SandboxContact;
import io.siyu.sandbox.SandboxGroup;
import io.siyu.sandbox.SandboxWecom;
import io.siyu.wecom.WecomClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

/**
 * End to end: encrypted callbacks from the sandbox's simulator → ingress → inbox stream → the inbox
 * consumer (enabled here) → the journey handlers → real Redis, the real blind box and outbox and the
 * sandbox's WeCom API. {@link JourneyTestDoubles} adds spies only: draw calls are counted and queued
 * messages' content is kept for assertions.
 */
@SiyuIntegrationTest
@TestPropertySource(properties = "siyu.inbox.enabled=true")
@DirtiesContext
@Import(JourneyTestDoubles.class)
class JourneyIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);

  @Autowired CallbackSimulator simulator;
  @Autowired SandboxWecom sandbox;
  @Autowired PersonStore persons;
  @Autowired Journey journey;
  @Autowired JourneyProperties props;
  @Autowired FollowHandler followHandler;
  @Autowired JoinGroupHandler joinGroupHandler;
  @Autowired WecomClient wecom;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired JourneyTestDoubles.RecordingBlindBox blindBox;
  @Autowired RecordingOutbox outbox;
  @Autowired QuestionnaireTokens tokens;
  @Autowired WebTestClient web;
  @Autowired Clock clock;

  // --- helpers ------------------------------------------------------------------------------------

  private static String ext() {
    return "wmJ" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  private static CallbackSimulator.Request add(String userId, String ext, String state) {
    return new CallbackSimulator.Request(userId, ext, state, null, null, null, null, null, null, null, null, null,
        null, null, null, null);
  }

  private static CallbackSimulator.Request groupAdd(String chatId, String owner, List<String> members) {
    return new CallbackSimulator.Request(owner, null, null, null, chatId, "add_member", 3, members, null, null, null,
        null, null, null, null, null);
  }

  private CallbackSimulator.Result simulate(String kind, CallbackSimulator.Request r) {
    CallbackSimulator.Result result = simulator.simulate(kind, r).block(T);
    assertThat(result.delivered()).as(kind + " " + result.attempts()).isTrue();
    return result;
  }

  private List<Journey.StepRecord> steps(String personId) {
    return journey.steps(personId).block(T);
  }

  private boolean done(String personId, Step step) {
    return steps(personId).stream().anyMatch(s -> s.step() == step && s.draw() != null);
  }

  private void awaitDone(String personId, Step step) {
    await().atMost(T).until(() -> done(personId, step)
        && outbox.status(key(personId, step)).blockOptional(T).isPresent()
        && redis.opsForSet().isMember(RedisKeys.journeyFunnel(step.id()), personId).block(T));
  }

  private static String key(String personId, Step step) {
    return "journey:" + personId + ":" + step.id() + (step == Step.FOLLOW ? ":welcome" : ":reward");
  }

  /** Names of everything a pool can give (its prizes and its fallback), from config/application.yml. */
  private List<String> prizeNames(String poolId) {
    var pool = blindBox.pools().get(poolId);
    return Stream.concat(pool.prizes().stream().map(p -> p.name()),
        Stream.ofNullable(pool.fallback()).map(f -> f.name())).toList();
  }

  private List<DrawResult> drawsOf(String personId) {
    return blindBox.drawsOf(personId).collectList().block(T);
  }

  /** Follows through a simulated add_external_contact; returns the person id (the sandbox gives unionid "o"+ext). */
  private String follow(String ext, String userId, String state) {
    simulate("add_external_contact", add(userId, ext, state));
    String personId = "o" + ext;
    awaitDone(personId, Step.FOLLOW);
    return personId;
  }

  private static String chatXml(String chatId, int memChangeCnt, List<String> members, Instant at) {
    StringBuilder items = new StringBuilder();
    members.forEach(m -> items.append("<Item><![CDATA[").append(m).append("]]></Item>"));
    return "<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        + "<CreateTime>" + at.getEpochSecond() + "</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        + "<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[" + chatId + "]]></ChatId>"
        + "<ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>"
        + "<JoinScene>3</JoinScene><MemChangeCnt>" + memChangeCnt + "</MemChangeCnt><MemChangeList>" + items
        + "</MemChangeList></xml>";
  }

  private static InboxEvent event(String kind, String xml) {
    return new InboxEvent("0-0", "contact", kind, "test:" + UUID.randomUUID(), InboxEvent.XML, xml, Instant.now());
  }

  private long draws(String personId, String step) {
    return drawsOf(personId).stream().filter(d -> d.step().equals(step)).count();
  }

  // --- tests --------------------------------------------------------------------------------------

  @Test
  void wholeJourneyForOnePersonEarnsThreeDrawsAndThreeMessages() {
    String ext = ext();
    String state = "poster-" + ext.substring(3, 9);
    CallbackSimulator.Result added = simulate("add_external_contact", add("zhangsan", ext, state));
    String personId = "o" + ext;
    awaitDone(personId, Step.FOLLOW);

    Person p = persons.find(personId).block(T);
    assertThat(p.externalUserId()).isEqualTo(ext);
    assertThat(p.unionId()).isEqualTo(personId);
    assertThat(p.ownerUserId()).isEqualTo("zhangsan");
    assertThat(p.state()).isEqualTo(state);
    assertThat(p.firstSeen()).isNotNull();
    assertThat(persons.idOfExternalUser(ext).block(T)).isEqualTo(personId);

    DrawResult followDraw = steps(personId).get(0).draw();
    assertThat(followDraw.prizeName()).isIn(prizeNames("follow"));
    OutboxMessage welcome = outbox.get(key(personId, Step.FOLLOW));
    assertThat(outbox.status(welcome.key()).block(T).status()).isEqualTo("queued");
    assertThat(welcome.source()).isEqualTo("journey-welcome");
    assertThat(welcome.to().welcomeCode()).isEqualTo(added.issued().get("welcomeCode"));
    assertThat(welcome.to().externalUserId()).isEqualTo(ext);
    assertThat(welcome.to().ownerUserId()).isEqualTo("zhangsan");
    assertThat(welcome.to().welcomeCodeAt()).isBetween(clock.instant().minusSeconds(30), clock.instant());
    // the poster channel's variant, with the prize and the person's own questionnaire link
    assertThat(welcome.content().text()).contains("海报", followDraw.prizeName());
    Matcher link = Pattern.compile("https?://[^\\s/]+/q/([A-Za-z0-9_.-]+)").matcher(welcome.content().text());
    assertThat(link.find()).as(welcome.content().text()).isTrue();
    assertThat(tokens.verify(link.group(1))).isEqualTo(QuestionnaireTokens.Result.valid(personId));

    Journey.StepOutcome q = journey.completeStep(personId, Step.QUESTIONNAIRE).block(T);
    assertThat(q.first()).isTrue();
    assertThat(q.draw().prizeName()).isIn(prizeNames("questionnaire"));
    OutboxMessage qMsg = outbox.get(key(personId, Step.QUESTIONNAIRE));
    assertThat(qMsg.to().welcomeCode()).isNull();
    assertThat(qMsg.to().ownerUserId()).isEqualTo("zhangsan");
    assertThat(qMsg.content().text()).contains(q.draw().prizeName());

    simulate("change_external_chat", groupAdd("wrJ" + ext, "zhangsan", List.of(ext)));
    awaitDone(personId, Step.JOIN_GROUP);

    assertThat(steps(personId)).extracting(Journey.StepRecord::step)
        .containsExactly(Step.FOLLOW, Step.QUESTIONNAIRE, Step.JOIN_GROUP);
    assertThat(drawsOf(personId)).extracting(DrawResult::step)
        .containsExactlyInAnyOrder("follow", "questionnaire", "join_group");
    assertThat(outbox.to(personId)).extracting(OutboxMessage::key).containsExactlyInAnyOrder(
        "journey:" + personId + ":follow:welcome", "journey:" + personId + ":questionnaire:reward",
        "journey:" + personId + ":join_group:reward");
  }

  @Test
  void replayedAndConcurrentEventsCompleteEachStepOnceWithThreeDrawsInTotal() {
    String ext = ext();
    String personId = "o" + ext;
    // Four concurrent adds of the same pair (distinct WelcomeCodes, so distinct inbox entries)...
    List<CallbackSimulator.Result> adds = Flux.range(0, 4)
        .flatMap(i -> simulator.simulate("add_external_contact", add("zhangsan", ext, null)))
        .collectList().block(T);
    assertThat(adds).allMatch(CallbackSimulator.Result::delivered);
    awaitDone(personId, Step.FOLLOW);
    // ...and an exact replay of one of them (a redelivered entry) handled again
    followHandler.handle(event(FollowHandler.ADD, adds.get(0).plainXml())).block(T);

    List<Journey.StepOutcome> qs = Flux.range(0, 8)
        .flatMap(i -> journey.completeStep(personId, Step.QUESTIONNAIRE)).collectList().block(T);
    assertThat(qs).filteredOn(Journey.StepOutcome::first).hasSize(1);
    assertThat(qs).extracting(o -> o.draw().prizeId()).containsOnly(qs.get(0).draw().prizeId());

    Flux.range(0, 3).flatMap(i -> simulator.simulate("change_external_chat",
        groupAdd("wrJ" + i + ext, "zhangsan", List.of(ext)))).blockLast(T);
    awaitDone(personId, Step.JOIN_GROUP);
    // every entry processed (acked entries are deleted from the stream), so no late completion is missed
    await().atMost(T).until(() -> redis.opsForStream().size(RedisKeys.inboxStream()).block(T) == 0);

    assertThat(draws(personId, "follow")).isEqualTo(1);
    assertThat(draws(personId, "questionnaire")).isEqualTo(1);
    assertThat(draws(personId, "join_group")).isEqualTo(1);
    assertThat(drawsOf(personId)).hasSize(3);
    assertThat(outbox.to(personId)).hasSize(3);
  }

  @Test
  void aReAddThroughAnotherStaffMemberEarnsNoNewDraw() {
    String ext = ext();
    String personId = follow(ext, "zhangsan", "qr-a");
    DrawResult first = steps(personId).get(0).draw();
    int callsBefore = blindBox.calls.get();

    simulate("add_external_contact", add("lisi", ext, "qr-b"));
    await().atMost(T).until(() -> persons.follows(personId).collectList().block(T).size() == 2);
    // the second add completes (stored draw reused, no blind-box call) and queues nothing new
    Journey.StepOutcome again = journey.complete(personId, Step.FOLLOW, null).block(T);
    assertThat(again.first()).isFalse();
    assertThat(again.draw().prizeId()).isEqualTo(first.prizeId());
    assertThat(drawsOf(personId)).hasSize(1);
    assertThat(blindBox.calls.get()).isEqualTo(callsBefore);

    Person p = persons.find(personId).block(T);
    assertThat(p.ownerUserId()).isEqualTo("zhangsan");
    assertThat(p.state()).isEqualTo("qr-a");
    assertThat(persons.follows(personId).collectList().block(T)).extracting(PersonStore.Follow::userId)
        .containsExactlyInAnyOrder("zhangsan", "lisi");
  }

  @Test
  void oneUnionidAcrossTwoExternalUserIdsIsOnePerson() {
    String union = "oUnion" + ext();
    String ext1 = ext();
    String ext2 = ext();
    sandbox.putContact(new SandboxContact(ext1, "李雷", "http://a/1.png", 1, union,
        List.of(new SandboxContact.Follow("zhangsan", "老客户", List.of("VIP"), 1_700_000_000L, "qr-u"))));
    sandbox.putContact(new SandboxContact(ext2, "李雷", "http://a/1.png", 1, union,
        List.of(new SandboxContact.Follow("wangwu", "", List.of(), 1_700_000_100L, ""))));

    simulate("add_external_contact", add("zhangsan", ext1, null));
    awaitDone(union, Step.FOLLOW);
    simulate("add_external_contact", add("wangwu", ext2, null));
    await().atMost(T).until(() -> union.equals(persons.idOfExternalUser(ext2).block(T)));

    Person p = persons.find(union).block(T);
    assertThat(p.externalUserId()).isEqualTo(ext1);
    assertThat(p.name()).isEqualTo("李雷");
    assertThat(p.gender()).isEqualTo(1);
    assertThat(p.remark()).isEqualTo("老客户");
    assertThat(p.tags()).contains("VIP");
    assertThat(p.state()).isEqualTo("qr-u");
    assertThat(persons.idOfExternalUser(ext1).block(T)).isEqualTo(union);
    assertThat(drawsOf(union)).hasSize(1);
    assertThat(persons.find(ext1).block(T)).isNull();
  }

  @Test
  void aContactWithoutUnionidIsKeyedByExternalUserId() {
    String ext = ext();
    sandbox.putContact(new SandboxContact(ext, "韩梅梅", "", 2, null,
        List.of(new SandboxContact.Follow("zhangsan", "", List.of(), 1_700_000_000L, ""))));
    simulate("add_external_contact", add("zhangsan", ext, null));
    awaitDone(ext, Step.FOLLOW);
    assertThat(persons.find(ext).block(T).unionId()).isNull();
  }

  @Test
  void aGroupAddCompletesJoinGroupForKnownCustomersOnlyAmongSeveralMembers() {
    String known1 = ext();
    String known2 = ext();
    String unknown = ext();
    String p1 = follow(known1, "zhangsan", null);
    String p2 = follow(known2, "zhangsan", null);

    simulate("change_external_chat", groupAdd("wrJ" + known1, "zhangsan", List.of(known1, unknown, "lisi", known2)));
    awaitDone(p1, Step.JOIN_GROUP);
    awaitDone(p2, Step.JOIN_GROUP);
    assertThat(persons.idOfExternalUser(unknown).block(T)).isNull();
    assertThat(drawsOf("o" + unknown)).isEmpty();
    assertThat(drawsOf(unknown)).isEmpty();
    assertThat(drawsOf("lisi")).isEmpty();
  }

  @Test
  void aTruncatedMemberListIsReconciledWithGroupchatGet() {
    String listed = ext();
    String unlisted = ext();
    String oldMember = ext();
    String p1 = follow(listed, "zhangsan", null);
    String p2 = follow(unlisted, "zhangsan", null);
    String p3 = follow(oldMember, "zhangsan", null);
    String chatId = "wrJ" + listed;
    long now = clock.instant().getEpochSecond();
    sandbox.addGroupMembers(chatId, "zhangsan", List.of(
        new SandboxGroup.Member(oldMember, 2, null, now - 86_400, 3, "zhangsan", null),
        new SandboxGroup.Member(listed, 2, null, now, 3, "zhangsan", null),
        new SandboxGroup.Member(unlisted, 2, null, now, 3, "zhangsan", null),
        new SandboxGroup.Member("lisi", 1, null, now, 3, "zhangsan", null)));
    sandbox.clearCalls();

    joinGroupHandler.handle(event(JoinGroupHandler.KIND, chatXml(chatId, 3, List.of(listed), clock.instant()))).block(T);

    assertThat(sandbox.calls("externalcontact/groupchat/get")).hasSize(1);
    assertThat(done(p1, Step.JOIN_GROUP)).isTrue();
    assertThat(done(p2, Step.JOIN_GROUP)).isTrue();
    // joined a day ago: not part of this change
    assertThat(done(p3, Step.JOIN_GROUP)).isFalse();
  }

  @Test
  void onlyConfiguredChatsCount() {
    String a = ext();
    String b = ext();
    String c = ext();
    String pa = follow(a, "zhangsan", null);
    String pb = follow(b, "zhangsan", null);
    String pc = follow(c, "zhangsan", null);
    long now = clock.instant().getEpochSecond();
    String listedChat = "wrListed" + a;
    String ownedChat = "wrOwned" + b;
    String otherChat = "wrOther" + c;
    sandbox.addGroupMembers(ownedChat, "wangwu", List.of(new SandboxGroup.Member(b, 2, null, now, 3, "wangwu", null)));
    sandbox.addGroupMembers(otherChat, "zhangsan", List.of(new SandboxGroup.Member(c, 2, null, now, 3, "zhangsan", null)));
    JourneyProperties filtered = new JourneyProperties(props.contactApp(), props.noPrizeText(),
        props.pendingAddTtl(), props.reconcileJoinWindow(), props.steps(), List.of(),
        new JourneyProperties.Groups(false, List.of(listedChat), List.of("wangwu")));
    JoinGroupHandler handler = new JoinGroupHandler(wecom, persons, journey, filtered);

    handler.handle(event(JoinGroupHandler.KIND, chatXml(listedChat, 1, List.of(a), clock.instant()))).block(T);
    handler.handle(event(JoinGroupHandler.KIND, chatXml(ownedChat, 1, List.of(b), clock.instant()))).block(T);
    handler.handle(event(JoinGroupHandler.KIND, chatXml(otherChat, 1, List.of(c), clock.instant()))).block(T);

    assertThat(done(pa, Step.JOIN_GROUP)).isTrue();
    assertThat(done(pb, Step.JOIN_GROUP)).isTrue();
    assertThat(done(pc, Step.JOIN_GROUP)).isFalse();
  }

  @Test
  void aHalfAddWaitsForTheStaffMembersConfirmation() {
    String ext = ext();
    String personId = "o" + ext;
    String state = "poster-half" + ext.substring(3, 8);
    simulate("add_half_external_contact", add("zhangsan", ext, state));
    String pending = RedisKeys.journeyPendingAdd(ext, "zhangsan");
    await().atMost(T).until(() -> state.equals(redis.opsForValue().get(pending).block(T)));
    assertThat(persons.find(personId).block(T)).isNull();
    assertThat(steps(personId)).isEmpty();

    // the confirmation: add_external_contact for the same pair (its State may be empty: the pending one counts)
    simulate("add_external_contact", add("zhangsan", ext, null));
    awaitDone(personId, Step.FOLLOW);
    assertThat(persons.find(personId).block(T).state()).isEqualTo(state);
    assertThat(redis.hasKey(pending).block(T)).isFalse();
    assertThat(drawsOf(personId)).hasSize(1);
  }

  @Test
  void funnelCountsEachPersonOncePerStepByChannel() {
    String state = "qr-funnel-" + ext().substring(3, 11);
    String p1 = follow(ext(), "zhangsan", state);
    String p2 = follow(ext(), "zhangsan", state);
    String e3 = ext();
    String p3 = follow(e3, "zhangsan", state);
    journey.completeStep(p1, Step.QUESTIONNAIRE).block(T);
    journey.completeStep(p2, Step.QUESTIONNAIRE).block(T);
    journey.completeStep(p2, Step.QUESTIONNAIRE).block(T);
    simulate("change_external_chat", groupAdd("wrF" + e3, "zhangsan", List.of(e3)));
    awaitDone(p3, Step.JOIN_GROUP);

    web.get().uri(b -> b.path("/api/v1/journey/funnel").queryParam("state", state).build())
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.overall.steps[0].step").isEqualTo("follow")
        .jsonPath("$.channels[0].state").isEqualTo(state)
        .jsonPath("$.channels[0].steps[0].count").isEqualTo(3)
        .jsonPath("$.channels[0].steps[1].step").isEqualTo("questionnaire")
        .jsonPath("$.channels[0].steps[1].count").isEqualTo(2)
        .jsonPath("$.channels[0].steps[1].rateFromPrevious").isEqualTo(0.6667)
        .jsonPath("$.channels[0].steps[2].step").isEqualTo("join_group")
        .jsonPath("$.channels[0].steps[2].count").isEqualTo(1)
        .jsonPath("$.channels[0].steps[2].rateFromPrevious").isEqualTo(0.5)
        .jsonPath("$.channels[0].steps[2].rateFromFollowed").isEqualTo(0.3333);

    // the overall funnel lists this channel too
    web.get().uri("/api/v1/journey/funnel")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.channels[?(@.state == '" + state + "')].steps[0].count").isEqualTo(3);
  }

  @Test
  void adminShowsAPersonsJourneyAndDraws() {
    String ext = ext();
    String personId = follow(ext, "zhangsan", "qr-admin");
    Journey.StepOutcome q = journey.completeStep(personId, Step.QUESTIONNAIRE).block(T);

    web.get().uri("/api/v1/journey/persons/{id}", personId)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.person.id").isEqualTo(personId)
        .jsonPath("$.person.externalUserId").isEqualTo(ext)
        .jsonPath("$.person.state").isEqualTo("qr-admin")
        .jsonPath("$.follows[0].userId").isEqualTo("zhangsan")
        .jsonPath("$.steps.length()").isEqualTo(2)
        .jsonPath("$.steps[0].step").isEqualTo("FOLLOW")
        .jsonPath("$.draws.length()").isEqualTo(2)
        .jsonPath("$.draws[1].prizeName").isEqualTo(q.draw().prizeName());
  }

  @Test
  void adminAnswersAProblemForAnUnknownPerson() {
    web.get().uri("/api/v1/journey/persons/{id}", "nobody-" + ext())
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER)
        .exchange()
        .expectStatus().isNotFound()
        .expectBody()
        .jsonPath("$.type").isEqualTo("urn:siyu:problem:person-not-found");
  }

  @Test
  void completingAStepForAnUnknownPersonFailsAndWritesNothing() {
    String nobody = "nobody-" + ext();
    assertThat(journey.completeStep(nobody, Step.QUESTIONNAIRE).onErrorResume(Journey.UnknownPersonException.class,
        e -> reactor.core.publisher.Mono.empty()).block(T)).isNull();
    assertThat(redis.hasKey(RedisKeys.journeySteps(nobody)).block(T)).isFalse();
  }
}

package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.inbox.InboxEvent;
import io.siyu.infra.RedisKeys;
import io.siyu.outbox.OutboxMessage;
import io.siyu.outbox.RecordingOutbox;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * The chat flow, driven with inbox events shaped like KfSyncHandler's (WxJava's Gson of a kf/sync_msg
 * item); the handler is called directly. Everything is real (Redis, journey, blind box, outbox, sandbox);
 * the journey and the outbox are spied on to count completions and read queued messages.
 */
@SiyuIntegrationTest
@Import(QuestionnaireDoubles.class)
class QuestionnaireChatIntegrationTest {

  private static final Duration T = Duration.ofSeconds(15);
  private static final String KF = "wkQuestionnaire01";

  @Autowired QuestionnaireChatHandler handler;
  @Autowired QuestionnaireStore store;
  @Autowired QuestionnaireDoubles.RecordingJourney journey;
  @Autowired PersonStore persons;
  @Autowired RecordingOutbox outbox;
  @Autowired SandboxWecom sandbox;
  @Autowired ReactiveStringRedisTemplate redis;

  private final Gson gson = new Gson();
  private String person;
  private String ext;

  @BeforeEach
  void person() {
    person = "oUnionC" + UUID.randomUUID().toString().substring(0, 8);
    ext = "wmC" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    QuestionnaireDoubles.addPerson(persons, person, ext, "lisi");
    sandbox.addFollow(ext, "lisi", null);
  }

  @Test
  void keywordStartsTheQuestionnaireAndClicksAnswerItToCompletionOnce() {
    handle(text("问卷", null));
    OutboxMessage first = last();
    assertThat(first.key()).startsWith("questionnaire:" + person + ":");
    assertThat(first.to().externalUserId()).isEqualTo(ext);
    assertThat(first.to().openKfId()).isEqualTo(KF);
    assertThat(first.content().menu().head()).isEqualTo("你的星座是？");
    assertThat(ids(first)).hasSize(10).startsWith("q:constellation:aries").contains("q:constellation:sagittarius")
        .endsWith("q:constellation:_more:1");

    handle(text("更多选项 »", "q:constellation:_more:1"));
    assertThat(ids(last())).containsExactly("q:constellation:capricorn", "q:constellation:aquarius",
        "q:constellation:pisces", "q:constellation:_more:0");

    handle(text("狮子座", "q:constellation:leo"));
    assertThat(last().content().menu().head()).isEqualTo("你的肤质是？");
    assertThat(ids(last())).containsExactly("q:skin:oily", "q:skin:dry", "q:skin:combination", "q:skin:sensitive",
        "q:skin:normal");

    int sent = outbox.to(person).size();
    handle(text("白羊座", "q:constellation:aries"));           // stale: an earlier question's menu
    handle(text("x", "q:nosuch:leo"));                        // unknown question
    handle(text("x", "q:skin:nosuch"));                       // unknown option
    assertThat(outbox.to(person)).hasSize(sent);
    assertThat(answer("constellation")).isEqualTo("leo");
    assertThat(answer("skin")).isNull();

    handle(text("油性", "q:skin:oily"));
    assertThat(last().content().menu().head()).startsWith("你最关心哪些肌肤问题");
    assertThat(ids(last())).endsWith("q:concerns:_done");

    handle(text("完成", "q:concerns:_done"));                 // required: nothing chosen yet
    assertThat(last().content().menu().tail()).contains("此题必答");
    handle(text("痘痘", "q:concerns:acne"));
    handle(text("毛孔", "q:concerns:pores"));
    handle(text("毛孔", "q:concerns:pores"));
    assertThat(last().content().menu().items().get(0).content()).isEqualTo("✓ 痘痘");
    assertThat(last().content().menu().tail()).contains("已选：痘痘");
    handle(text("补水保湿", "q:concerns:hydration"));
    handle(text("完成", "q:concerns:_done"));
    assertThat(answer("concerns")).isEqualTo("acne,hydration");
    assertThat(last().content().menu().head()).isEqualTo("我们怎么称呼你？（选填）");
    assertThat(ids(last())).containsExactly("q:nickname:_skip");

    handle(text("长".repeat(21), null));
    assertThat(last().content().menu().tail()).contains("最多 20 个字");
    assertThat(answer("nickname")).isNull();
    assertThat(journey.calls(person)).isZero();

    InboxEvent finalAnswer = text("小美", null);
    handle(finalAnswer);
    String prize = QuestionnaireDoubles.prizeLabel(journey.questionnaireDraw(person));
    assertThat(last().content().text()).isEqualTo("感谢填写！你获得了：" + prize);
    assertThat(answer("nickname")).isEqualTo("小美");
    assertThat(store.tags(person).block(T))
        .containsExactly("concern:acne", "concern:hydration", "constellation:leo", "skin:oily");
    assertThat(sandbox.calls("externalcontact/mark_tag").stream()
        .filter(c -> ext.equals(c.request().get("external_userid")) && c.errcode() == 0)).hasSize(1);
    assertThat(journey.calls(person)).isEqualTo(1);

    sent = outbox.to(person).size();
    handle(finalAnswer);                                       // redelivered entry
    handle(text("狮子座", "q:constellation:leo"));             // old menu after completion
    assertThat(outbox.to(person)).hasSize(sent);
    handle(text("问卷", null));
    assertThat(last().content().text()).isEqualTo("你已经填写过问卷啦，奖品：" + prize);
    assertThat(journey.calls(person)).isEqualTo(1);
  }

  @Test
  void enterSessionWithTheConfiguredSceneStartsAndOtherScenesDoNot() {
    handle(event("other_scene"));
    assertThat(outbox.to(person)).isEmpty();
    handle(event("questionnaire"));
    assertThat(ids(last())).startsWith("q:constellation:aries");
  }

  @Test
  void redeliveredClickChangesNothingAndSendsNothingTwice() {
    handle(text("问卷", null));
    InboxEvent click = text("狮子座", "q:constellation:leo");
    handle(click);
    int sent = outbox.to(person).size();
    handle(click);
    assertThat(outbox.to(person)).hasSize(sent);
    assertThat(redis.opsForHash().get(RedisKeys.questionnaireState(person), "current").block(T)).isEqualTo("skin");
  }

  @Test
  void concurrentFinalAnswersCompleteOnce() {
    store.save(person, QuestionnaireStore.Save.page(List.of(
        new QuestionnaireStore.Answer("constellation", "leo", List.of("constellation:leo")),
        new QuestionnaireStore.Answer("skin", "dry", List.of("skin:dry")),
        new QuestionnaireStore.Answer("concerns", "pores", List.of("concern:pores"))))).block(T);
    assertThat(redis.opsForHash().get(RedisKeys.questionnaireState(person), "current").block(T)).isEqualTo("nickname");
    List<InboxEvent> answers = IntStream.range(0, 6).mapToObj(i -> text("名字" + i, null)).toList();
    answers.stream().map(e -> CompletableFuture.runAsync(() -> handle(e))).toList().forEach(CompletableFuture::join);
    assertThat(journey.calls(person)).isEqualTo(1);
    // one thank-you in the chat (the journey's own reward message is keyed per step, so also once)
    assertThat(outbox.to(person).stream().filter(m -> m.key().startsWith("questionnaire:")
        && m.content().text() != null && m.content().text().startsWith("感谢填写！"))).hasSize(1);
    assertThat(outbox.to(person)).filteredOn(m -> m.key().startsWith("journey:")).extracting(OutboxMessage::key)
        .containsExactly("journey:" + person + ":questionnaire:reward");
  }

  @Test
  void unknownCustomerGetsAPoliteTextAndFreeTextIsIgnored() {
    String stranger = "wmStranger" + UUID.randomUUID().toString().substring(0, 8);
    handle(text(stranger, "你好", null));
    assertThat(outbox.toExternalUser(stranger)).isEmpty();
    handle(text(stranger, "问卷", null));
    assertThat(outbox.toExternalUser(stranger)).hasSize(1);
    OutboxMessage reply = outbox.toExternalUser(stranger).get(0);
    assertThat(reply.to().externalUserId()).isEqualTo(stranger);
    assertThat(reply.content().text()).contains("请先添加我们的企业微信");
  }

  @Test
  void ignoresStaffMessagesAndOtherApps() {
    Map<String, Object> item = item(ext, "text", 5);
    item.put("text", Map.of("content", "问卷"));
    handle(new InboxEvent("", "kf", "kf:text", "kf:x", InboxEvent.JSON, gson.toJson(item), Instant.now()));
    assertThat(outbox.to(person)).isEmpty();
    assertThat(handler.supports(new InboxEvent("", "contact", "kf:text", "k", "json", "{}", Instant.now()))).isFalse();
    assertThat(handler.supports(new InboxEvent("", "kf", "kf:image", "k", "json", "{}", Instant.now()))).isFalse();
  }

  private void handle(InboxEvent event) {
    handler.handle(event).block(T);
  }

  private OutboxMessage last() {
    List<OutboxMessage> mine = outbox.to(person);
    assertThat(mine).isNotEmpty();
    return mine.get(mine.size() - 1);
  }

  private static List<String> ids(OutboxMessage m) {
    assertThat(m.content().menu()).as("a menu").isNotNull();
    return m.content().menu().items().stream().map(OutboxMessage.MenuItem::id).toList();
  }

  private Object answer(String question) {
    return redis.opsForHash().get(RedisKeys.questionnaireAnswers(person), question).block(T);
  }

  private InboxEvent text(String content, String menuId) {
    return text(ext, content, menuId);
  }

  /** A customer text (origin 3) as KfSyncHandler appends it. */
  private InboxEvent text(String externalUserId, String content, String menuId) {
    Map<String, Object> item = item(externalUserId, "text", 3);
    Map<String, Object> text = new LinkedHashMap<>();
    text.put("content", content);
    if (menuId != null) {
      text.put("menu_id", menuId);
    }
    item.put("text", text);
    return new InboxEvent("", "kf", "kf:text", "kf:" + item.get("msgid"), InboxEvent.JSON, gson.toJson(item),
        Instant.now());
  }

  private InboxEvent event(String scene) {
    Map<String, Object> item = item(ext, "event", 4);
    item.put("event", Map.of("event_type", "enter_session", "open_kfid", KF, "external_userid", ext, "scene", scene,
        "welcome_code", "kfwc" + UUID.randomUUID()));
    return new InboxEvent("", "kf", "kf:event:enter_session", "kf:" + item.get("msgid"), InboxEvent.JSON,
        gson.toJson(item), Instant.now());
  }

  private static Map<String, Object> item(String externalUserId, String msgtype, int origin) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("msgid", "kfmsg" + UUID.randomUUID().toString().replace("-", ""));
    item.put("open_kfid", KF);
    item.put("external_userid", externalUserId);
    item.put("send_time", Instant.now().getEpochSecond());
    item.put("origin", origin);
    item.put("msgtype", msgtype);
    return item;
  }
}

package io.siyu.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.Transient;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;

/** kf/sync_msg against the sandbox; the handler is called directly (consumers are off in tests). */
@SiyuIntegrationTest
@TestPropertySource(properties = {"siyu.inbox.kf.lease-wait=3s", "siyu.inbox.kf.lease-ttl=10s"})
class KfSyncHandlerIntegrationTest {

  private static final Duration T = Duration.ofSeconds(15);

  @Autowired KfSyncHandler handler;
  @Autowired SandboxWecom sandbox;
  @Autowired ReactiveStringRedisTemplate redis;

  private String kf;
  private String token;

  @BeforeEach
  void freshAccount() {
    sandbox.setSyncPageSize(null);
    kf = "wk" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    token = sandbox.issueKfToken();
  }

  @Test
  void appendsEverySyncedMessageOnceLoopingAcrossPagesAndEmptyPages() {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      texts.add(sandbox.queueKfText(kf, "wmCust1", "hello " + i, i == 4 ? "menu-7" : null));
    }
    String enter = (String) sandbox.queueKfEvent(kf, "wmCust1", "enter_session", Map.of("scene", "qr")).get("msgid");
    sandbox.setSyncPageSize(2);
    sandbox.injectEmptySyncPages(kf, 2);
    long callsBefore = syncCalls();

    handler.handle(kfEvent(kf, token)).block(T);

    assertThat(syncCalls() - callsBefore).as("2 empty pages with has_more=1, then 3 pages of 2").isEqualTo(5);
    for (String msgid : texts) {
      MapRecord<String, Object, Object> entry = appendedEntry(msgid);
      assertThat(entry.getValue()).containsEntry("kind", "kf:text").containsEntry("app", "kf")
          .containsEntry("format", "json").containsEntry("key", "kf:" + msgid);
      assertThat((String) entry.getValue().get("payload")).contains("\"msgid\":\"" + msgid + "\"")
          .contains("\"open_kfid\":\"" + kf + "\"");
    }
    assertThat(appendedEntry(texts.get(4)).getValue().get("payload").toString()).contains("menu-7");
    assertThat(appendedEntry(enter).getValue()).containsEntry("kind", "kf:event:enter_session");
    assertThat(redis.opsForValue().get(RedisKeys.kfCursor("kf", kf)).block(T)).isNotBlank();
    assertThat(redis.hasKey(RedisKeys.kfSyncLease("kf", kf)).block(T)).as("lease released").isFalse();
  }

  @Test
  void replayedEventAppendsNothingNewAndALaterEventFetchesOnlyNewMessages() {
    sandbox.queueKfText(kf, "wmCust2", "first", null);
    handler.handle(kfEvent(kf, token)).block(T);
    long appended = counter(RedisKeys.inboxAppendedCounter());
    long duplicates = counter(RedisKeys.inboxDuplicateCounter());

    handler.handle(kfEvent(kf, token)).block(T);
    assertThat(counter(RedisKeys.inboxAppendedCounter())).isEqualTo(appended);
    assertThat(counter(RedisKeys.inboxDuplicateCounter())).as("the cursor moved past it").isEqualTo(duplicates);

    String second = sandbox.queueKfText(kf, "wmCust2", "second", null);
    handler.handle(kfEvent(kf, token)).block(T);
    assertThat(counter(RedisKeys.inboxAppendedCounter())).isEqualTo(appended + 1);
    assertThat(appendedEntry(second)).isNotNull();
  }

  @Test
  void refetchAfterALostCursorIsDroppedByTheMsgidDedupe() {
    sandbox.queueKfText(kf, "wmCust3", "a", null);
    sandbox.queueKfText(kf, "wmCust3", "b", null);
    handler.handle(kfEvent(kf, token)).block(T);
    long appended = counter(RedisKeys.inboxAppendedCounter());
    long duplicates = counter(RedisKeys.inboxDuplicateCounter());
    // as after a crash between appending a page and saving its cursor
    redis.delete(RedisKeys.kfCursor("kf", kf)).block(T);

    handler.handle(kfEvent(kf, token)).block(T);

    assertThat(counter(RedisKeys.inboxAppendedCounter())).isEqualTo(appended);
    assertThat(counter(RedisKeys.inboxDuplicateCounter())).isEqualTo(duplicates + 2);
  }

  @Test
  void concurrentEventsOfTheSameAccountAppendEachMessageOnce() {
    List<String> msgids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      msgids.add(sandbox.queueKfText(kf, "wmCust4", "m" + i, null));
    }
    sandbox.setSyncPageSize(3);
    long appended = counter(RedisKeys.inboxAppendedCounter());

    Flux.range(0, 4).flatMap(i -> handler.handle(kfEvent(kf, token))).blockLast(T);

    assertThat(counter(RedisKeys.inboxAppendedCounter())).isEqualTo(appended + 20);
    assertThat(msgids).allSatisfy(id -> assertThat(appendedEntry(id)).isNotNull());
  }

  @Test
  void waitsForTheSyncAnotherInstanceIsRunning() {
    String msgid = sandbox.queueKfText(kf, "wmCust5", "hi", null);
    String lease = RedisKeys.kfSyncLease("kf", kf);
    redis.opsForValue().set(lease, "another-instance", Duration.ofSeconds(10)).block(T);

    CompletableFuture<Void> sync = handler.handle(kfEvent(kf, token)).toFuture();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !sync.isDone());
    redis.delete(lease).block(T);

    await().atMost(T).until(sync::isDone);
    assertThat(sync).isCompleted();
    assertThat(appendedEntry(msgid)).isNotNull();
  }

  @Test
  void failsWithATransientErrorWhileTheLeaseStaysHeld() {
    String msgid = sandbox.queueKfText(kf, "wmCust6", "hi", null);
    String lease = RedisKeys.kfSyncLease("kf", kf);
    redis.opsForValue().set(lease, "another-instance", Duration.ofSeconds(30)).block(T);

    assertThatThrownBy(() -> handler.handle(kfEvent(kf, token)).block(T))
        .isInstanceOf(KfSyncHandler.RetryLater.class).isInstanceOf(Transient.class);
    assertThat(InboxDispatcher.retriable(new KfSyncHandler.RetryLater("x"))).isTrue();
    assertThat(appendedEntry(msgid)).isNull();
    assertThat(redis.opsForValue().get(lease).block(T)).as("another holder's lease is left alone")
        .isEqualTo("another-instance");
    redis.delete(lease).block(T);
  }

  @Test
  void rejectsAnEventWithoutOpenKfIdAsNotRetriable() {
    InboxEvent event = new InboxEvent("1-0", "kf", KfSyncHandler.KIND, "k", InboxEvent.XML,
        "<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>t</Token></xml>", Instant.now());
    assertThatThrownBy(() -> handler.handle(event).block(T)).isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(InboxDispatcher.retriable(e)).isFalse());
  }

  static InboxEvent kfEvent(String openKfId, String token) {
    String xml = "<xml><ToUserName><![CDATA[ww0000000000000000]]></ToUserName><CreateTime>1700000000</CreateTime>"
        + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        + "<Token><![CDATA[" + token + "]]></Token><OpenKfId><![CDATA[" + openKfId + "]]></OpenKfId></xml>";
    return new InboxEvent("1-0", "kf", KfSyncHandler.KIND, "kf-event:" + UUID.randomUUID(), InboxEvent.XML, xml,
        Instant.now());
  }

  /** Pages served; a call refused for a token another test class's sandbox reset made stale is not one. */
  private long syncCalls() {
    return sandbox.calls("kf/sync_msg").stream().filter(c -> c.errcode() == 0).map(SandboxCall::request)
        .filter(r -> kf.equals(r.get("open_kfid"))).count();
  }

  private long counter(String key) {
    String v = redis.opsForValue().get(key).block(T);
    return v == null ? 0 : Long.parseLong(v);
  }

  /** The inbox entry appended for a kf msgid, found through its dedupe marker. */
  private MapRecord<String, Object, Object> appendedEntry(String msgid) {
    String id = redis.opsForValue().get(RedisKeys.inboxSeen("kf:" + msgid)).block(T);
    if (id == null) {
      return null;
    }
    return redis.opsForStream().range(RedisKeys.inboxStream(), Range.closed(id, id)).next().block(T);
  }
}

package io.siyu.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.SiyuIntegrationTest;
import io.siyu.inbox.InboxEvent;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomApps;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

@SiyuIntegrationTest
class CallbackIntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Autowired WebTestClient web;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired WecomApps apps;
  @Autowired Clock clock;
  @Autowired MeterRegistry meters;
  @LocalServerPort int port;

  WecomApps.AppCredentials contact;
  String corpId;

  @BeforeEach
  void setUp() {
    contact = apps.app("contact").orElseThrow();
    corpId = apps.corpId();
  }

  /** One encrypted callback as WeCom would send it. */
  record Callback(String signature, String timestamp, String nonce, String body) {}

  Callback callback(String plainXml) {
    return callback(plainXml, corpId, corpId, clock.instant().getEpochSecond());
  }

  Callback callback(String plainXml, String receiveId, String toUserName, long timestamp) {
    String enc = WecomCallbackCrypto.encrypt(plainXml, receiveId, contact.aesKey());
    String ts = Long.toString(timestamp);
    String nonce = WecomCallbackCrypto.nonce();
    return new Callback(WecomCallbackCrypto.signature(contact.token(), ts, nonce, enc), ts, nonce,
        WecomCallbackCrypto.buildPostBody(toUserName, contact.agentId(), enc));
  }

  /** A signed callback whose outer body is given verbatim (the signature covers {@code encrypt}). */
  Callback rawCallback(String encrypt, String body) {
    String ts = Long.toString(clock.instant().getEpochSecond());
    String nonce = WecomCallbackCrypto.nonce();
    return new Callback(WecomCallbackCrypto.signature(contact.token(), ts, nonce, encrypt), ts, nonce, body);
  }

  WebTestClient.ResponseSpec post(String app, Callback c) {
    return web.post()
        .uri(b -> b.path("/wecom/callback/{app}").queryParam("msg_signature", "{s}").queryParam("timestamp", "{t}")
            .queryParam("nonce", "{n}").build(Map.of("app", app, "s", c.signature(), "t", c.timestamp(), "n", c.nonce())))
        .contentType(MediaType.TEXT_XML)
        .bodyValue(c.body())
        .exchange();
  }

  static String addContact(String externalUserId, long createTime) {
    return "<xml><ToUserName><![CDATA[" + WecomApps.SANDBOX_CORP_ID + "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        + "<CreateTime>" + createTime + "</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        + "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        + "<UserID><![CDATA[staff1]]></UserID><ExternalUserID><![CDATA[" + externalUserId + "]]></ExternalUserID>"
        + "<State><![CDATA[ch1]]></State><WelcomeCode><![CDATA[wc-" + externalUserId + "]]></WelcomeCode></xml>";
  }

  static String addMember(String chatId, String... items) {
    StringBuilder list = new StringBuilder();
    for (String item : items) {
      list.append("<Item><![CDATA[").append(item).append("]]></Item>");
    }
    return "<xml><ToUserName>" + WecomApps.SANDBOX_CORP_ID + "</ToUserName><FromUserName>sys</FromUserName>"
        + "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>change_external_chat</Event>"
        + "<ChatId>" + chatId + "</ChatId><ChangeType>update</ChangeType><UpdateDetail>add_member</UpdateDetail>"
        + "<JoinScene>3</JoinScene><MemChangeCnt>" + items.length + "</MemChangeCnt><MemChangeList>" + list
        + "</MemChangeList></xml>";
  }

  static String uid() {
    return "wm" + UUID.randomUUID().toString().replace("-", "");
  }

  long streamLength() {
    return redis.opsForStream().size(RedisKeys.inboxStream()).block(WAIT);
  }

  long appendedCounter() {
    String v = redis.opsForValue().get(RedisKeys.inboxAppendedCounter()).block(WAIT);
    return v == null ? 0 : Long.parseLong(v);
  }

  /** Stream entries whose payload contains {@code marker}, newest first, among the last 1000. */
  List<InboxEvent> entriesContaining(String marker) {
    return redis.opsForStream().reverseRange(RedisKeys.inboxStream(), Range.unbounded(), Limit.limit().count(1000))
        .map(r -> InboxEvent.fromFields(r.getId().getValue(), r.getValue()))
        .filter(e -> e.payload().contains(marker))
        .collectList().block(WAIT);
  }

  long now() {
    return clock.instant().getEpochSecond();
  }

  // --- GET: URL check ------------------------------------------------------------------------------

  @Test
  void answersTheUrlCheckWithThePlainEchostr() {
    String echostr = WecomCallbackCrypto.encrypt("5927782489442352469", corpId, contact.aesKey());
    String ts = Long.toString(now());
    String nonce = WecomCallbackCrypto.nonce();
    String sig = WecomCallbackCrypto.signature(contact.token(), ts, nonce, echostr);

    byte[] body = web.get()
        .uri(b -> b.path("/wecom/callback/contact").queryParam("msg_signature", "{s}").queryParam("timestamp", "{t}")
            .queryParam("nonce", "{n}").queryParam("echostr", "{e}").build(Map.of("s", sig, "t", ts, "n", nonce, "e", echostr)))
        .exchange()
        .expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_PLAIN)
        .expectBody().returnResult().getResponseBody();

    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("5927782489442352469");
  }

  @Test
  void answersTheUrlCheckWhenAPlusInTheEchostrArrivesUnencoded() {
    String echostr;
    do {
      echostr = WecomCallbackCrypto.encrypt("1234567890", corpId, contact.aesKey());
    } while (!echostr.contains("+"));
    String ts = Long.toString(now());
    String sig = WecomCallbackCrypto.signature(contact.token(), ts, "77", echostr);

    web.get().uri(java.net.URI.create("http://localhost:" + port + "/wecom/callback/contact?msg_signature=" + sig
            + "&timestamp=" + ts + "&nonce=77&echostr=" + echostr))
        .exchange()
        .expectStatus().isOk()
        .expectBody(String.class).isEqualTo("1234567890");
  }

  @Test
  void rejectsAUrlCheckWithABadSignatureOrMissingEchostr() {
    String echostr = WecomCallbackCrypto.encrypt("123", corpId, contact.aesKey());
    String ts = Long.toString(now());
    web.get()
        .uri(b -> b.path("/wecom/callback/contact").queryParam("msg_signature", "{s}").queryParam("timestamp", "{t}")
            .queryParam("nonce", "1").queryParam("echostr", "{e}").build(Map.of("s", "0".repeat(40), "t", ts, "e", echostr)))
        .exchange()
        .expectStatus().isForbidden()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:bad-signature");
    web.get().uri("/wecom/callback/contact?msg_signature=abc&timestamp=1&nonce=1")
        .exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:missing-parameter");
  }

  // --- POST: accepted ------------------------------------------------------------------------------

  @Test
  void storesAValidEventOnceAndAnswersSuccess() {
    String ext = uid();
    String xml = addContact(ext, now());
    long before = streamLength();

    byte[] body = post("contact", callback(xml)).expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_PLAIN)
        .expectBody().returnResult().getResponseBody();

    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("success");
    assertThat(streamLength()).isEqualTo(before + 1);
    List<InboxEvent> entries = entriesContaining(ext);
    assertThat(entries).singleElement().satisfies(e -> {
      assertThat(e.app()).isEqualTo("contact");
      assertThat(e.kind()).isEqualTo("event:change_external_contact:add_external_contact");
      assertThat(e.format()).isEqualTo("xml");
      assertThat(e.payload()).isEqualTo(xml);
      assertThat(e.dedupeKey()).matches("[A-Za-z0-9_-]{43}");
    });
    assertThat(meters.get("siyu.callbacks").tags("app", "contact", "outcome", "accepted",
        "kind", "event:change_external_contact:add_external_contact").counter().count()).isGreaterThanOrEqualTo(1);
    assertThat(meters.get("siyu.callback.ack").tag("app", "contact").timer().count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void storesWecomsThreeRetriesOfOneEventOnce() {
    String ext = uid();
    String xml = addContact(ext, now());
    long appended = appendedCounter();

    for (int attempt = 0; attempt < 3; attempt++) {
      // Each retry is re-encrypted: fresh random prefix, nonce, timestamp and signature.
      post("contact", callback(xml, corpId, corpId, now() + attempt)).expectStatus().isOk().expectBody(String.class).isEqualTo("success");
    }

    assertThat(entriesContaining(ext)).hasSize(1);
    assertThat(appendedCounter()).isEqualTo(appended + 1);
  }

  @Test
  void storesTwoCustomersAddedInTheSameSecondAsTwoEntries() {
    String a = uid();
    String b = uid();
    long second = now();

    post("contact", callback(addContact(a, second))).expectStatus().isOk();
    post("contact", callback(addContact(b, second))).expectStatus().isOk();

    List<InboxEvent> ea = entriesContaining(a);
    List<InboxEvent> eb = entriesContaining(b);
    assertThat(ea).hasSize(1);
    assertThat(eb).hasSize(1);
    assertThat(ea.get(0).dedupeKey()).isNotEqualTo(eb.get(0).dedupeKey());
  }

  @Test
  void storesGroupMemberChangesWithDifferentItemsUnderDistinctKeys() {
    String chat = "chat" + uid();
    String m1 = uid();
    String m2 = uid();

    post("contact", callback(addMember(chat, m1))).expectStatus().isOk();
    post("contact", callback(addMember(chat, m2))).expectStatus().isOk();
    post("contact", callback(addMember(chat, m1, m2))).expectStatus().isOk();

    List<InboxEvent> entries = entriesContaining(chat);
    assertThat(entries).hasSize(3);
    assertThat(entries).extracting(InboxEvent::dedupeKey).doesNotHaveDuplicates();
    assertThat(entries).extracting(InboxEvent::kind).containsOnly("event:change_external_chat:update");
  }

  @Test
  void storesFiftyParallelCopiesOfOneEventOnce() {
    String ext = uid();
    String xml = addContact(ext, now());
    long appended = appendedCounter();
    WebClient client = WebClient.create("http://localhost:" + port);

    List<String> answers = Flux.range(0, 50)
        .flatMap(i -> postWith(client, callback(xml)), 50)
        .collectList().block(WAIT);

    assertThat(answers).hasSize(50).containsOnly("success");
    assertThat(entriesContaining(ext)).hasSize(1);
    assertThat(appendedCounter()).isEqualTo(appended + 1);
  }

  @Test
  void storesTwoHundredParallelDistinctEventsAsTwoHundredEntries() {
    String batch = uid();
    long appended = appendedCounter();
    long before = streamLength();
    WebClient client = WebClient.create("http://localhost:" + port);

    List<String> answers = Flux.range(0, 200)
        .flatMap(i -> postWith(client, callback(addContact(batch + "x" + i, now()))), 64)
        .collectList().block(WAIT);

    assertThat(answers).hasSize(200).containsOnly("success");
    assertThat(entriesContaining(batch)).hasSize(200);
    assertThat(appendedCounter()).isEqualTo(appended + 200);
    assertThat(streamLength()).isEqualTo(before + 200);
  }

  private static reactor.core.publisher.Mono<String> postWith(WebClient client, Callback c) {
    return client.post()
        .uri(b -> b.path("/wecom/callback/contact").queryParam("msg_signature", "{s}").queryParam("timestamp", "{t}")
            .queryParam("nonce", "{n}").build(Map.of("s", c.signature(), "t", c.timestamp(), "n", c.nonce())))
        .contentType(MediaType.TEXT_XML)
        .bodyValue(c.body())
        .retrieve()
        .bodyToMono(String.class);
  }

  @Test
  void answersUnavailableWhenRedisFailsAndStoresWecomsRetry() {
    String stream = RedisKeys.inboxStream();
    String parked = stream + ":parked-by-test";
    boolean hadStream = Boolean.TRUE.equals(redis.hasKey(stream).block(WAIT));
    String ext = uid();
    String xml = addContact(ext, now());
    long appended = appendedCounter();
    try {
      if (hadStream) {
        redis.rename(stream, parked).block(WAIT);
      }
      // A string where the stream should be: XADD fails inside the append script (WRONGTYPE).
      redis.opsForValue().set(stream, "not a stream").block(WAIT);

      post("contact", callback(xml)).expectStatus().isEqualTo(503)
          .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unavailable");
    } finally {
      redis.delete(stream).block(WAIT);
      if (hadStream) {
        redis.rename(parked, stream).block(WAIT);
      }
    }
    assertThat(appendedCounter()).isEqualTo(appended);

    post("contact", callback(xml)).expectStatus().isOk().expectBody(String.class).isEqualTo("success");

    assertThat(entriesContaining(ext)).hasSize(1);
    assertThat(appendedCounter()).isEqualTo(appended + 1);
  }

  // --- POST: rejected, nothing written -------------------------------------------------------------

  void assertRejected(String app, Callback c, int status, String slug) {
    long length = streamLength();
    long appended = appendedCounter();
    double rejectedBefore = rejectedCount(slug);

    post(app, c).expectStatus().isEqualTo(status)
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:" + slug);

    assertThat(streamLength()).as("stream length").isEqualTo(length);
    assertThat(appendedCounter()).as("appended counter").isEqualTo(appended);
    assertThat(rejectedCount(slug)).as("rejected counter").isEqualTo(rejectedBefore + 1);
  }

  double rejectedCount(String slug) {
    return meters.find("siyu.callbacks").tags("outcome", "rejected", "reason", slug, "kind", "invalid")
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  @Test
  void rejectsCallbackWithBadSignature() {
    Callback good = callback(addContact(uid(), now()));
    Callback bad = new Callback("0".repeat(40), good.timestamp(), good.nonce(), good.body());
    assertRejected("contact", bad, 403, "bad-signature");
    // A valid signature replayed with another nonce does not pass either.
    Callback otherNonce = new Callback(good.signature(), good.timestamp(), good.nonce() + "1", good.body());
    assertRejected("contact", otherNonce, 403, "bad-signature");
  }

  @Test
  void rejectsCallbackWhoseReceiveIdIsAnotherCorp() {
    assertRejected("contact", callback(addContact(uid(), now()), "wwothercorp", corpId, now()), 403, "wrong-corp-id");
  }

  @Test
  void rejectsCallbackWhoseToUserNameIsAnotherCorp() {
    assertRejected("contact", callback(addContact(uid(), now()), corpId, "wwothercorp", now()), 403, "wrong-corp-id");
  }

  @Test
  void rejectsCallbackWithStaleTimestamp() {
    assertRejected("contact", callback(addContact(uid(), now()), corpId, corpId, now() - 301), 403, "stale-timestamp");
  }

  @Test
  void rejectsCallbackWithFutureTimestamp() {
    assertRejected("contact", callback(addContact(uid(), now()), corpId, corpId, now() + 400), 403, "stale-timestamp");
  }

  @Test
  void rejectsCallbackWithMalformedBase64() {
    String enc = "this is not base64!!";
    assertRejected("contact", rawCallback(enc, WecomCallbackCrypto.buildPostBody(corpId, contact.agentId(), enc)), 400, "bad-ciphertext");
  }

  @Test
  void rejectsCallbackWithBadPadding() {
    byte[] padded = new byte[64];
    java.util.Arrays.fill(padded, (byte) 0);
    String enc = WecomCallbackCrypto.encryptPadded(padded, contact.aesKey());
    assertRejected("contact", rawCallback(enc, WecomCallbackCrypto.buildPostBody(corpId, contact.agentId(), enc)), 400, "bad-ciphertext");
  }

  @Test
  void rejectsCallbackWithMalformedInnerXml() {
    assertRejected("contact", callback("<xml><MsgType>event</MsgType><Event>x</Event>"), 400, "malformed-xml");
    assertRejected("contact", callback("<xml><Content>no MsgType</Content></xml>"), 400, "malformed-xml");
  }

  @Test
  void rejectsDoctypeInTheInnerXml() {
    String xxe = "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><MsgType>text</MsgType><Content>&xxe;</Content></xml>";
    assertRejected("contact", callback(xxe), 400, "malformed-xml");
  }

  @Test
  void rejectsDoctypeInTheOuterXml() {
    Callback good = callback(addContact(uid(), now()));
    String enc = good.body().replaceAll("(?s).*<Encrypt><!\\[CDATA\\[(.*)]]></Encrypt>.*", "$1");
    String body = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY c \"" + corpId + "\">]>"
        + "<xml><ToUserName>&c;</ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>";
    assertRejected("contact", rawCallback(enc, body), 400, "malformed-xml");
    String external = "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"http://127.0.0.1:" + port + "/\">]>"
        + "<xml><ToUserName>&xxe;</ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>";
    assertRejected("contact", rawCallback(enc, external), 400, "malformed-xml");
  }

  @Test
  void rejectsABodyWithoutEncrypt() {
    assertRejected("contact", rawCallback("x", "<xml><ToUserName>" + corpId + "</ToUserName></xml>"), 400, "malformed-xml");
    assertRejected("contact", rawCallback("x", "not xml at all"), 400, "malformed-xml");
  }

  @Test
  void rejectsAnOversizeBody() {
    Callback good = callback(addContact(uid(), now()));
    String padded = good.body().replace("</xml>", "<Pad>" + "p".repeat(70_000) + "</Pad></xml>");
    assertRejected("contact", new Callback(good.signature(), good.timestamp(), good.nonce(), padded), 413, "body-too-large");
  }

  @Test
  void rejectsMissingOrNonNumericParameters() {
    Callback good = callback(addContact(uid(), now()));
    assertRejected("contact", new Callback(good.signature(), "yesterday", good.nonce(), good.body()), 400, "missing-parameter");
    long length = streamLength();
    web.post().uri("/wecom/callback/contact?timestamp=" + now() + "&nonce=1")
        .contentType(MediaType.TEXT_XML).bodyValue(good.body()).exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:missing-parameter");
    assertThat(streamLength()).isEqualTo(length);
  }

  @Test
  void rejectsAnUnknownApp() {
    long length = streamLength();
    post("nosuchapp", callback(addContact(uid(), now()))).expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-app");
    web.get().uri("/wecom/callback/nosuchapp?msg_signature=a&timestamp=1&nonce=1&echostr=x").exchange()
        .expectStatus().isNotFound()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unknown-app");
    assertThat(streamLength()).isEqualTo(length);
  }
}

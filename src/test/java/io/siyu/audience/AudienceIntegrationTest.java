package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import me.chanjar.weixin.cp.bean.external.contact.ExternalContact;
import me.chanjar.weixin.cp.bean.external.contact.FollowedUser;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Profiles, scores and segment membership against the real Redis, with a hand-moved clock. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
// small batches, so full passes and the evaluator go through many of them
@org.springframework.test.context.TestPropertySource(properties = {"siyu.audience.sweep.fetch-batch=16",
    "siyu.audience.evaluator.batch=20"})
class AudienceIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final Instant START = Instant.parse("2026-03-01T04:00:00Z"); // 12:00 in Shanghai

  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired ProfileChanges changes;
  @Autowired AudienceEvaluator evaluator;
  @Autowired AudienceRebuilds rebuilds;
  @Autowired SegmentDefinitions definitions;
  @Autowired PersonStore persons;
  @Autowired MutableClock clock;

  private ProfileWriter writer;
  private String prefix;

  @BeforeEach
  void cleanProfiles() {
    clock.set(START);
    writer = new ProfileWriter(redis, changes);
    prefix = "au" + UUID.randomUUID().toString().substring(0, 8) + "-";
    // scores and segments are computed over every profile: start from none (other classes create their own)
    redis.scan(ScanOptions.scanOptions().match("siyu:person:*").count(1000).build()).buffer(500)
        .concatMap(keys -> redis.delete(keys.toArray(String[]::new))).then().block(T);
    redis.delete(RedisKeys.audienceDirty(), RedisKeys.audienceCuts(), RedisKeys.audienceRebuildLease()).block(T);
    definitions.all().flatMapMany(Flux::fromIterable).filter(d -> d.source().equals("api"))
        .concatMap(d -> definitions.delete(d.name())).then().block(T);
  }

  private String person(String suffix, Map<String, String> fields) {
    String id = prefix + suffix;
    Map<String, String> f = new LinkedHashMap<>(Map.of("id", id, "firstSeen", Long.toString(clock.millis())));
    f.putAll(fields);
    writer.set(id, f);
    return id;
  }

  private void drainAll() {
    await().atMost(T).failFast("dirty marks left", () -> {
      if (Instant.now().isAfter(START.plusSeconds(0)) && false) {
        return true;
      }
      return false;
    }).conditionEvaluationListener(c -> {
      if (c.getRemainingTimeInMS() < 25_000) {
        redis.opsForZSet().rangeWithScores(RedisKeys.audienceDirty(), org.springframework.data.domain.Range.unbounded())
            .take(3).doOnNext(t -> System.out.println("LEFT " + t.getValue() + " " + t.getScore() + " now " + clock.millis()
                + " " + writer.hash(t.getValue()))).blockLast(T);
      }
    }).until(() -> {
      evaluator.drain().block(T);
      return redis.opsForZSet().size(RedisKeys.audienceDirty()).block(T) == 0;
    });
  }

  private void sweep() {
    assertThat(rebuilds.rebuild(null).block(T).state()).isEqualTo("done");
  }

  private String stage(String id) {
    return writer.hash(id).get("stage");
  }

  @Test
  void lifecycleMovesFromIntroToGrowthToMatureThenDormantAndChurnedThroughTheSweep() {
    String id = person("life", Map.of());
    drainAll();
    assertThat(stage(id)).isEqualTo("intro");
    long introAt = Long.parseLong(writer.hash(id).get("stageAt"));

    clock.advance(Duration.ofDays(7));
    sweep();
    assertThat(stage(id)).isEqualTo("growth");
    assertThat(Long.parseLong(writer.hash(id).get("stageAt"))).isGreaterThan(introAt);

    writer.set(id, Map.of("orders", "2", "amount", "19900", "lastOrderAt", Long.toString(clock.millis()),
        "lastAt", Long.toString(clock.millis())));
    drainAll();
    assertThat(stage(id)).isEqualTo("mature");
    String matureAt = writer.hash(id).get("stageAt");
    sweep();
    assertThat(writer.hash(id).get("stageAt")).as("stageAt kept while the stage stays").isEqualTo(matureAt);

    clock.advance(Duration.ofDays(29));
    sweep();
    assertThat(stage(id)).isEqualTo("mature");
    clock.advance(Duration.ofDays(1));
    sweep();
    assertThat(stage(id)).isEqualTo("dormant");

    clock.advance(Duration.ofDays(60));
    sweep();
    assertThat(stage(id)).isEqualTo("churned");

    writer.set(id, Map.of("lastAt", Long.toString(clock.millis())));
    drainAll();
    assertThat(stage(id)).as("activity brings the person back").isEqualTo("mature");
  }

  @Test
  void growthValueAloneMovesIntroToGrowth() {
    String id = person("g", Map.of("growth", "49"));
    drainAll();
    assertThat(stage(id)).isEqualTo("intro");
    writer.set(id, Map.of("growth", "50"));
    drainAll();
    assertThat(stage(id)).isEqualTo("growth");
  }

  @Test
  void deletingEveryStaffMemberChurnsAtOnceAndANewFollowRevives() {
    String ext = prefix + "wm";
    persons.upsert(contact(ext, "zhangsan"), "zhangsan", "").block(T);
    drainAll();
    assertThat(stage(ext)).isEqualTo("intro");
    persons.unfollow(ext, "zhangsan").block(T);
    drainAll();
    assertThat(stage(ext)).isEqualTo("churned");
    persons.upsert(contact(ext, "lisi"), "lisi", "").block(T);
    drainAll();
    assertThat(stage(ext)).isEqualTo("intro");
  }

  private static WxCpExternalContactInfo contact(String ext, String staff) {
    ExternalContact c = new ExternalContact();
    c.setExternalUserId(ext);
    c.setName("王芳");
    c.setGender(2);
    FollowedUser f = new FollowedUser();
    f.setUserId(staff);
    f.setCreateTime(1_700_000_000L);
    WxCpExternalContactInfo info = new WxCpExternalContactInfo();
    info.setExternalContact(c);
    info.setFollowedUsers(List.of(f));
    return info;
  }

  @Autowired UnfollowHandler unfollowHandler;

  @Test
  void delFollowUserCallbacksRemoveTheFollowAndChurnWhenNoneIsLeftIdempotently() {
    String ext = prefix + "cb";
    persons.upsert(contact(ext, "zhangsan"), "zhangsan", "").block(T);
    String xml = "<xml><ToUserName>corp</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime>"
        + "<MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>del_follow_user</ChangeType>"
        + "<UserID>zhangsan</UserID><ExternalUserID>" + ext + "</ExternalUserID></xml>";
    io.siyu.inbox.InboxEvent event = new io.siyu.inbox.InboxEvent("0-0", "contact", UnfollowHandler.KIND, "k", io.siyu.inbox.InboxEvent.XML,
        xml, clock.instant());
    assertThat(unfollowHandler.supports(event)).isTrue();
    Flux.range(0, 4).flatMap(i -> unfollowHandler.handle(event), 4).blockLast(T);
    drainAll();
    Map<String, String> h = writer.hash(ext);
    assertThat(h).containsKey("unfollowedAt").containsEntry("stage", "churned");
    assertThat(persons.follows(ext).collectList().block(T)).isEmpty();
  }

  @Test
  void quantileCutPointsAndTheSuperThresholdComeFromBoundedHistograms() {
    AudienceRebuilds.Histograms h = new AudienceRebuilds.Histograms();
    ExpressionsTest.profile(Map.of());
    for (int i = 1; i <= 100; i++) {
      Profile p = ExpressionsTest.profile(Map.of("orders", Integer.toString(i), "amount", Integer.toString(i * 10_000),
          "lastOrderAt", Long.toString(Instant.parse("2026-03-01T04:00:00Z").minus(Duration.ofDays(i)).toEpochMilli())));
      h.add(p, i);
    }
    Map<String, String> cuts = h.cuts(5);
    assertThat(cuts).containsEntry("r1", "20").containsEntry("r4", "80").containsEntry("f1", "20").containsEntry("f4", "80")
        .containsEntry("super", "96");
    assertThat(Double.parseDouble(cuts.get("m2"))).isBetween(39 * 100.0 * 0.985, 40 * 100.0 * 1.015);
  }

  @Test
  void rfmFollowsTheConfiguredThresholdsAndPersonsWithoutOrdersScoreOnes() {
    long now = clock.millis();
    String none = person("none", Map.of());
    String mid = person("mid", Map.of("orders", "3", "amount", "60000",
        "lastOrderAt", Long.toString(now - Duration.ofDays(20).toMillis())));
    String top = person("top", Map.of("orders", "12", "amount", "600000", "lastOrderAt", Long.toString(now)));
    String old = person("old", Map.of("orders", "1", "amount", "100", "lastOrderAt",
        Long.toString(now - Duration.ofDays(400).toMillis())));
    drainAll();
    assertThat(rfm(none)).containsExactly("1", "1", "1");
    assertThat(rfm(mid)).containsExactly("4", "3", "3"); // 20 days <= 30; 3 orders reach 2,3; 600 yuan reaches 100,500
    assertThat(rfm(top)).containsExactly("5", "5", "5");
    assertThat(rfm(old)).containsExactly("1", "1", "1"); // 400 days > 180; 1 order; 1 yuan
  }

  private List<String> rfm(String id) {
    Map<String, String> h = writer.hash(id);
    return List.of(h.get("rfmR"), h.get("rfmF"), h.get("rfmM"));
  }

  @Test
  void valueIsTheWeightedMeanOfItsPartsAndSuperIsTheTopShareAfterASweep() {
    // weights 40/30/15/15; full: 5000 yuan, 60 interactions, 20 content, 10 social
    String half = person("half", Map.of("orders", "1", "amount", "250000", "lastOrderAt", Long.toString(clock.millis())));
    String social = person("social", Map.of("referrals", "6", "groups", "4", "ugc", "10", "ugcEng", "100"));
    List<String> zeros = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      zeros.add(person("z" + i, Map.of()));
    }
    drainAll();
    assertThat(writer.hash(half).get("value")).isEqualTo("20");       // 50 x 0.40
    assertThat(writer.hash(social).get("value")).isEqualTo("30");     // 100 x 0.15 + 100 x 0.15
    assertThat(writer.hash(social)).as("no threshold before the first sweep").doesNotContainKey("super");
    sweep(); // computes the threshold: top 5 % of 32 persons = 1.6 → only the best
    sweep(); // applies it
    assertThat(writer.hash(social)).containsEntry("super", "1");
    assertThat(writer.hash(half)).doesNotContainKey("super");
    assertThat(writer.hash(zeros.get(0))).doesNotContainKey("super");
    assertThat(redis.<String, String>opsForHash().get(RedisKeys.audienceCuts(), "super").block(T)).isEqualTo("21");
  }

  @Test
  void aTypicalProfileFitsInOneAndAHalfKilobytes() {
    Map<String, String> f = new LinkedHashMap<>();
    long now = clock.millis();
    f.putAll(Map.of("externalUserId", "wmqPOWDgAA3Nq8AmZ7rTjVGc2pGkZOwA", "unionId", "oAmZ7rTjVGc2pGkZOwAwmqPOWDgA",
        "name", "王芳", "gender", "2", "ownerUserId", "zhangsan", "remark", "老客户", "state", "qr-store-01",
        "updatedAt", Long.toString(now)));
    for (String t : List.of("skin:oily", "age:25-30", "city:shanghai", "VIP", "interest:serum", "channel:store")) {
      f.put("t:" + t, "1");
    }
    for (int q = 1; q <= 4; q++) {
      f.put("a:q" + q, "opt" + q + ",opt" + (q + 1));
    }
    for (String k : List.of("follow", "questionnaire", "group_join", "chat", "menu_click", "card_click", "draw", "order")) {
      f.put("n:" + k, "17");
    }
    for (String w : List.of("w7", "w30")) {
      for (String k : List.of("*", "chat", "order")) {
        f.put(w + ":" + k, "2917:12:31");
      }
    }
    f.putAll(Map.of("growth", "1280", "level", "4", "lastAt", Long.toString(now), "orders", "3", "amount", "59800",
        "firstOrderAt", Long.toString(now), "lastOrderAt", Long.toString(now), "ugc", "2", "ugcEng", "31", "referrals", "1"));
    f.putAll(Map.of("groups", "2", "gd:*", "20513:35", "points", "350"));
    for (int s = 1; s <= 5; s++) {
      f.put("s:segment-" + s, "1");
    }
    String id = person("mem", f);
    drainAll();
    Map<String, String> h = writer.hash(id);
    Long bytes = redis.execute(RedisScript.of("return redis.call('MEMORY', 'USAGE', KEYS[1])", Long.class),
        List.of(RedisKeys.person(id))).next().block(T);
    String encoding = redis.execute(RedisScript.of("return redis.call('OBJECT', 'ENCODING', KEYS[1])", String.class),
        List.of(RedisKeys.person(id))).next().block(T);
    System.out.printf("typical profile: %d fields, MEMORY USAGE %d bytes, encoding %s%n", h.size(), bytes, encoding);
    assertThat(h.size()).isGreaterThanOrEqualTo(40);
    assertThat(encoding).isEqualTo("ziplist");
    assertThat(bytes).isLessThanOrEqualTo(1536);
  }

  @Test
  void theScanPatternFindsOnlyTheMainProfileHashes() {
    String ext = prefix + "scan";
    persons.upsert(contact(ext, "zhangsan"), "zhangsan", "").block(T);
    person("other", Map.of());
    assertThat(rebuilds.scan().collectList().block(T)).containsExactlyInAnyOrder(ext, prefix + "other");
  }

  @Test
  void incrementalMembershipEqualsAFullRebuildAfterARandomStreamOfChanges() {
    Map<String, String> segs = Map.of(
        prefix + "oily", "id.startsWith('" + prefix + "') and tags.contains('skin:oily')",
        prefix + "buyers", "id.startsWith('" + prefix + "') and orders >= 2 and rfm.m >= 2",
        prefix + "q1a", "id.startsWith('" + prefix + "') and (answers['q1'] == 'a' or silentDays >= 3) and stage != 'dormant'");
    segs.forEach((n, e) -> definitions.put(n, e, null, "test").block(T));
    Random random = new Random(42);
    int persons = 50;
    List<Map<String, String>> stream = new ArrayList<>();
    List<String> who = new ArrayList<>();
    long now = clock.millis();
    for (int i = 0; i < persons; i++) {
      who.add(prefix + i);
      stream.add(Map.of("id", prefix + i, "firstSeen", Long.toString(now - Duration.ofDays(random.nextInt(40)).toMillis())));
    }
    for (int i = 0; i < 400; i++) {
      who.add(prefix + random.nextInt(persons));
      stream.add(switch (random.nextInt(5)) {
        case 0 -> Map.of("t:skin:oily", random.nextBoolean() ? "1" : "");
        case 1 -> Map.of("a:q1", random.nextBoolean() ? "a" : "b");
        case 2 -> Map.of("orders", Integer.toString(random.nextInt(4)), "amount", Integer.toString(random.nextInt(100_000)),
            "lastOrderAt", Long.toString(now - Duration.ofDays(random.nextInt(100)).toMillis()));
        case 3 -> Map.of("lastAt", Long.toString(now - Duration.ofDays(random.nextInt(40)).toMillis()));
        default -> Map.of("t:vip", "1");
      });
    }
    AtomicBoolean done = new AtomicBoolean();
    Mono<Void> changesRun = Flux.range(0, stream.size())
        .concatMap(i -> writer.write(who.get(i), stream.get(i)), 1)
        .then(Mono.fromRunnable(() -> done.set(true)));
    // three concurrent evaluators, as three instances would run
    Mono<Void> evaluators = Flux.range(0, 3)
        .flatMap(n -> Mono.defer(() -> evaluator.drain()).repeat(() -> !done.get()).then(), 3).then();
    Mono.when(changesRun, evaluators).block(Duration.ofSeconds(120));
    drainAll();

    Map<String, Set<String>> incremental = new HashMap<>();
    segs.keySet().forEach(n -> incremental.put(n, members(n)));
    for (String n : segs.keySet()) {
      assertThat(rebuilds.rebuild(List.of(n)).block(T).state()).isEqualTo("done");
      assertThat(members(n)).as(n).isEqualTo(incremental.get(n));
      Set<String> flagged = new HashSet<>();
      for (int i = 0; i < persons; i++) {
        if (writer.hash(prefix + i).containsKey("s:" + n)) {
          flagged.add(prefix + i);
        }
      }
      assertThat(flagged).as(n + " flags").isEqualTo(incremental.get(n));
    }
    assertThat(incremental.values()).allSatisfy(m -> assertThat(m).isNotEmpty());
  }

  private Set<String> members(String segment) {
    return new HashSet<>(redis.opsForSet().members(RedisKeys.segmentMembers(segment)).collectList().block(T));
  }

  @Test
  void concurrentEvaluationsOfOnePersonEndConsistent() {
    String seg = prefix + "oily";
    definitions.put(seg, "id.startsWith('" + prefix + "') and tags.contains('skin:oily')", null, "test").block(T);
    String id = person("c", Map.of());
    Flux.range(0, 200).flatMap(i -> i % 3 == 0
        ? writer.write(id, Map.of("t:skin:oily", (i / 3) % 2 == 0 ? "1" : ""))
        : evaluator.evaluate(id).then(), 16).blockLast(Duration.ofSeconds(60));
    drainAll();
    boolean flagged = writer.hash(id).containsKey("s:" + seg);
    boolean tagged = writer.hash(id).containsKey("t:skin:oily");
    assertThat(flagged).isEqualTo(tagged);
    assertThat(members(seg).contains(id)).isEqualTo(flagged);
    assertThat(writer.hash(id).get("sv")).isEqualTo(writer.hash(id).get("v"));
  }

  @Test
  void aRebuildWhileChangesArriveMissesNone() {
    String seg = prefix + "oily";
    definitions.put(seg, "id.startsWith('" + prefix + "') and tags.contains('skin:oily')", null, "test").block(T);
    for (int i = 0; i < 100; i++) {
      person("r" + i, i % 2 == 0 ? Map.of("t:skin:oily", "1") : Map.of());
    }
    drainAll();
    Mono<AudienceRebuilds.Status> rebuild = rebuilds.rebuild(List.of(seg));
    Mono<Void> flips = Flux.range(0, 100).concatMap(i -> writer.write(prefix + "r" + i,
        Map.of("t:skin:oily", i % 2 == 0 ? "" : "1")).then(evaluator.drain()).then()).then();
    Mono.when(rebuild, flips).block(Duration.ofSeconds(60));
    drainAll();
    Set<String> expected = new HashSet<>();
    for (int i = 1; i < 100; i += 2) {
      expected.add(prefix + "r" + i);
    }
    assertThat(members(seg)).isEqualTo(expected);
  }
}

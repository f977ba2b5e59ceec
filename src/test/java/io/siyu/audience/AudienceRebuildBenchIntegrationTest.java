package io.siyu.audience;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import reactor.core.publisher.Flux;

/**
 * A rough full-pass figure on the test's embedded Redis (the lead's benchmark runs the server):
 * {@code mvn verify -Dtest=AudienceRebuildBenchIntegrationTest -Dsiyu.bench.profiles=100000}.
 */
@SiyuIntegrationTest
@EnabledIfSystemProperty(named = "siyu.bench.profiles", matches = "\\d+")
class AudienceRebuildBenchIntegrationTest {

  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired AudienceRebuilds rebuilds;
  @Autowired SegmentDefinitions definitions;

  @Test
  void fullPassOverGeneratedProfiles() {
    int n = Integer.getInteger("siyu.bench.profiles");
    redis.scan(ScanOptions.scanOptions().match("siyu:person:*").count(1000).build()).buffer(500)
        .concatMap(keys -> redis.delete(keys.toArray(String[]::new))).then().block(Duration.ofMinutes(5));
    long now = System.currentTimeMillis();
    Flux.range(0, n).flatMap(i -> {
      Map<String, String> f = new HashMap<>();
      f.put("id", "bench" + i);
      f.put("externalUserId", "wmBench0000000000000000000" + i);
      f.put("name", "用户" + i);
      f.put("firstSeen", Long.toString(now - (i % 200) * 86_400_000L));
      f.put("lastAt", Long.toString(now - (i % 60) * 86_400_000L));
      f.put("t:skin:" + (i % 3 == 0 ? "oily" : "dry"), "1");
      f.put("t:age:" + (i % 5), "1");
      f.put("a:q1", i % 2 == 0 ? "a" : "b");
      f.put("n:chat", Integer.toString(i % 17));
      f.put("w30:*", "700:" + (i % 9) + ":" + (i % 4));
      f.put("growth", Integer.toString(i % 500));
      f.put("level", Integer.toString(i % 6));
      if (i % 4 == 0) {
        f.put("orders", Integer.toString(1 + i % 7));
        f.put("amount", Integer.toString((i % 1000) * 1000));
        f.put("lastOrderAt", Long.toString(now - (i % 90) * 86_400_000L));
      }
      f.put("v", "1");
      return redis.<String, String>opsForHash().putAll(RedisKeys.person("bench" + i), f);
    }, 256).then().block(Duration.ofMinutes(10));
    for (String s : List.of("bench-oily", "bench-buyers", "bench-q1")) {
      definitions.put(s, switch (s) {
        case "bench-oily" -> "tags.contains('skin:oily') and stage != 'churned'";
        case "bench-buyers" -> "orders >= 2 and rfm.m >= 2";
        default -> "answers['q1'] == 'a' and windows['30d']['*'] >= 3";
      }, null, "bench").block();
    }
    for (int run = 1; run <= 3; run++) {
      long t0 = System.nanoTime();
      AudienceRebuilds.Status st = rebuilds.rebuild(null).block(Duration.ofMinutes(10));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      Runtime rt = Runtime.getRuntime();
      System.out.printf("BENCH full pass %d: %d profiles in %d ms (%.0f/s), heap used %d MB%n", run, st.processed(), ms,
          st.processed() * 1000.0 / ms, (rt.totalMemory() - rt.freeMemory()) >> 20);
      assertThat(st.state()).isEqualTo("done");
    }
    long t1 = System.nanoTime();
    long read = rebuilds.profiles(p -> true).count().block(Duration.ofMinutes(10));
    System.out.printf("BENCH read-only pass: %d profiles in %d ms%n", read, (System.nanoTime() - t1) / 1_000_000);
    for (String s : List.of("bench-oily", "bench-buyers", "bench-q1")) {
      System.out.printf("BENCH %s: %d members%n", s, redis.opsForSet().size(RedisKeys.segmentMembers(s)).block());
      definitions.delete(s).block();
    }
  }
}

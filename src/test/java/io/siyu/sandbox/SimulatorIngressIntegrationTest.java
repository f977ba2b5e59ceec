package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.MutableClock;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** End to end: the simulator's callbacks against the real ingress. */
@SiyuIntegrationTest
@Import(MutableClock.Config.class)
class SimulatorIngressIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);

  @Autowired CallbackSimulator simulator;
  @Autowired ReactiveStringRedisTemplate redis;

  private static CallbackSimulator.Request req(String userId, String ext, String content) {
    return new CallbackSimulator.Request(userId, ext, "qr-e2e", null, null, null, null, null, null, null, null, null,
        null, null, content, null);
  }

  @Test
  void ingressAcceptsTheSimulatedAddContactCallbackAndAppendsItToTheInbox() {
    String ext = SandboxWecom.randomId("wmE2e", 16);
    CallbackSimulator.Result r = simulator.simulate("add_external_contact", req("zhangsan", ext, null)).block(T);
    assertThat(r.attempts()).extracting(CallbackSimulator.Attempt::status).containsExactly(200);
    assertThat(r.delivered()).isTrue();
    assertThat(redis.opsForStream().range(RedisKeys.inboxStream(), Range.unbounded())
        .filter(rec -> String.valueOf(rec.getValue()).contains(ext)).count().block(T)).isEqualTo(1);
  }

  @Test
  void everyKindIsAcceptedByTheIngress() {
    for (String kind : CallbackSimulator.KINDS) {
      CallbackSimulator.Result r = simulator.simulate(kind,
          req("zhangsan", SandboxWecom.randomId("wmE2e", 16), null)).block(T);
      assertThat(r.delivered()).as(kind + " " + r.attempts()).isTrue();
    }
  }

  @Test
  void aNon200AnswerIsRetriedThreeTimesInTotal() {
    // 70 KB of text exceeds the ingress body limit (64 KB): it answers 413 every time.
    CallbackSimulator.Result r = simulator.simulate("text", req("zhangsan", null, "x".repeat(70_000))).block(T);
    assertThat(r.delivered()).isFalse();
    assertThat(r.attempts()).extracting(CallbackSimulator.Attempt::outcome).containsExactly("http 413", "http 413", "http 413");
  }
}

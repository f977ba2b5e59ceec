package io.siyu.wecom;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import me.chanjar.weixin.cp.api.WxCpService;
import me.chanjar.weixin.cp.bean.message.WxCpMessage;
import me.chanjar.weixin.cp.bean.message.WxCpMessageSendResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The real WxJava client against the WeCom sandbox of this server, tokens and buckets in the real Redis. */
@SiyuIntegrationTest
class WecomClientIntegrationTest {

  static final String SEND = "message/send";

  @Autowired WecomClient client;
  @Autowired SandboxWecom sandbox;
  @Autowired WecomApps apps;
  @Autowired WecomProperties wecomProps;
  @Autowired StringRedisTemplate redis;
  @Autowired ReactiveStringRedisTemplate reactiveRedis;
  @Autowired MeterRegistry meters;
  @Autowired Environment env;
  @Autowired WebTestClient web;

  final List<WecomClient> extraClients = new java.util.ArrayList<>();

  @BeforeEach
  void clean() {
    sandbox.reset();
    Set<String> keys = redis.keys(RedisKeys.wecomTokenPrefix() + "*");
    if (keys != null && !keys.isEmpty()) {
      redis.delete(keys);
    }
    redis.delete(RedisKeys.wecomRateBucket(SEND));
  }

  @AfterEach
  void closeExtraClients() throws Exception {
    for (WecomClient c : extraClients) {
      c.destroy();
    }
    redis.delete(RedisKeys.wecomRateBucket(SEND));
  }

  /** Another instance: its own WxJava services, scheduler, HTTP pool and meters; the same Redis and sandbox. */
  WecomClient otherInstance(Map<String, String> clientProps) {
    return otherInstance(clientProps, wecomProps);
  }

  WecomClient otherInstance(Map<String, String> clientProps, WecomProperties wecom) {
    Map<String, String> all = new HashMap<>(Map.of("siyu.wecom.client.retry.initial-backoff", "10ms"));
    all.putAll(clientProps);
    WecomClientProperties p = new Binder(new MapConfigurationPropertySource(all))
        .bindOrCreate("siyu.wecom.client", WecomClientProperties.class);
    WecomClient c = new WecomClient(apps, wecom, p, redis, new WecomRateLimiter(reactiveRedis, p, Clock.systemUTC()),
        new SimpleMeterRegistry(), env);
    extraClients.add(c);
    return c;
  }

  static WecomCall<WxCpMessageSendResult> sendTo(String user) {
    return s -> s.getMessageService().send(WxCpMessage.TEXT().toUser(user).content("hello").build());
  }

  List<Integer> errcodes(String api) {
    return sandbox.calls(api).stream().map(SandboxCall::errcode).toList();
  }

  @Test
  void tokenIsFetchedOnceAndSharedByTwoInstancesThroughRedis() {
    WecomClient other = otherInstance(Map.of());
    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    StepVerifier.create(other.call("app", SEND, sendTo("lisi"))).expectNextCount(1).verifyComplete();
    StepVerifier.create(Flux.range(0, 6).flatMap(i -> (i % 2 == 0 ? client : other).call("app", SEND, sendTo("wangwu"))))
        .expectNextCount(6).verifyComplete();

    assertThat(sandbox.calls("gettoken")).hasSize(1);
    assertThat(errcodes(SEND)).hasSize(8).containsOnly(0);
    int agentId = apps.app("app").orElseThrow().agentId();
    String key = RedisKeys.wecomTokenPrefix() + ":wechat_cp_access_token_key:" + apps.corpId() + ":" + agentId;
    assertThat(redis.getExpire(key)).isGreaterThan(7000L);
    assertThat(other.service("app").getWxCpConfigStorage().getAccessToken()).isEqualTo(redis.opsForValue().get(key));
  }

  @Test
  void concurrentFirstCallsOfTwoInstancesFetchTheTokenOnceUnderTheRedisLock() {
    WecomClient one = otherInstance(Map.of());
    WecomClient two = otherInstance(Map.of());
    sandbox.setLatency("gettoken", Duration.ofMillis(300)); // keep the lock held while the others arrive
    StepVerifier.create(Flux.range(0, 10).flatMap(i -> (i % 2 == 0 ? one : two).call("app", SEND, sendTo("zhangsan")), 10))
        .expectNextCount(10).verifyComplete();
    assertThat(sandbox.calls("gettoken")).hasSize(1);
    assertThat(redis.keys(RedisKeys.wecomTokenPrefix() + ":wechat_cp_lock:*")).isEmpty(); // released
  }

  @Test
  void expiredTokenIsRefreshedAndTheCallRetriedOnce() {
    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    double expiredBefore = count("app", SEND, "42001");
    sandbox.expireTokens();

    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();

    assertThat(sandbox.calls("gettoken")).hasSize(2);
    assertThat(errcodes(SEND)).containsExactly(0, 42001, 0);
    assertThat(count("app", SEND, "42001")).isEqualTo(expiredBefore + 1);
  }

  @Test
  void concurrentCallsOnAStaleTokenAllSucceed() {
    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    for (int round = 0; round < 5; round++) {
      sandbox.reset(); // the sandbox forgets its tokens: the one shared in Redis is stale for every caller
      List<WxCpMessageSendResult> results = Flux.range(0, 24)
          .flatMap(i -> client.call("app", SEND, sendTo("zhangsan")), 12)
          .collectList().block(Duration.ofSeconds(30));
      assertThat(results).as("round %d", round).hasSize(24);
    }
  }

  @Test
  void aStaleCallersExpiryLeavesTheFresherTokenInPlace() throws Exception {
    WxCpService service = client.service("app");
    WecomTokenStorage storage = (WecomTokenStorage) service.getWxCpConfigStorage();
    java.util.concurrent.ExecutorService staleCaller = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      String stale = staleCaller.submit(() -> service.getAccessToken(false)).get();
      String fresh = service.getAccessToken(true); // another caller refreshed meanwhile
      assertThat(fresh).isNotEqualTo(stale);

      staleCaller.submit(storage::expireAccessToken).get(); // WeCom refused the stale token
      assertThat(storage.getAccessToken()).isEqualTo(fresh);

      storage.expireAccessToken(); // this thread's own token was refused: it goes
      assertThat(storage.isAccessTokenExpired()).isTrue();
    } finally {
      staleCaller.shutdownNow();
    }
  }

  @Test
  void tokenStillRejectedAfterTheRefreshIsPermanentAndNotRetriedAgain() {
    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    // the refreshed token works, but the API keeps answering 42001: one refresh, then give up
    sandbox.injectFaults(SEND, 42001, 42001, 42001);
    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan")))
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(WecomApiException.class,
            a -> assertThat(a.errcode()).isEqualTo(42001)))
        .verify(Duration.ofSeconds(10));
    assertThat(errcodes(SEND)).containsExactly(0, 42001, 42001);
  }

  @Test
  void busyAndLimitErrorsAreRetriedWithBackoffThenSucceed() {
    sandbox.injectFaults(SEND, -1, 45009, 45033);
    double busyBefore = count("app", SEND, "-1");

    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();

    assertThat(errcodes(SEND)).containsExactly(-1, 45009, 45033, 0);
    assertThat(count("app", SEND, "-1")).isEqualTo(busyBefore + 1);
  }

  @Test
  void transientErrorsSurfaceAsTransientAfterTheConfiguredAttempts() {
    WecomClient c = otherInstance(Map.of("siyu.wecom.client.retry.attempts", "2"));
    sandbox.injectFault(SEND, -1, 5);
    StepVerifier.create(c.call("app", SEND, sendTo("zhangsan")))
        .expectErrorSatisfies(e -> assertThat(e).isExactlyInstanceOf(WecomTransientException.class)
            .isInstanceOf(io.siyu.infra.Transient.class)
            .satisfies(t -> assertThat(((WecomException) t).errcode()).isEqualTo(-1)))
        .verify(Duration.ofSeconds(10));
    assertThat(errcodes(SEND)).containsExactly(-1, -1, -1);
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void permanentErrorIsAnApiExceptionWithCodeAndMessageAndIsNotRetried(CapturedOutput output) {
    StepVerifier.create(client.call("app", SEND, sendTo("nobody")))
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(WecomApiException.class, a -> {
          assertThat(a.app()).isEqualTo("app");
          assertThat(a.api()).isEqualTo(SEND);
          assertThat(a.errcode()).isEqualTo(81013);
          assertThat(a.errmsg()).isNotBlank();
          assertThat(a.getMessage()).doesNotContain(redis.opsForValue().get(tokenKey("app")))
              .doesNotContain(apps.app("app").orElseThrow().secret());
        }))
        .verify(Duration.ofSeconds(10));
    assertThat(errcodes(SEND)).containsExactly(81013);

    sandbox.injectFaults("externalcontact/get", 84061);
    StepVerifier.create(client.call("contact", "externalcontact/get",
            s -> s.getExternalContactService().getContactDetail("wmNoRelation", null)))
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(WecomApiException.class,
            a -> assertThat(a.errcode()).isEqualTo(84061)))
        .verify(Duration.ofSeconds(10));
    assertThat(errcodes("externalcontact/get")).containsExactly(84061);
    assertThat(output.getAll()).doesNotContain("access_token=").doesNotContain(redis.opsForValue().get(tokenKey("app")));
  }

  @Test
  void atMostMaxConcurrentCallsRunAtOnceAndNeverOnTheEventLoop() {
    WecomClient c = otherInstance(Map.of("siyu.wecom.client.max-concurrent-calls", "3"));
    sandbox.setLatency(SEND, Duration.ofMillis(150));
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    WecomCall<WxCpMessageSendResult> tracked = s -> {
      threads.add(Thread.currentThread().getName());
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        return sendTo("zhangsan").apply(s);
      } finally {
        inFlight.decrementAndGet();
      }
    };
    StepVerifier.create(Flux.range(0, 12).flatMap(i -> c.call("app", SEND, tracked), 12))
        .expectNextCount(12).verifyComplete();

    assertThat(maxInFlight.get()).isEqualTo(3);
    assertThat(threads).allMatch(t -> t.startsWith("wecom-"));
    assertThat(errcodes(SEND)).hasSize(12).containsOnly(0);
  }

  @Test
  void readTimeoutIsTransient() {
    WecomClient c = otherInstance(Map.of("siyu.wecom.client.read-timeout", "300ms",
        "siyu.wecom.client.retry.attempts", "1"));
    StepVerifier.create(c.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete(); // token first
    sandbox.setLatency(SEND, Duration.ofSeconds(2));
    StepVerifier.create(c.call("app", SEND, sendTo("zhangsan")))
        .expectErrorSatisfies(e -> assertThat(e).isExactlyInstanceOf(WecomTransientException.class)
            .satisfies(t -> assertThat(((WecomException) t).errcode()).isEqualTo(WecomException.NO_ERRCODE)))
        .verify(Duration.ofSeconds(10));
    assertThat(errcodes(SEND)).hasSize(3); // the first call, then two timed-out attempts
  }

  @Test
  void rateLimitIsSharedByInstancesAndRefusedCallsNeverReachWecom() {
    // a bucket of the whole minute (rate-burst 1m): two calls at once
    Map<String, String> limited = Map.of("siyu.wecom.client.rate-limits[" + SEND + "]", "2",
        "siyu.wecom.client.max-rate-wait", "0s", "siyu.wecom.client.rate-burst", "1m");
    WecomClient one = otherInstance(limited);
    WecomClient two = otherInstance(limited);
    StepVerifier.create(one.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    StepVerifier.create(two.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    StepVerifier.create(one.call("app", SEND, sendTo("zhangsan")))
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(WecomRateLimitedException.class,
            r -> assertThat(r.retryAfter()).isPositive()))
        .verify(Duration.ofSeconds(10));
    StepVerifier.create(two.call("app", SEND, sendTo("zhangsan")))
        .expectError(WecomRateLimitedException.class).verify(Duration.ofSeconds(10));
    assertThat(errcodes(SEND)).hasSize(2);
  }

  @Test
  void connectionRefusedIsTransientAndHealthReportsTheAppDown() {
    WecomProperties unreachable = new WecomProperties(wecomProps.mode(), wecomProps.corpId(),
        "http://127.0.0.1:1/nowhere", wecomProps.callback(), wecomProps.apps());
    WecomClient c = otherInstance(Map.of("siyu.wecom.client.retry.attempts", "1",
        "siyu.wecom.client.connect-timeout", "500ms"), unreachable);
    StepVerifier.create(c.call("app", SEND, sendTo("zhangsan")))
        .expectError(WecomTransientException.class).verify(Duration.ofSeconds(10));

    Health health = new WecomHealthIndicator(c, false, Duration.ofSeconds(3)).health().block(Duration.ofSeconds(10));
    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("mode", "real");
    @SuppressWarnings("unchecked")
    Map<String, String> details = (Map<String, String>) health.getDetails().get("apps");
    assertThat(details).containsKeys("app", "contact", "kf");
    assertThat(details.get("app")).startsWith("no token");
  }

  @Test
  void realModeHealthIsUpWhenEveryAppGetsAToken() {
    Health health = new WecomHealthIndicator(client, false, Duration.ofSeconds(5)).health().block(Duration.ofSeconds(10));
    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails().get("apps").toString()).doesNotContain(redis.opsForValue().get(tokenKey("app")));
    assertThat(sandbox.calls("gettoken")).hasSize(apps.all().size());
  }

  @Test
  void sandboxModeHealthIsUpWithTheMode() {
    Health health = new WecomHealthIndicator(client, true, Duration.ofSeconds(5)).health().block(Duration.ofSeconds(10));
    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails()).containsEntry("mode", "sandbox");
    // Over HTTP (unauthenticated) the component's status shows, its details do not.
    web.get().uri("/actuator/health").exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.components.wecom.status").isEqualTo("UP")
        .jsonPath("$.components.wecom.details").doesNotExist();
  }

  @Test
  void callsAreCountedByErrcodeAndTimed() {
    double okBefore = count("app", SEND, "0");
    double permanentBefore = count("app", SEND, "81013");
    StepVerifier.create(client.call("app", SEND, sendTo("zhangsan"))).expectNextCount(1).verifyComplete();
    StepVerifier.create(client.call("app", SEND, sendTo("nobody"))).expectError(WecomApiException.class).verify();
    assertThat(count("app", SEND, "0")).isEqualTo(okBefore + 1);
    assertThat(count("app", SEND, "81013")).isEqualTo(permanentBefore + 1);
    assertThat(meters.get("siyu.wecom.call").tags("app", "app", "api", SEND).timer().count()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void unknownAppFailsWithoutCallingWecom() {
    StepVerifier.create(client.call("nope", SEND, sendTo("zhangsan")))
        .expectError(IllegalArgumentException.class).verify();
    assertThat(sandbox.calls(null)).isEmpty();
  }

  @Test
  void servicesAreBuiltOncePerAppAndPointAtThisServersSandbox() {
    WxCpService first = client.service("app");
    assertThat(client.service("app")).isSameAs(first);
    assertThat(client.appNames()).containsExactlyInAnyOrderElementsOf(
        apps.all().stream().map(WecomApps.AppCredentials::name).toList());
    assertThat(client.baseApiUrl()).isEqualTo("http://127.0.0.1:" + env.getProperty("local.server.port") + "/sandbox/wecom");
  }

  double count(String app, String api, String errcode) {
    var c = meters.find("siyu.wecom.calls").tags("app", app, "api", api, "errcode", errcode).counter();
    return c == null ? 0 : c.count();
  }

  String tokenKey(String app) {
    return RedisKeys.wecomTokenPrefix() + ":wechat_cp_access_token_key:" + apps.corpId() + ":"
        + apps.app(app).orElseThrow().agentId();
  }
}

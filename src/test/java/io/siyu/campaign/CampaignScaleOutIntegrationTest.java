package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.PersonStore;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxDriver;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

/**
 * Scale-out proof (issue 5 item 6): three application instances as child JVMs on one Redis deliver a campaign to
 * 10,000 people while one of them is killed (SIGKILL) mid-delivery.
 *
 * <p>This test's own application context is only the shared infrastructure: its embedded Redis, and its WeCom
 * sandbox, which every child calls ({@code siyu.wecom.base-api-url}) so that one call log and one rate window see
 * all instances. Its own workers stay off (test.properties). The children run the real main class with the
 * outbox workers, planner and triggers on, a day cap of 1, a 20 s quiet window a little after their start, and a
 * client rate limit below the sandbox's. 100 people were already messaged today (their day counter is at the cap).
 *
 * <p>Asserted from the sandbox's call log and the outbox: every eligible person received exactly one message,
 * the pre-capped none (deferred to tomorrow), nothing was sent inside the quiet window, and no 60 s window holds
 * more calls than the sandbox allows (no 45009). Entries may end {@code dead} after the kill: WeCom accepted the
 * call, the instance died before recording it, and the redelivery was refused by WeCom's per-customer limit
 * (docs/CAMPAIGNS.md, "Scale-out"); those customers still have exactly one message.
 */
@SiyuIntegrationTest
@TestPropertySource(properties = "siyu.sandbox.call-log-size=40000")
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class CampaignScaleOutIntegrationTest {

  private static final Duration T = Duration.ofSeconds(30);
  private static final int PEOPLE = 10_000;
  private static final int PRE_CAPPED = 100;
  private static final int INSTANCES = 3;
  private static final String API = "externalcontact/add_msg_template";
  /** The sandbox's per-minute limit and the client's: the client's plus its 1 s bucket stays below (rate-burst). */
  private static final int SANDBOX_LIMIT = 8_000;
  private static final int CLIENT_LIMIT = 7_600;
  /** The quiet window starts this long after the children are spawned (they start and plan meanwhile). */
  private static final Duration QUIET_AFTER = Duration.ofSeconds(45);
  private static final Duration QUIET = Duration.ofSeconds(20);
  /** A call claimed just before the quiet window may wait for a rate token (max-rate-wait 2s) and the HTTP call. */
  private static final Duration QUIET_GRACE = Duration.ofSeconds(3);

  @LocalServerPort int hostPort;
  @Autowired DataRedisConnectionDetails redisDetails;
  @Autowired PersonStore persons;
  @Autowired SandboxWecom sandbox;
  @Autowired Outbox outbox;
  @Autowired CampaignRuns runs;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired WebTestClient web;
  @Autowired SiyuProperties siyu;
  @Autowired ApplicationContext context;

  private final List<Process> children = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  /** Kills the children should this JVM end without running the test's finally (e.g. a surefire timeout). */
  private final Thread reaper = new Thread(() -> children.forEach(Process::destroyForcibly), "scale-out-reaper");

  @AfterEach
  void killChildren() throws InterruptedException {
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // shutting down already, or not registered
    }
    for (Process p : children) {
      p.destroyForcibly();
    }
    for (Process p : children) {
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void threeInstancesDeliverOneMessageEachWithinCapsQuietHoursAndTheRateLimitDespiteAKill() throws Exception {
    try {
      run();
    } catch (Throwable e) {
      printLogTails();
      throw e;
    } finally {
      killChildren();
    }
  }

  private void run() throws Exception {
    String prefix = "so" + UUID.randomUUID().toString().substring(0, 8);
    List<String> people = IntStream.range(0, PEOPLE).mapToObj(i -> prefix + String.format("%05d", i)).toList();
    Flux.fromIterable(people).flatMap(p -> new CampaignTestSupport(persons, sandbox, redis, web).upsert(p, "顾客"), 64)
        .then().block(Duration.ofMinutes(1));
    String segment = new CampaignTestSupport(persons, sandbox, redis, web)
        .segment(prefix + "-all", "id.startsWith('" + prefix + "')", PEOPLE, Duration.ofMinutes(1));
    // already messaged today by another campaign or the journey: the day counter is at the cap of 1
    String day = DateTimeFormatter.BASIC_ISO_DATE.format(LocalDate.now(siyu.zone()));
    List<String> preCapped = people.subList(0, PRE_CAPPED);
    Flux.fromIterable(preCapped).flatMap(p -> redis.opsForValue().set(RedisKeys.outboxCapDay(p, day), "1")).then().block(T);
    sandbox.setRateLimit(API, SANDBOX_LIMIT);

    Instant quietStart = Instant.now().plus(QUIET_AFTER).truncatedTo(ChronoUnit.SECONDS);
    Instant quietEnd = quietStart.plus(QUIET);
    List<Integer> ports = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(reaper);
    for (int i = 0; i < INSTANCES; i++) {
      ports.add(freePort());
      children.add(spawn(i, ports.get(i), quietStart, quietEnd));
    }
    for (int port : ports) {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> alive() && ready(port));
    }

    // launched through the first instance's admin API; the planners of all three race for the run
    WebTestClient first = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + ports.get(0) + "/api/v1")
        .responseTimeout(T).build();
    Instant at = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.SECONDS);
    Map<String, Object> created = first.post().uri("/campaigns")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR).bodyValue(definition(segment, at))
        .exchange().expectStatus().isCreated()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult().getResponseBody();
    String id = (String) created.get("id");
    first.post().uri("/campaigns/" + id + "/launch").header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .exchange().expectStatus().isOk();
    String runId = CampaignRuns.runId(id, at);
    assertThat(at).as("launched before the quiet window (instances slower than %s to start?)", QUIET_AFTER)
        .isBefore(quietStart);

    // SIGKILL the second instance when about half are delivered
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
      assertThat(alive()).as("every instance still runs").isTrue();
      return receipts(prefix).size() >= (PEOPLE - PRE_CAPPED) / 2;
    });
    children.get(1).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    int atKill = receipts(prefix).size();

    Set<String> eligible = new HashSet<>(people.subList(PRE_CAPPED, PEOPLE));
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
        .until(() -> receipts(prefix).size() >= eligible.size());
    // and every entry has ended (a redelivery after the kill may still be pending on the outbox lease)
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).until(() -> statuses(runId, eligible)
        .values().stream().allMatch(s -> s.status().equals("sent") || s.status().equals("dead")));

    // every eligible person got exactly one message; the pre-capped none
    Map<String, Integer> receipts = receipts(prefix);
    Set<String> eligibleExt = new HashSet<>();
    eligible.forEach(p -> eligibleExt.add(CampaignTestSupport.ext(p)));
    assertThat(receipts.keySet()).isEqualTo(eligibleExt);
    assertThat(receipts.values()).as("exactly one message per customer").allMatch(n -> n == 1);

    Map<String, Outbox.Status> entries = statuses(runId, eligible);
    long dead = entries.values().stream().filter(s -> s.status().equals("dead")).count();
    // dead only where WeCom accepted the call and the killed instance could not record it (its batch at most)
    assertThat(dead).as("entries dead after the kill").isLessThanOrEqualTo(64);
    Instant tomorrow = LocalDate.now(siyu.zone()).plusDays(1).atStartOfDay(siyu.zone()).toInstant();
    statuses(runId, new HashSet<>(preCapped)).values().forEach(s -> {
      assertThat(s.status()).as("pre-capped: deferred, not sent").isEqualTo("queued");
      assertThat(s.dueAt()).isAfterOrEqualTo(tomorrow);
    });
    CampaignRuns.Run run = runs.find(runId).block(T);
    assertThat(run.state()).isEqualTo("planned");
    assertThat(run.planned() + run.alreadyQueued()).as("one entry per person").isGreaterThanOrEqualTo(PEOPLE);

    // nothing sent inside the quiet window; the rate limit held in every 60 s window
    List<SandboxCall> calls = sandbox.calls(API);
    assertThat(calls).as("no 45009").noneMatch(c -> c.errcode() == 45009);
    List<Instant> sent = calls.stream().filter(c -> c.errcode() == 0).map(SandboxCall::at).sorted().toList();
    assertThat(sent).as("no send in the quiet window")
        .noneMatch(t -> !t.isBefore(quietStart.plus(QUIET_GRACE)) && t.isBefore(quietEnd));
    assertThat(maxIn60s(calls.stream().map(SandboxCall::at).sorted().toList())).isLessThanOrEqualTo(SANDBOX_LIMIT);
    System.out.printf("scale-out: %d sent (%d at the kill), %d dead after the kill, first %s, last %s, quiet %s-%s,"
        + " max calls in 60 s %d%n", sent.size(), atKill, dead, sent.get(0), sent.get(sent.size() - 1), quietStart,
        quietEnd, maxIn60s(sent));

    // Nothing of this test may stay queued (later classes check the outbox's global counts, some move their
    // clocks days ahead): the source is cancelled and the pre-capped entries are made due, so the claim expires them.
    outbox.cancelSource(CampaignPlanner.source(id)).block(T);
    long now = System.currentTimeMillis();
    Flux.fromIterable(preCapped).flatMap(p -> redis.opsForZSet().add(RedisKeys.outboxDue(), CampaignPlanner.key(runId, p), now))
        .then().block(T);
    // (a claim that only expires entries returns none, so deliverAll stops after each batch of them)
    await().atMost(T).until(() -> OutboxDriver.deliverAll(context, T) >= 0 && statuses(runId, new HashSet<>(preCapped))
        .values().stream().allMatch(st -> st.status().equals("expired")));
    // and 10,000 extra profiles would slow every later full audience pass of this JVM's Redis
    Flux.fromIterable(people).buffer(500).flatMap(page -> redis.unlink(Flux.fromIterable(page)
        .flatMap(p -> Flux.just(RedisKeys.person(p), RedisKeys.personIdOfExternalUser(CampaignTestSupport.ext(p))))), 4)
        .then().block(T);
  }

  private Map<String, Object> definition(String segment, Instant at) {
    return Map.of(
        "name", "扩容测试",
        "goal", Map.of("text", "促成下单", "conversionKind", "order", "conversionWindow", "P7D"),
        "audience", Map.of("segment", segment),
        "content", Map.of("template", "{name}您好，本周推荐{block:rec}。",
            "blocks", Map.of("rec", Map.of("table", "recommendation"))),
        "channels", List.of("staff"),
        "schedule", Map.of("type", "once", "at", at.toString()),
        "caps", Map.of("perPerson", 1));
  }

  /** A child JVM running the application against this test's Redis and sandbox. */
  private Process spawn(int n, int port, Instant quietStart, Instant quietEnd) throws IOException {
    Path log = Path.of("target", "scale-out", n + ".log");
    Files.createDirectories(log.getParent());
    logs.add(log);
    DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "io.siyu.SiyuApplication",
        "--server.port=" + port,
        "--spring.data.redis.host=127.0.0.1",
        "--spring.data.redis.port=" + redisDetails.getStandalone().getPort(),
        "--siyu.wecom.mode=sandbox",
        "--siyu.wecom.base-api-url=http://127.0.0.1:" + hostPort + "/sandbox/wecom",
        "--siyu.wecom.client.rate-limits[" + API + "]=" + CLIENT_LIMIT,
        "--siyu.outbox.caps.per-day=1",
        "--siyu.outbox.quiet-hours.start=" + hms.format(quietStart.atZone(siyu.zone()).toLocalTime()),
        "--siyu.outbox.quiet-hours.end=" + hms.format(quietEnd.atZone(siyu.zone()).toLocalTime()),
        // a killed instance's claimed entries come back after this lease (default 120s); it must outlast a
        // claimed batch's calls, rate waits and a cold start included, or a slow instance's entry is sent twice
        "--siyu.outbox.lease=30s",
        "--siyu.campaign.planner.interval=1s",
        "--siyu.campaign.planner.lease=10s",
        "--siyu.inbox.enabled=false",
        "--siyu.audience.evaluator.enabled=false",
        "--siyu.audience.sweep.enabled=false",
        "--siyu.points.job.enabled=false");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(new File(System.getProperty("user.dir")))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SIYU_ADMIN_OPERATOR_TOKEN", AdminTokens.OPERATOR);
    pb.environment().put("SIYU_ADMIN_VIEWER_TOKEN", AdminTokens.VIEWER);
    return pb.start();
  }

  private boolean alive() {
    for (int i = 0; i < children.size(); i++) {
      if (!children.get(i).isAlive()) {
        throw new IllegalStateException("instance " + i + " exited with " + children.get(i).exitValue());
      }
    }
    return true;
  }

  private boolean ready(int port) throws IOException, InterruptedException {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/campaigns?limit=1"))
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.VIEWER).timeout(Duration.ofSeconds(5)).build();
    return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
  }

  /** Messages received per customer of this test: accepted add_msg_template calls, minus WeCom's refusals. */
  private Map<String, Integer> receipts(String prefix) {
    Map<String, Integer> out = new HashMap<>();
    for (SandboxCall c : sandbox.calls(API)) {
      if (c.errcode() != 0 || !(c.request().get("external_userid") instanceof List<?> targets)) {
        continue;
      }
      Object limited = c.detail() == null ? null : c.detail().get("limited");
      for (Object t : targets) {
        String ext = String.valueOf(t);
        if (ext.startsWith(CampaignTestSupport.ext(prefix)) && !(limited instanceof List<?> l && l.contains(ext))) {
          out.merge(ext, 1, Integer::sum);
        }
      }
    }
    return out;
  }

  private Map<String, Outbox.Status> statuses(String runId, Set<String> people) {
    return Flux.fromIterable(people)
        .flatMap(p -> outbox.status(CampaignPlanner.key(runId, p)).map(s -> Map.entry(p, s)), 64)
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .doOnNext(m -> assertThat(m).as("an entry for everyone").hasSize(people.size()))
        .block(T);
  }

  /** The most calls within any 60 s (sliding: WeCom's minute need not start on the clock's). */
  private static int maxIn60s(List<Instant> sorted) {
    int max = 0;
    for (int lo = 0, hi = 0; hi < sorted.size(); hi++) {
      while (!sorted.get(lo).plusSeconds(60).isAfter(sorted.get(hi))) {
        lo++;
      }
      max = Math.max(max, hi - lo + 1);
    }
    return max;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private void printLogTails() {
    for (Path log : logs) {
      try {
        List<String> lines = Files.readAllLines(log);
        System.out.println("---- " + log + " (last 80 lines) ----");
        lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(System.out::println);
      } catch (IOException | UncheckedIOException e) {
        System.out.println("---- " + log + ": " + e);
      }
    }
  }
}

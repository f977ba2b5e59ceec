package io.siyu.sandbox;

import io.siyu.admin.Problem;
import io.siyu.audience.PersonStore;
import io.siyu.journey.QuestionnaireLinks;
import io.siyu.journey.QuestionnaireProperties;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A simulated audience for demos and benchmarks: {@code count} customers add a staff member spread evenly
 * over {@code seconds} (real encrypted add_external_contact callbacks with a WelcomeCode); the first
 * floor(count × questionnaireRate) of them (by index) then answer the questionnaire through the real H5
 * page, and the first floor(count × joinRate) join a customer group (change_external_chat add_member). So
 * the implied funnel and draw numbers are exact. Each follow-up step waits (bounded) until the person
 * exists. One run at a time; progress and the welcome latency (simulator send time → the sandbox's
 * send_welcome_msg call time) are in {@link #report()}.
 */
@Component
@SandboxOnly
class AudienceSimulator {

  private static final Logger log = LoggerFactory.getLogger(AudienceSimulator.class);
  static final String WELCOME_API = "externalcontact/send_welcome_msg";
  /** WeCom's welcome_code window: a welcome not sent within it falls to another channel. */
  static final Duration WELCOME_WINDOW = Duration.ofSeconds(20);
  /** HTTP requests (callbacks and page posts) in flight; below Reactor Netty's pending-acquire limit. */
  private static final int CONCURRENCY = 256;
  private static final Duration PERSON_WAIT = Duration.ofSeconds(60);
  private static final Duration PERSON_POLL = Duration.ofMillis(50);
  private static final Duration SCAN_INTERVAL = Duration.ofMillis(500);

  /**
   * @param count             customers who add the staff member (1 – 100,000)
   * @param seconds           over how long the adds are spread (0: all at once)
   * @param questionnaireRate share of them (by index) who then answer the questionnaire
   * @param joinRate          share of them (by index) who join the group
   * @param chatId            the group they join (default: a generated one)
   * @param userId            the staff member they add (default zhangsan)
   */
  record AudienceRequest(Integer count, Integer seconds, Double questionnaireRate, Double joinRate, String chatId,
                         String userId) {}

  record Implied(long followed, long questionnaire, long joined) {}

  /**
   * @param sent    welcomes sent within the window, with their latency from the add's send time
   * @param missed  adds whose welcome was not sent successfully within {@link #WELCOME_WINDOW}
   * @param pending adds still inside the window without a welcome
   */
  record Welcome(long sent, long missed, long pending, Long p50Ms, Long p99Ms, Long maxMs) {}

  record AudienceReport(String runId, String status, int count, int seconds, Instant startedAt, Instant lastAddAt,
                        Instant finishedAt, long added, long addFailed, long questionnaires, long questionnaireFailed,
                        long joined, long joinFailed, long personTimeouts, Double addRatePerSecond, Implied implied,
                        Welcome welcome) {}

  private final CallbackSimulator callbacks;
  private final SandboxWecom sandbox;
  private final PersonStore persons;
  private final QuestionnaireLinks links;
  private final QuestionnaireProperties questionnaire;
  private final Clock clock;
  private final Environment env;
  private final WebClient web = WebClient.create();
  private final AtomicReference<Run> current = new AtomicReference<>();

  AudienceSimulator(CallbackSimulator callbacks, SandboxWecom sandbox, PersonStore persons, QuestionnaireLinks links,
                    QuestionnaireProperties questionnaire, Clock clock, Environment env) {
    this.callbacks = callbacks;
    this.sandbox = sandbox;
    this.persons = persons;
    this.links = links;
    this.questionnaire = questionnaire;
    this.clock = clock;
    this.env = env;
  }

  /** Starts a run in the background; fails with 409 while another is running, 400 on bad input. */
  AudienceReport start(AudienceRequest request) {
    AudienceRequest r = request == null ? new AudienceRequest(null, null, null, null, null, null) : request;
    int count = r.count() == null ? 1000 : r.count();
    int seconds = r.seconds() == null ? 60 : r.seconds();
    double qRate = r.questionnaireRate() == null ? 0.6 : r.questionnaireRate();
    double jRate = r.joinRate() == null ? 0.4 : r.joinRate();
    if (count < 1 || count > 100_000 || seconds < 0 || seconds > 3600 || !(qRate >= 0 && qRate <= 1)
        || !(jRate >= 0 && jRate <= 1)) {
      throw new Problem(HttpStatus.BAD_REQUEST, "sandbox-audience-invalid", "Invalid audience",
          "count 1-100000, seconds 0-3600, questionnaireRate and joinRate 0-1");
    }
    String runId = SandboxWecom.randomId("", 8);
    Run run = new Run(runId, count, seconds, new Implied(count, (long) Math.floor(count * qRate),
        (long) Math.floor(count * jRate)), blankTo(r.chatId(), "wrSimAudience" + runId), blankTo(r.userId(), "zhangsan"),
        clock.instant());
    Run previous = current.get();
    if (previous != null && !previous.finished() || !current.compareAndSet(previous, run)) {
      throw new Problem(HttpStatus.CONFLICT, "sandbox-audience-running", "Audience already running",
          "wait until the current run has finished (GET /sandbox/simulate/audience)");
    }
    run.begin();
    log.info("audience run {} started: {} persons over {} s", runId, count, seconds);
    return run.report();
  }

  /** The current (or last) run's progress; empty when none was started. */
  java.util.Optional<AudienceReport> report() {
    return java.util.Optional.ofNullable(current.get()).map(Run::report);
  }

  private static String blankTo(String v, String dflt) {
    return v == null || v.isBlank() ? dflt : v;
  }

  /** One run: its counters, the adds' send times and the welcome calls seen so far. */
  private final class Run {
    final String runId;
    final int count;
    final int seconds;
    final Implied implied;
    final String chatId;
    final String userId;
    final Instant startedAt;
    final AtomicLong added = new AtomicLong();
    final AtomicLong addFailed = new AtomicLong();
    final AtomicLong questionnaires = new AtomicLong();
    final AtomicLong questionnaireFailed = new AtomicLong();
    final AtomicLong joined = new AtomicLong();
    final AtomicLong joinFailed = new AtomicLong();
    final AtomicLong personTimeouts = new AtomicLong();
    final AtomicLong done = new AtomicLong();
    /** external_userid → when the add was sent (removed once its welcome is resolved) */
    final Map<String, Instant> awaitingWelcome = new ConcurrentHashMap<>();
    final List<Long> latenciesMs = new ArrayList<>();
    long missed;
    long lastSeq;
    volatile Instant lastAddAt;
    volatile Instant finishedAt;
    volatile Instant firstAddAt;
    Disposable scanner;

    Run(String runId, int count, int seconds, Implied implied, String chatId, String userId, Instant startedAt) {
      this.runId = runId;
      this.count = count;
      this.seconds = seconds;
      this.implied = implied;
      this.chatId = chatId;
      this.userId = userId;
      this.startedAt = startedAt;
    }

    boolean finished() {
      return finishedAt != null;
    }

    void begin() {
      synchronized (this) {
        lastSeq = sandbox.calls(WELCOME_API).stream().mapToLong(SandboxCall::seq).max().orElse(0);
      }
      long periodNanos = Math.max(1, seconds * 1_000_000_000L / count);
      Flux<Long> ticks = seconds == 0 ? Flux.range(0, count).map(Integer::longValue)
          : Flux.interval(Duration.ZERO, Duration.ofNanos(periodNanos)).take(count).onBackpressureBuffer();
      ticks.flatMap(i -> person(i.intValue()), CONCURRENCY)
          .doFinally(s -> {
            lastAddAt = lastAddAt == null ? clock.instant() : lastAddAt;
            log.info("audience run {}: all {} persons done ({})", runId, count, s);
          })
          .subscribe();
      // The sandbox's call log is bounded: collect the welcome calls as they come, until each add is resolved.
      scanner = Flux.interval(SCAN_INTERVAL, SCAN_INTERVAL)
          .doOnNext(t -> scan())
          .takeUntil(t -> done.get() == count && awaitingWelcome.isEmpty())
          .doFinally(s -> finishedAt = clock.instant())
          .subscribe();
    }

    private Mono<Void> person(int i) {
      String ext = "wmSim" + runId + String.format("%06d", i);
      sandbox.putContact(new SandboxContact(ext, "观众" + i, null, i % 3, "unSim" + runId + i, List.of()));
      Instant sentAt = clock.instant();
      if (firstAddAt == null) {
        firstAddAt = sentAt;
      }
      awaitingWelcome.put(ext, sentAt);
      CallbackSimulator.Request add = new CallbackSimulator.Request(userId, ext, "sim-audience", true, null, null,
          null, null, null, null, null, null, null, null, null, null);
      return callbacks.simulate("add_external_contact", add).flatMap(res -> {
        lastAddAt = clock.instant();
        if (!res.delivered()) {
          addFailed.incrementAndGet();
          awaitingWelcome.remove(ext);
          return Mono.empty();
        }
        added.incrementAndGet();
        if (i >= implied.questionnaire() && i >= implied.joined()) {
          return Mono.empty();
        }
        return personId(ext).map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
            .flatMap(pid -> {
              if (pid.isEmpty()) {
                personTimeouts.incrementAndGet();
                return Mono.<Void>empty();
              }
              return (i < implied.questionnaire() ? answer(pid.get()) : Mono.<Void>empty())
                  .then(i < implied.joined() ? join(ext) : Mono.<Void>empty());
            });
      }).onErrorResume(e -> {
        log.warn("audience run {}: person {} failed: {}", runId, i, e.toString());
        addFailed.incrementAndGet();
        return Mono.empty();
      }).doFinally(s -> done.incrementAndGet()).then();
    }

    /** The person id once the follow handler has stored the person; empty after {@link #PERSON_WAIT}. */
    private Mono<String> personId(String ext) {
      return Mono.defer(() -> persons.idOfExternalUser(ext))
          .repeatWhenEmpty(attempts -> attempts.delayElements(PERSON_POLL))
          .timeout(PERSON_WAIT, Mono.empty());
    }

    private Mono<Void> answer(String personId) {
      return links.linkFor(personId).flatMap(link -> web.post()
              .uri(localUri(link))
              .contentType(MediaType.APPLICATION_FORM_URLENCODED)
              .body(BodyInserters.fromFormData(answers(personId)))
              .exchangeToMono(resp -> resp.releaseBody().thenReturn(resp.statusCode().value())))
          .timeout(Duration.ofSeconds(30))
          .doOnNext(status -> (status == 200 ? questionnaires : questionnaireFailed).incrementAndGet())
          .onErrorResume(e -> {
            questionnaireFailed.incrementAndGet();
            return Mono.empty();
          })
          .then();
    }

    private Mono<Void> join(String ext) {
      CallbackSimulator.Request r = new CallbackSimulator.Request(userId, null, null, null, chatId, "add_member", 3,
          List.of(ext), null, null, null, null, null, null, null, null);
      return callbacks.simulate("change_external_chat", r)
          .doOnNext(res -> (res.delivered() ? joined : joinFailed).incrementAndGet())
          .then();
    }

    private synchronized void scan() {
      Instant now = clock.instant();
      for (SandboxCall call : sandbox.calls(WELCOME_API)) {
        if (call.seq() <= lastSeq) {
          continue;
        }
        lastSeq = call.seq();
        Object ext = call.detail().get("external_userid");
        Instant sentAt = call.errcode() == 0 && ext != null ? awaitingWelcome.remove(ext.toString()) : null;
        if (sentAt != null) {
          Duration latency = Duration.between(sentAt, call.at());
          if (latency.compareTo(WELCOME_WINDOW) <= 0) {
            latenciesMs.add(latency.toMillis());
          } else {
            missed++;
          }
        }
      }
      awaitingWelcome.entrySet().removeIf(e -> {
        boolean late = Duration.between(e.getValue(), now).compareTo(WELCOME_WINDOW.plusSeconds(2)) > 0;
        if (late) {
          missed++;
        }
        return late;
      });
    }

    synchronized AudienceReport report() {
      long[] sorted = latenciesMs.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(sorted);
      Welcome welcome = new Welcome(sorted.length, missed, awaitingWelcome.size(), pct(sorted, 50), pct(sorted, 99),
          sorted.length == 0 ? null : sorted[sorted.length - 1]);
      Instant first = firstAddAt;
      Instant last = lastAddAt;
      Double rate = null;
      if (first != null && last != null && last.isAfter(first) && added.get() > 1) {
        rate = Math.round(10.0 * (added.get() - 1) * 1000.0 / Duration.between(first, last).toMillis()) / 10.0;
      }
      String status = finishedAt != null ? "finished" : done.get() == count ? "settling" : "running";
      return new AudienceReport(runId, status, count, seconds, startedAt, last, finishedAt, added.get(),
          addFailed.get(), questionnaires.get(), questionnaireFailed.get(), joined.get(), joinFailed.get(),
          personTimeouts.get(), rate, implied, welcome);
    }
  }

  private static Long pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return null;
    }
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  /** Valid answers from the configured questions: the first option, or a short text. */
  private MultiValueMap<String, String> answers(String personId) {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    int n = Math.abs(personId.hashCode());
    for (QuestionnaireProperties.Question q : questionnaire.questions()) {
      switch (q.type()) {
        case SINGLE, MULTI -> form.add("q." + q.id(), q.options().get(n % q.options().size()).id());
        case TEXT -> form.add("q." + q.id(), "好");
      }
    }
    return form;
  }

  /** The page on this server, whatever public base URL the link carries. */
  private URI localUri(String link) {
    URI u = URI.create(link);
    return URI.create("http://127.0.0.1:" + env.getProperty("local.server.port", "8080") + u.getRawPath());
  }
}

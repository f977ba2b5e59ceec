package io.siyu.outbox;

import io.siyu.infra.Polling;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.infra.Transient;
import io.siyu.outbox.OutboxChannels.NextChannel;
import io.siyu.outbox.OutboxChannels.Reservation;
import io.siyu.outbox.OutboxStore.Claimed;
import io.siyu.outbox.OutboxStore.Outcome;
import io.siyu.wecom.WecomApiException;
import io.siyu.wecom.WecomException;
import io.siyu.wecom.WecomRateLimitedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A delivery worker. Every instance runs one; they share the due set in Redis: a claim moves due entries
 * to the in-flight set under a lease (one script), so two workers never deliver one entry at once, and
 * a crashed worker's entries become due again when their lease expires.
 *
 * <p>Per entry: past its deadline → {@code expired}; inside quiet hours (source not exempt) → deferred
 * to their end; over the person's day/week cap → deferred to the next day/week (expired if that is past
 * the deadline); otherwise the channels in order (welcome code, kf, add_msg_template, staff to-do; or the
 * message's own {@code channels} list, in its order), skipping those the message cannot use. Channel-specific refusals (41051; 95001/95002/95018; a customer
 * in add_msg_template's fail_list) move to the next channel; transient errors retry the same channel
 * with exponential backoff; other errors are permanent: {@code dead} with the errcode.
 *
 * <p>Exactly-once: statuses change only through lease-checked scripts, and each WeCom call is preceded by
 * a lease check that renews the lease for a full period. The one remaining window: an instance that dies
 * after WeCom accepted a send but before {@code sent} is recorded. Its entry is delivered again after the
 * lease. For kf the same msgid is sent (the outbox key hashed), so WeCom does not repeat the message;
 * send_welcome_msg answers 41051 for the used code and the next channel would repeat the content; for
 * add_msg_template and message/send WeCom offers no idempotency and the message can be repeated once.
 */
@Component
class OutboxWorker implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(OutboxWorker.class);
  private static final int MAX_ERROR_LENGTH = 300;

  private final OutboxStore store;
  private final OutboxRules rules;
  private final OutboxChannels channels;
  private final OutboxProperties props;
  private final Clock clock;
  private final MeterRegistry meters;
  private final TemplateConfirmations confirmations;
  private final String instance = UUID.randomUUID().toString();
  private volatile Disposable loop;

  /** Without staff-confirmation tracking: a test's second instance. */
  OutboxWorker(OutboxStore store, OutboxRules rules, OutboxChannels channels, OutboxProperties props, Clock clock,
               MeterRegistry meters) {
    this(store, rules, channels, props, clock, meters, null);
  }

  @org.springframework.beans.factory.annotation.Autowired
  OutboxWorker(OutboxStore store, OutboxRules rules, OutboxChannels channels, OutboxProperties props, Clock clock,
               MeterRegistry meters, TemplateConfirmations confirmations) {
    this.confirmations = confirmations;
    this.store = store;
    this.rules = rules;
    this.channels = channels;
    this.props = props;
    this.clock = clock;
    this.meters = meters;
  }

  @Override
  public synchronized void start() {
    if (!props.enabled()) {
      log.info("outbox workers disabled (siyu.outbox.enabled=false)");
      return;
    }
    if (loop != null) {
      return;
    }
    loop = Polling.every(props.pollInterval(), "outbox poll", this::deliverUntilIdle);
    log.info("outbox worker {} started", instance);
  }

  @Override
  public synchronized void stop() {
    if (loop != null) {
      loop.dispose();
      loop = null;
    }
  }

  @Override
  public boolean isRunning() {
    return loop != null;
  }

  /** Before Redis and the WeCom client stop, with the inbox consumer. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }

  private Mono<Void> deliverUntilIdle() {
    return deliverDue().expand(n -> n >= props.batch() ? deliverDue() : Mono.empty()).then();
  }

  /** Claims one batch of due entries and delivers them; the number claimed. The poller calls it; so do tests. */
  Mono<Integer> deliverDue() {
    return claim(props.batch()).flatMap(batch -> Flux.fromIterable(batch)
        .sort(Comparator.comparingInt((Claimed c) -> c.message().priority()).reversed())
        .flatMap(this::deliverOne, props.concurrency())
        .then(Mono.just(batch.size())));
  }

  /** Claims without delivering: a test's stand-in for an instance that crashes mid-delivery. */
  Mono<List<Claimed>> claim(int batch) {
    return store.claim(clock.instant(), batch, instance + ":" + UUID.randomUUID());
  }

  private Mono<Void> deliverOne(Claimed c) {
    return deliver(c).onErrorResume(e -> {
      // Redis failed mid-delivery: the lease expires and another delivery picks the entry up.
      log.warn("outbox delivery interrupted, redelivered after its lease: {}: {}", e.getClass().getName(),
          e.getMessage());
      return Mono.empty();
    });
  }

  private Mono<Void> deliver(Claimed c) {
    Instant now = clock.instant();
    OutboxMessage m = c.message();
    if (m.deadline() != null && now.isAfter(m.deadline())) {
      return expire(c, now, "deadline passed", "deadline");
    }
    Optional<Instant> quiet = rules.quietUntil(now, m.source());
    if (quiet.isPresent()) {
      return defer(c, now, quiet.get(), "quiet-hours", c.from(), 0, "deferred: quiet hours");
    }
    return rules.reserveCap(m, now).flatMap(d -> d.deferUntil() != null
        ? defer(c, now, d.deferUntil(), d.reason(), c.from(), 0, "deferred: " + d.reason())
        : tryChannel(c, c.from(), new ArrayList<>(), false));
  }

  private Mono<Void> tryChannel(Claimed c, int index, List<String> skipped, boolean called) {
    Instant now = clock.instant();
    // The message's own order (a campaign's preference) or the default one; `from` indexes into it.
    Channel[] order = Channel.order(c.message());
    if (index >= order.length) {
      return dead(c, now, "no channel could deliver: " + String.join("; ", skipped), called, "no-channel");
    }
    Channel ch = order[index];
    String notUsable = channels.notUsable(ch, c.message(), now);
    if (notUsable != null) {
      skipped.add(ch.id() + ": " + notUsable);
      return tryChannel(c, index + 1, skipped, called);
    }
    return channels.reserve(ch, c.message(), now)
        .flatMap(r -> store.begin(c, now, ch).flatMap(held -> held ? send(c, index, ch, r, skipped)
            : channels.release(r, false).then(Mono.fromRunnable(() ->
                log.debug("outbox entry taken over by another worker before its {} send", ch.id())))))
        .onErrorResume(NextChannel.class, e -> {
          skipped.add(ch.id() + ": " + e.getMessage());
          return tryChannel(c, index + 1, skipped, called);
        });
  }

  /** A send's result: the channel's task id (add_msg_template msgid) or null, or the error. */
  private record SendResult(String ref, RuntimeException error) {}

  private Mono<Void> send(Claimed c, int index, Channel ch, Reservation r, List<String> skipped) {
    return channels.send(ch, c.key(), c.message())
        .map(ref -> new SendResult(ref, null))
        .defaultIfEmpty(new SendResult(null, null))
        .onErrorResume(e -> e instanceof WecomException || e instanceof NextChannel,
            e -> Mono.just(new SendResult(null, (RuntimeException) e)))
        .flatMap(res -> res.error() == null ? sent(c, ch, res.ref()) : failed(c, index, ch, r, res.error(), skipped));
  }

  private Mono<Void> sent(Claimed c, Channel ch, String ref) {
    Instant now = clock.instant();
    return store.finish(c, now, Outcome.SENT, ch, null, 0, 1, null).flatMap(recorded -> {
      if (recorded) {
        Counter.builder("siyu.outbox.sent").tag("channel", ch.id()).register(meters).increment();
        Mono<Void> confirm = confirmations != null && ch == Channel.TEMPLATE && ref != null
            && c.message().feedback() != null
            ? confirmations.track(c.key(), ref, c.message(), now) : Mono.empty();
        // another slot than the entry (the person's), so not in finish.lua: a failure here loses attribution only
        return store.touch(c.message(), now).then(confirm).onErrorResume(e -> {
          log.warn("outbox feedback note after a send failed: {}: {}", e.getClass().getName(), e.getMessage());
          return Mono.empty();
        });
      }
      // The documented window: the lease was lost during the call; the new holder may send again.
      log.warn("outbox entry sent through {} after its lease was taken over", ch.id());
      return Mono.<Void>empty();
    }).then();
  }

  private Mono<Void> failed(Claimed c, int index, Channel ch, Reservation r, RuntimeException e, List<String> skipped) {
    Instant now = clock.instant();
    if (e instanceof NextChannel next) {
      skipped.add(ch.id() + ": " + next.getMessage());
      return channels.release(r, true).then(tryChannel(c, index + 1, skipped, true));
    }
    WecomException we = (WecomException) e;
    if (we instanceof WecomApiException && OutboxChannels.nextChannelCode(ch, we.errcode())) {
      skipped.add(ch.id() + ": errcode " + we.errcode());
      return channels.release(r, true).then(tryChannel(c, index + 1, skipped, true));
    }
    Mono<Void> release = channels.release(r, false);
    String what = ch.id() + " errcode " + we.errcode() + ": " + we.errmsg();
    if (we instanceof Transient) {
      int attempts = c.attempts() + 1;
      if (attempts >= props.retry().attempts()) {
        return release.then(dead(c, now, "retries exhausted after " + attempts + " attempts; last " + what, true,
            "retries-exhausted"));
      }
      Duration wait = backoff(attempts);
      if (we instanceof WecomRateLimitedException rl && rl.retryAfter().compareTo(wait) > 0) {
        wait = rl.retryAfter();
      }
      return release.then(defer(c, now, now.plus(wait), "retry", index, 1, "transient: " + what));
    }
    return release.then(dead(c, now, what, true, "permanent"));
  }

  Duration backoff(int attempts) {
    Duration d = props.retry().initialBackoff().multipliedBy(1L << Math.min(attempts - 1, 30));
    return d.compareTo(props.retry().maxBackoff()) > 0 ? props.retry().maxBackoff() : d;
  }

  private Mono<Void> defer(Claimed c, Instant now, Instant until, String reason, int from, int attempts, String note) {
    OutboxMessage m = c.message();
    if (m.deadline() != null && until.isAfter(m.deadline())) {
      return expire(c, now, reason + " until after the deadline", reason + "-past-deadline");
    }
    return store.finish(c, now, Outcome.QUEUED, null, until, from, attempts, note, reason).doOnNext(recorded -> {
      if (recorded) {
        Counter.builder("siyu.outbox.deferred").tag("reason", reason).register(meters).increment();
      }
    }).then();
  }

  private Mono<Void> expire(Claimed c, Instant now, String reason, String reasonTag) {
    return rules.releaseCap(c.message())
        .then(store.finish(c, now, Outcome.EXPIRED, null, null, 0, 0, reason, reasonTag))
        .doOnNext(recorded -> {
          if (recorded) {
            Counter.builder("siyu.outbox.expired").register(meters).increment();
          }
        }).then();
  }

  private Mono<Void> dead(Claimed c, Instant now, String reason, boolean called, String reasonTag) {
    String error = reason.length() > MAX_ERROR_LENGTH ? reason.substring(0, MAX_ERROR_LENGTH) : reason;
    return rules.releaseCap(c.message())
        .then(store.finish(c, now, Outcome.DEAD, null, null, 0, called ? 1 : 0, error, reasonTag))
        .doOnNext(recorded -> {
          if (recorded) {
            Counter.builder("siyu.outbox.dead").tag("reason", reasonTag).register(meters).increment();
            log.info("outbox entry dead ({}), source {}", reasonTag, c.message().source());
          }
        }).then();
  }
}

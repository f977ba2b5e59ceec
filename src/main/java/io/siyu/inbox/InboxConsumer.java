package io.siyu.inbox;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.infra.RedisKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.stream.ByteBufferRecord;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * Reads the inbox stream as one named consumer of the group and hands entries to the dispatcher.
 *
 * <p>XREADGROUP BLOCK runs on a {@link ReactiveRedisConnection} of our own: Spring Data Redis sends a
 * blocking stream read over that connection's dedicated Lettuce connection (never the shared,
 * multiplexed one every other command uses), so a blocked read cannot stall the ingress. The
 * connection comes from Boot's factory, so it follows {@code spring.data.redis.*} (keep
 * {@code spring.data.redis.timeout}, if set, longer than {@code siyu.inbox.block-timeout}).
 *
 * <p>Stops early in shutdown (high phase): no new reads, in-flight entries finish within the
 * shutdown timeout, unfinished ones stay pending for another instance to claim.
 */
@Component
class InboxConsumer implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(InboxConsumer.class);
  private static final Duration READ_FAILURE_PAUSE = Duration.ofSeconds(1);
  private static final Duration READ_STOP_GRACE = Duration.ofSeconds(1);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_CLAIM_PAGES_PER_ROUND = 100;

  private final ReactiveRedisConnectionFactory factory;
  private final InboxStream stream;
  private final InboxDispatcher dispatcher;
  private final InboxProperties props;
  private final ByteBuffer streamKey = ByteBuffer.wrap(RedisKeys.inboxStream().getBytes(StandardCharsets.UTF_8));
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong lag = new AtomicLong();
  private final AtomicLong dead = new AtomicLong();

  private volatile boolean running;
  private volatile boolean consuming;
  private ReactiveRedisConnection readConnection;
  private Sinks.Empty<Void> stopSignal;
  private Mono<Void> readDone = Mono.empty();
  private Mono<Void> claimDone = Mono.empty();
  private Disposable readLoop;
  private Disposable claimLoop;
  private Disposable gaugeLoop;

  InboxConsumer(ReactiveRedisConnectionFactory factory, InboxStream stream, InboxDispatcher dispatcher,
                InboxProperties props, MeterRegistry meters) {
    this.factory = factory;
    this.stream = stream;
    this.dispatcher = dispatcher;
    this.props = props;
    Gauge.builder("siyu.inbox.pending", pending, AtomicLong::get)
        .description("Entries delivered to a consumer and not yet acknowledged").register(meters);
    Gauge.builder("siyu.inbox.lag", lag, AtomicLong::get)
        .description("Entries appended and not yet delivered to any consumer").register(meters);
    Gauge.builder("siyu.inbox.dead", dead, AtomicLong::get)
        .description("Entries in the dead letters").register(meters);
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    gaugeLoop = Flux.interval(Duration.ZERO, props.metricsRefresh())
        .onBackpressureDrop()
        .concatMap(tick -> stream.stats().onErrorResume(e -> {
          log.debug("inbox gauges not refreshed: {}", e.toString());
          return Mono.empty();
        }))
        .subscribe(s -> {
          pending.set(s.pending());
          lag.set(Math.max(0, s.length() - s.pending()));
          dead.set(s.dead());
        });
    if (!props.enabled()) {
      log.info("inbox consumer disabled (siyu.inbox.enabled=false)");
      return;
    }
    // Runs once on the starting thread, not on an event loop; bounded so a dead Redis fails start-up.
    stream.ensureGroup().block(START_TIMEOUT);
    consuming = true;
    stopSignal = Sinks.empty();
    readConnection = factory.getReactiveConnection();
    Sinks.Empty<Void> readFinished = Sinks.empty();
    Sinks.Empty<Void> claimFinished = Sinks.empty();
    readDone = readFinished.asMono();
    claimDone = claimFinished.asMono();
    readLoop = Mono.defer(this::readBatch)
        .repeat(() -> consuming)
        .flatMapIterable(batch -> batch, 1)
        .flatMap(this::process, props.concurrency(), 1)
        .doOnError(e -> log.error("inbox read loop failed, restarting: {}: {}", e.getClass().getName(), e.getMessage()))
        .retryWhen(Retry.backoff(Long.MAX_VALUE, READ_FAILURE_PAUSE).maxBackoff(props.backoffMax())
            .filter(e -> consuming))
        .doFinally(s -> readFinished.tryEmitEmpty())
        .subscribe();
    claimLoop = Flux.interval(props.claimInterval(), props.claimInterval())
        .takeUntilOther(stopSignal.asMono())
        .onBackpressureDrop()
        .concatMap(tick -> claimRound().onErrorResume(e -> {
          log.warn("inbox claim round failed: {}: {}", e.getClass().getName(), e.getMessage());
          return Mono.empty();
        }))
        .doFinally(s -> claimFinished.tryEmitEmpty())
        .subscribe();
    log.info("inbox consumer {} started in group {}", props.consumer(), props.group());
  }

  private Mono<List<InboxStream.Entry>> readBatch() {
    int free = props.concurrency() - inFlight.size();
    int count = Math.max(1, Math.min(props.batchSize(), free));
    StreamReadOptions options = StreamReadOptions.empty().count(count).block(props.blockTimeout());
    return readConnection.streamCommands()
        .xReadGroup(Consumer.from(props.group(), props.consumer()), options,
            StreamOffset.create(streamKey.duplicate(), ReadOffset.lastConsumed()))
        .map(InboxConsumer::entry)
        .collectList()
        // a read must end soon after stop even if Redis went away under it (Lettuce would queue it
        // until reconnected); entries it may still deliver stay pending and are claimed later
        .takeUntilOther(stopSignal.asMono().then(Mono.delay(props.blockTimeout().plus(READ_STOP_GRACE))))
        .defaultIfEmpty(List.of())
        .onErrorResume(e -> {
          if (!consuming) {
            return Mono.just(List.of());
          }
          log.warn("inbox read failed: {}: {}", e.getClass().getName(), e.getMessage());
          Mono<Void> recover = InboxStream.isNoGroup(e) ? stream.ensureGroup().onErrorResume(x -> Mono.empty())
              : Mono.delay(READ_FAILURE_PAUSE).then();
          return recover.thenReturn(List.of());
        });
  }

  private static InboxStream.Entry entry(ByteBufferRecord record) {
    Map<String, String> fields = new LinkedHashMap<>();
    record.getValue().forEach((k, v) -> fields.put(utf8(k), utf8(v)));
    return new InboxStream.Entry(record.getId().getValue(), fields, 1);
  }

  private static String utf8(ByteBuffer buffer) {
    return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
  }

  /**
   * Keeps our own in-flight entries fresh, then claims and processes pending entries of crashed
   * consumers, page by page, until the PEL is walked.
   */
  private Mono<Void> claimRound() {
    return stream.touch(List.copyOf(inFlight)).then(claimFrom("0-0", 0));
  }

  private Mono<Void> claimFrom(String start, int page) {
    if (!consuming || page >= MAX_CLAIM_PAGES_PER_ROUND) {
      return Mono.empty();
    }
    return stream.claim(start, props.batchSize()).flatMap(result -> {
      result.deadKinds().forEach(kind -> {
        log.warn("inbox entry of kind {} dead-lettered as poison: delivered more than {} times", kind,
            props.maxAttempts());
        dispatcher.count(InboxDispatcher.kindTag(kind), "dead");
      });
      if (result.gone() > 0) {
        log.info("inbox claim acknowledged {} entries deleted meanwhile", result.gone());
      }
      if (!result.entries().isEmpty()) {
        log.info("inbox consumer {} claimed {} idle entries", props.consumer(), result.entries().size());
      }
      return Flux.fromIterable(result.entries())
          // our own in-flight entries can be idle long enough to be claimed back by ourselves
          .filter(e -> !inFlight.contains(e.id()))
          .flatMap(this::process, props.concurrency())
          .then(result.last() ? Mono.empty() : claimFrom(result.next(), page + 1));
    });
  }

  private Mono<Void> process(InboxStream.Entry entry) {
    if (!inFlight.add(entry.id())) {
      return Mono.empty();
    }
    // defer: a handler's supports() throwing must not break the read loop
    return Mono.defer(() -> dispatcher.dispatch(entry))
        .onErrorResume(e -> {
          // ack or dead-letter could not be written: the entry stays pending and is claimed later
          log.warn("inbox entry {} left pending: {}: {}", entry.id(), e.getClass().getName(), e.getMessage());
          return Mono.empty();
        })
        .doFinally(s -> inFlight.remove(entry.id()));
  }

  @Override
  public void stop() {
    // Spring calls stop(Runnable); a direct stop() starts the same drain without waiting for it.
    stop(() -> { });
  }

  @Override
  public synchronized void stop(Runnable callback) {
    if (!running) {
      callback.run();
      return;
    }
    running = false;
    consuming = false;
    if (gaugeLoop != null) {
      gaugeLoop.dispose();
    }
    if (stopSignal != null) {
      stopSignal.tryEmitEmpty();
    }
    Disposable read = readLoop;
    Disposable claim = claimLoop;
    ReactiveRedisConnection connection = readConnection;
    Mono.when(readDone, claimDone)
        .timeout(props.shutdownTimeout())
        .onErrorResume(TimeoutException.class, e -> {
          log.warn("inbox consumer {}: {} entries still in flight after {}; they stay pending for another instance",
              props.consumer(), inFlight.size(), props.shutdownTimeout());
          if (read != null) {
            read.dispose();
          }
          if (claim != null) {
            claim.dispose();
          }
          return Mono.empty();
        })
        .then(Mono.defer(() -> connection == null ? Mono.<Void>empty() : connection.closeLater()))
        .onErrorResume(e -> Mono.empty())
        .doFinally(s -> {
          log.info("inbox consumer {} stopped", props.consumer());
          callback.run();
        })
        .subscribe();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Starts after the web server (sandbox calls need its port), stops before it and long before Redis. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }

  /** Entries this instance is processing right now (for tests and diagnostics). */
  int inFlight() {
    return inFlight.size();
  }
}

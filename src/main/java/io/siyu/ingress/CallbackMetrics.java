package io.siyu.ingress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.siyu.wecom.WecomApps;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * {@code siyu.callbacks} (app, kind, outcome, reason) and {@code siyu.callback.ack} (app). Meters are
 * cached by tag tuple so the hot path does a map lookup, not a Meter builder lookup; the tuples are
 * bounded (configured apps, WeCom's kinds, our slugs) because unknown apps are tagged {@code unknown}.
 */
@Component
class CallbackMetrics {

  static final String CALLBACKS = "siyu.callbacks";
  static final String ACK = "siyu.callback.ack";
  static final String UNKNOWN_APP_TAG = "unknown";

  private record CounterKey(String app, String kind, String outcome, String reason) {}

  private final MeterRegistry registry;
  private final Map<CounterKey, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  CallbackMetrics(MeterRegistry registry, WecomApps apps) {
    this.registry = registry;
    List<String> slugs = List.of(CallbackVerifier.MISSING_PARAMETER, CallbackVerifier.STALE_TIMESTAMP,
        CallbackVerifier.BAD_SIGNATURE, CallbackVerifier.BAD_CIPHERTEXT, CallbackVerifier.WRONG_CORP_ID,
        CallbackVerifier.MALFORMED_XML, CallbackVerifier.BODY_TOO_LARGE, CallbackVerifier.UNAVAILABLE);
    for (WecomApps.AppCredentials app : apps.all()) {
      timer(app.name());
      slugs.forEach(slug -> rejected(app.name(), slug));
    }
  }

  /** The registry's clock, so the ack timer follows Micrometer's time source rather than the wall clock. */
  io.micrometer.core.instrument.Clock clock() {
    return registry.config().clock();
  }

  void accepted(String app, String kind) {
    counter(new CounterKey(app, kind, "accepted", "none")).increment();
  }

  void duplicate(String app, String kind) {
    counter(new CounterKey(app, kind, "duplicate", "none")).increment();
  }

  private Counter rejected(String app, String slug) {
    return counter(new CounterKey(app, "invalid", "rejected", slug));
  }

  void countRejected(String app, String slug) {
    rejected(app, slug).increment();
  }

  Timer timer(String app) {
    return timers.computeIfAbsent(app, a -> Timer.builder(ACK)
        .description("Time from receiving a WeCom callback to answering it after the durable append")
        .tag("app", a)
        .publishPercentileHistogram()
        .register(registry));
  }

  private Counter counter(CounterKey k) {
    Counter c = counters.get(k);
    return c != null ? c : counters.computeIfAbsent(k, key -> Counter.builder(CALLBACKS)
        .description("WeCom callbacks by outcome")
        .tag("app", key.app()).tag("kind", key.kind()).tag("outcome", key.outcome()).tag("reason", key.reason())
        .register(registry));
  }
}

package io.siyu.wecom;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Health component {@code wecom}. Real mode: each app's access token can be obtained (from Redis or
 * gettoken), checked off the event loop with {@code health-timeout} and cached for a minute so health
 * probes do not hammer WeCom. Sandbox mode: UP with {@code mode: sandbox}. Tokens are never shown.
 */
@Component
class WecomHealthIndicator implements ReactiveHealthIndicator {

  static final Duration CACHE_FOR = Duration.ofMinutes(1);

  private final Mono<Health> health;

  @Autowired
  WecomHealthIndicator(WecomClient client, WecomApps apps, WecomClientProperties props) {
    this(client, apps.sandbox(), props.healthTimeout());
  }

  WecomHealthIndicator(WecomClient client, boolean sandbox, Duration timeout) {
    this.health = sandbox
        ? Mono.just(Health.up().withDetail("mode", "sandbox").build())
        : check(client, timeout).cache(CACHE_FOR);
  }

  @Override
  public Mono<Health> health() {
    return health;
  }

  private static Mono<Health> check(WecomClient client, Duration timeout) {
    return Flux.fromIterable(client.appNames())
        .flatMap(app -> client.accessToken(app)
            .timeout(timeout)
            .map(token -> Map.entry(app, "token ok"))
            .onErrorResume(e -> Mono.just(Map.entry(app, describe(e)))))
        .collectList()
        .map(states -> {
          Map<String, String> details = new LinkedHashMap<>();
          states.stream().sorted(Map.Entry.comparingByKey()).forEach(s -> details.put(s.getKey(), s.getValue()));
          boolean up = details.values().stream().allMatch("token ok"::equals);
          return (up ? Health.up() : Health.down()).withDetail("mode", "real").withDetail("apps", details).build();
        });
  }

  private static String describe(Throwable e) {
    if (e instanceof WecomException we) {
      return "no token: errcode " + we.errcode() + (we.errcode() == WecomException.NO_ERRCODE ? " (" + WecomErrors.tag(we) + ")" : "");
    }
    if (e instanceof TimeoutException) {
      return "no token: timed out";
    }
    return "no token: " + e.getClass().getSimpleName();
  }
}

package io.siyu.wecom;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.Transient;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.cp.api.WxCpService;
import me.chanjar.weixin.cp.config.impl.WxCpDefaultConfigImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The one way Siyu calls WeCom:
 * {@code client.call("kf", "kf/sync_msg", s -> s.getKfService().syncMsg(req))}.
 *
 * <p>Per call: a token from the API's shared rate bucket ({@code siyu.wecom.client.rate-limits}), then the
 * blocking WxJava call on the {@code wecom} scheduler (at most {@code max-concurrent-calls} at once per
 * instance, HTTP timeouts from the properties). A rejected access token (40014/42001/40001) is expired
 * and the call tried once more; -1, 45009, 45033, I/O errors and timeouts are retried with backoff and
 * end as {@link WecomTransientException}; any other errcode is a {@link WecomApiException} at once.
 *
 * <p>One WxJava service per app, built at start-up; access tokens live in Redis
 * ({@link RedisKeys#wecomTokenPrefix()}) so every instance shares them.
 *
 * <p>Metrics: {@code siyu.wecom.calls} (app, api, errcode; "0" on success; one count per attempt) and the
 * timer {@code siyu.wecom.call} (app, api) around each attempt's WeCom round trip.
 */
@Component
public class WecomClient implements ApplicationListener<WebServerInitializedEvent>, DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(WecomClient.class);

  private final WecomApps apps;
  private final WecomProperties props;
  private final WecomClientProperties clientProps;
  private final WecomRateLimiter limiter;
  private final MeterRegistry meters;
  private final Scheduler scheduler;
  private final WecomHttpClient http;
  private final Map<String, WxCpService> services;
  private final Retry retry;

  WecomClient(WecomApps apps, WecomProperties props, WecomClientProperties clientProps,
      StringRedisTemplate redis, WecomRateLimiter limiter, MeterRegistry meters, Environment env) {
    this.apps = apps;
    this.props = props;
    this.clientProps = clientProps;
    this.limiter = limiter;
    this.meters = meters;
    this.scheduler = Schedulers.newBoundedElastic(clientProps.maxConcurrentCalls(),
        clientProps.queueCapacity(), "wecom");
    this.http = new WecomHttpClient(clientProps);
    String initialBase = baseApiUrl(env.getProperty("local.server.port", env.getProperty("server.port", "8080")));
    Map<String, WxCpService> built = new LinkedHashMap<>();
    for (WecomApps.AppCredentials app : apps.all()) {
      built.put(app.name(), build(app, redis, initialBase));
    }
    this.services = Map.copyOf(built);
    WecomClientProperties.Retry r = clientProps.retry();
    this.retry = Retry.backoff(r.attempts(), r.initialBackoff())
        .maxBackoff(r.maxBackoff())
        .filter(WecomClient::retriable)
        .onRetryExhaustedThrow((spec, signal) -> signal.failure());
  }

  /**
   * Runs {@code fn} against {@code app}'s service, off the event loop, rate-limited and retried as
   * described above. {@code api} is the WeCom path without {@code /cgi-bin/} (e.g. {@code message/send}):
   * it names the rate bucket and the metrics. Errors are {@link WecomException}s (or a bug's own
   * exception); a {@code null} result completes empty.
   */
  public <T> Mono<T> call(String app, String api, WecomCall<T> fn) {
    WxCpService service = services.get(app);
    if (service == null) {
      return Mono.error(new IllegalArgumentException("unknown WeCom app " + app));
    }
    // WxJava has already expired the refused token (compare-and-expire, see WecomTokenStorage), so the
    // one retry fetches a fresh token unless another caller already did.
    return attempt(app, api, service, fn)
        .onErrorResume(WecomErrors.TokenRejected.class, first -> attempt(app, api, service, fn)
            .onErrorMap(WecomErrors.TokenRejected.class,
                again -> new WecomApiException(app, api, again.errcode, again.errmsg, again)))
        .retryWhen(retry);
  }

  /** {@code app}'s WxJava service, for code that needs WxJava helpers (crypto, XML). Call WeCom via {@link #call}. */
  public WxCpService service(String app) {
    WxCpService service = services.get(app);
    if (service == null) {
      throw new IllegalArgumentException("unknown WeCom app " + app);
    }
    return service;
  }

  /** Names of the apps with a service. */
  public Set<String> appNames() {
    return services.keySet();
  }

  /**
   * Retried with backoff: transient WeCom failures. Not our own rate limit: it already waited
   * {@code max-rate-wait} and the caller decides when to come back.
   */
  static boolean retriable(Throwable t) {
    return t instanceof Transient && !(t instanceof WecomRateLimitedException);
  }

  private <T> Mono<T> attempt(String app, String api, WxCpService service, WecomCall<T> fn) {
    return limiter.acquire(app, api)
        .then(Mono.fromCallable(() -> run(app, api, service, fn)).subscribeOn(scheduler))
        .onErrorMap(RejectedExecutionException.class, e -> {
          WecomException mapped = (WecomException) WecomErrors.classify(app, api, e);
          count(app, api, WecomErrors.tag(mapped));
          return mapped;
        })
        .doOnError(WecomRateLimitedException.class, e -> count(app, api, WecomErrors.tag(e)));
  }

  private <T> T run(String app, String api, WxCpService service, WecomCall<T> fn) {
    Timer.Sample sample = Timer.start(meters);
    try {
      T result = fn.apply(service);
      count(app, api, "0");
      return result;
    } catch (WxErrorException | RuntimeException e) {
      RuntimeException classified = WecomErrors.classify(app, api, e);
      count(app, api, WecomErrors.tag(classified));
      if (classified instanceof WecomException we) {
        log.debug("WeCom {} (app {}) failed: errcode {}", api, app, we.errcode());
      }
      throw classified;
    } finally {
      sample.stop(Timer.builder("siyu.wecom.call").tag("app", app).tag("api", api).register(meters));
    }
  }

  private void count(String app, String api, String errcode) {
    Counter.builder("siyu.wecom.calls").tag("app", app).tag("api", api).tag("errcode", errcode)
        .register(meters).increment();
  }

  /** The app's access token, fetched or refreshed if needed, off the event loop (used by the health check). */
  Mono<String> accessToken(String app) {
    WxCpService service = service(app);
    return Mono.fromCallable(() -> {
      try {
        return service.getAccessToken(false);
      } catch (WxErrorException | RuntimeException e) {
        RuntimeException c = WecomErrors.classify(app, "gettoken", e);
        throw c instanceof WecomErrors.TokenRejected tr
            ? new WecomApiException(app, "gettoken", tr.errcode, tr.errmsg, tr) : c;
      }
    }).subscribeOn(scheduler);
  }

  /** In sandbox mode the sandbox is this server, whose port is known only once it listens. */
  @Override
  public void onApplicationEvent(WebServerInitializedEvent event) {
    if (event.getApplicationContext().getServerNamespace() != null) {
      return; // the management server, if it has its own port
    }
    String base = baseApiUrl(Integer.toString(event.getWebServer().getPort()));
    services.values().forEach(s -> ((WxCpDefaultConfigImpl) s.getWxCpConfigStorage()).setBaseApiUrl(base));
  }

  String baseApiUrl() {
    return services.values().iterator().next().getWxCpConfigStorage().getApiUrl("");
  }

  private String baseApiUrl(String port) {
    if (props.baseApiUrl() != null) {
      return props.baseApiUrl();
    }
    if (!apps.sandbox()) {
      return WecomApps.REAL_BASE_URL;
    }
    return "http://127.0.0.1:" + port + "/sandbox/wecom";
  }

  private WxCpService build(WecomApps.AppCredentials app, StringRedisTemplate redis, String base) {
    WecomTokenStorage cfg = new WecomTokenStorage(redis, RedisKeys.wecomTokenPrefix(), clientProps.tokenLockWait());
    cfg.setCorpId(apps.corpId()); // before setAgentId: the Redis keys are built from both
    cfg.setAgentId(app.agentId());
    cfg.setCorpSecret(app.secret());
    cfg.setToken(app.token());
    cfg.setAesKey(app.aesKey());
    cfg.setBaseApiUrl(base);
    cfg.setApacheHttpClientBuilder(http);
    WecomCpService service = new WecomCpService();
    service.setWxCpConfigStorage(cfg);
    return service;
  }

  @Override
  public void destroy() throws IOException {
    scheduler.dispose();
    http.close();
  }
}

package io.siyu.wecom;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import me.chanjar.weixin.cp.api.WxCpService;
import me.chanjar.weixin.cp.api.impl.WxCpServiceImpl;
import me.chanjar.weixin.cp.config.impl.WxCpDefaultConfigImpl;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The one way Siyu calls WeCom: {@code client.call("kf", "kf/sync_msg", s -> s.getKfService().syncMsg(req))}.
 * WxJava blocks, so every call runs on boundedElastic.
 */
@Component
public class WecomClient {

  private final WecomApps apps;
  private final WecomProperties props;
  private final Environment env;
  private final Map<String, WxCpService> services = new ConcurrentHashMap<>();

  public WecomClient(WecomApps apps, WecomProperties props, Environment env) {
    this.apps = apps;
    this.props = props;
    this.env = env;
  }

  public <T> Mono<T> call(String app, String api, WecomCall<T> call) {
    return Mono.fromCallable(() -> call.apply(service(app))).subscribeOn(Schedulers.boundedElastic());
  }

  public WxCpService service(String app) {
    return services.computeIfAbsent(app, this::build);
  }

  private WxCpService build(String name) {
    WecomApps.AppCredentials app = apps.app(name)
        .orElseThrow(() -> new IllegalArgumentException("unknown WeCom app " + name));
    WxCpDefaultConfigImpl cfg = new WxCpDefaultConfigImpl();
    cfg.setCorpId(apps.corpId());
    cfg.setAgentId(app.agentId());
    cfg.setCorpSecret(app.secret());
    cfg.setToken(app.token());
    cfg.setAesKey(app.aesKey());
    cfg.setBaseApiUrl(baseApiUrl());
    WxCpServiceImpl service = new WxCpServiceImpl();
    service.setWxCpConfigStorage(cfg);
    return service;
  }

  String baseApiUrl() {
    if (props.baseApiUrl() != null) {
      return props.baseApiUrl();
    }
    if (!apps.sandbox()) {
      return WecomApps.REAL_BASE_URL;
    }
    return "http://127.0.0.1:" + env.getProperty("local.server.port", "8080") + "/sandbox/wecom";
  }
}

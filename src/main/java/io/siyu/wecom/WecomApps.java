package io.siyu.wecom;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The resolved WeCom setup: the corp id and each app's credentials, either the operator's (real mode)
 * or deterministic sandbox ones. Built once at start-up from {@link WecomProperties}; a half-filled
 * real configuration stops the server with the key that is missing.
 */
public final class WecomApps {

  /** Corp id of the sandbox corp. Not a secret: it only exists inside this server. */
  public static final String SANDBOX_CORP_ID = "wwsandbox0000000001";
  public static final String REAL_BASE_URL = "https://qyapi.weixin.qq.com";

  private final String corpId;
  private final boolean sandbox;
  private final Map<String, AppCredentials> apps;

  private WecomApps(String corpId, boolean sandbox, Map<String, AppCredentials> apps) {
    this.corpId = corpId;
    this.sandbox = sandbox;
    this.apps = apps;
  }

  /** One app's resolved credentials. {@code toString} leaves the secrets out. */
  public record AppCredentials(String name, int agentId, String secret, String token, String aesKey) {
    @Override
    public String toString() {
      return "AppCredentials[" + name + ", agentId=" + agentId + "]";
    }
  }

  public static WecomApps resolve(WecomProperties props) {
    boolean sandbox = switch (props.mode()) {
      case SANDBOX -> true;
      case REAL -> false;
      case AUTO -> props.corpId().isBlank();
    };
    Map<String, WecomProperties.App> configured = new TreeMap<>(props.apps());
    if (configured.isEmpty()) {
      throw new IllegalStateException("siyu.wecom.apps: no WeCom app is configured; define at least one under siyu.wecom.apps.<name>"
          + " (Siyu reads config/application.yml from the working directory: start it from the repository root"
          + " with ./scripts/run.sh, or pass --spring.config.additional-location=<dir>/)");
    }
    Map<String, AppCredentials> apps = new LinkedHashMap<>();
    int nextAgentId = 1000001;
    for (Map.Entry<String, WecomProperties.App> e : configured.entrySet()) {
      String name = e.getKey();
      WecomProperties.App app = e.getValue();
      String key = "siyu.wecom.apps." + name;
      if (sandbox) {
        int agentId = app.agentId() != null ? app.agentId() : nextAgentId;
        nextAgentId = Math.max(nextAgentId, agentId) + 1;
        apps.put(name, new AppCredentials(name, agentId, "sandbox-secret-" + name,
            sandboxToken(name), sandboxAesKey(name)));
      } else {
        if (props.corpId().isBlank()) {
          throw new IllegalStateException("siyu.wecom.corp-id: required when siyu.wecom.mode is real");
        }
        if (!app.complete()) {
          String missing = app.agentId() == null ? "agent-id" : blank(app.secret()) ? "secret"
              : blank(app.token()) ? "token" : "aes-key";
          throw new IllegalStateException(key + "." + missing + ": required for a real WeCom app (siyu.wecom.corp-id is set, so"
              + " Siyu talks to the real WeCom; set every app's agent-id, secret, token and aes-key, or clear the corp id to use the sandbox)");
        }
        apps.put(name, new AppCredentials(name, app.agentId(), app.secret(), app.token(), app.aesKey()));
      }
    }
    return new WecomApps(sandbox ? SANDBOX_CORP_ID : props.corpId(), sandbox, Map.copyOf(apps));
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** Sandbox callback Token: letters and digits only, at most 32, like WeCom's. */
  static String sandboxToken(String app) {
    return ("sandbox" + app.replace("-", "")).substring(0, Math.min(32, 7 + app.replace("-", "").length()));
  }

  /**
   * A deterministic 43-character EncodingAESKey made of letters and digits, as WeCom issues them:
   * SHA-256 of a counter-salted name, Base64 without padding, first variant without '+' or '/'.
   */
  static String sandboxAesKey(String app) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (int i = 0; ; i++) {
        byte[] digest = sha.digest(("siyu-sandbox-" + app + "-" + i).getBytes(StandardCharsets.UTF_8));
        String key = Base64.getEncoder().withoutPadding().encodeToString(digest);
        if (key.chars().allMatch(Character::isLetterOrDigit) && key.length() == 43) {
          return key;
        }
      }
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String corpId() {
    return corpId;
  }

  public boolean sandbox() {
    return sandbox;
  }

  public Optional<AppCredentials> app(String name) {
    return Optional.ofNullable(apps.get(name));
  }

  public Collection<AppCredentials> all() {
    return apps.values();
  }

  public Optional<AppCredentials> byAgentId(int agentId) {
    return apps.values().stream().filter(a -> a.agentId() == agentId).findFirst();
  }
}

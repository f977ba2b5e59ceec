package io.siyu.wecom;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The WeCom corp and its apps. Secrets come from environment variables, never from committed files.
 *
 * <pre>
 * siyu:
 *   wecom:
 *     mode: auto                     # auto: real when corp-id is set, else the sandbox | real | sandbox
 *     corp-id: ${SIYU_WECOM_CORP_ID:}
 *     base-api-url:                  # empty: qyapi.weixin.qq.com (real) or this server's /sandbox/wecom
 *     callback:
 *       timestamp-window: 300s       # refuse callbacks whose timestamp is further off than this
 *       max-body-size: 64KB
 *       dedupe-ttl: 72h              # how long a callback or kf msgid is remembered as seen
 *     apps:
 *       contact:                     # name used in the callback URL /wecom/callback/contact
 *         agent-id: 1000001
 *         secret: ${SIYU_WECOM_CONTACT_SECRET:}
 *         token: ${SIYU_WECOM_CONTACT_TOKEN:}
 *         aes-key: ${SIYU_WECOM_CONTACT_AES_KEY:}
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.wecom")
public record WecomProperties(
    @DefaultValue("auto") @NotNull Mode mode,
    @Pattern(regexp = "|[A-Za-z0-9]{1,64}", message = "must be the corp id (letters and digits) or empty") String corpId,
    String baseApiUrl,
    @Valid @DefaultValue Callback callback,
    Map<@Pattern(regexp = "[a-z][a-z0-9-]{0,31}", message = "app names are lowercase letters, digits and '-'") String, @Valid App> apps) {

  public WecomProperties {
    apps = apps == null ? Map.of() : Map.copyOf(apps);
    corpId = corpId == null ? "" : corpId.trim();
    baseApiUrl = baseApiUrl == null || baseApiUrl.isBlank() ? null : baseApiUrl.trim();
  }

  public enum Mode { AUTO, REAL, SANDBOX }

  /** Callback ingress limits. */
  public record Callback(
      @DefaultValue("300s") @NotNull Duration timestampWindow,
      @DefaultValue("65536") @Min(1024) long maxBodySize,
      @DefaultValue("72h") @NotNull Duration dedupeTtl) {}

  /** One self-built app (customer contact, customer service, or another self-built app). */
  public record App(
      @Min(1) Integer agentId,
      String secret,
      @Pattern(regexp = "|[A-Za-z0-9]{1,32}", message = "must be 1 to 32 letters or digits (the app's callback Token)") String token,
      @Pattern(regexp = "|[A-Za-z0-9]{43}", message = "must be the 43-character EncodingAESKey") String aesKey) {

    boolean complete() {
      return notBlank(secret) && notBlank(token) && notBlank(aesKey) && agentId != null;
    }

    boolean empty() {
      return !notBlank(secret) && !notBlank(token) && !notBlank(aesKey);
    }

    private static boolean notBlank(String s) {
      return s != null && !s.isBlank();
    }
  }
}

package io.siyu.admin;

import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Signed customer links ({@link SignedLinks}), such as the questionnaire page {@code /q/<token>}.
 *
 * <pre>
 * siyu:
 *   links:
 *     secret: ${SIYU_LINK_SECRET:}       # HMAC key, at least 32 characters; required with the real WeCom.
 *                                        # Empty in sandbox mode: a random per-install secret kept in Redis.
 *     base-url: ${SIYU_LINK_BASE_URL:}   # public address customers open; empty: http://localhost:&lt;server port&gt;
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.links")
public record LinkProperties(
    String secret,
    @Pattern(regexp = "|https?://\\S+", message = "must be empty or an http(s) URL") String baseUrl) {

  public LinkProperties {
    secret = secret == null ? "" : secret;
    // Checked here rather than with @Size: a constraint violation would print the rejected secret.
    if (!secret.isEmpty() && secret.length() < 32) {
      throw new IllegalArgumentException("secret must be empty (sandbox only) or at least 32 characters (the value is not shown)");
    }
    baseUrl = baseUrl == null ? "" : baseUrl.trim();
  }

  @Override
  public String toString() {
    return "LinkProperties[baseUrl=" + baseUrl + ", secret=" + (secret.isEmpty() ? "<none>" : "<set>") + "]";
  }
}

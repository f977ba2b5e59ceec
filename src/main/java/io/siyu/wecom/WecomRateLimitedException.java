package io.siyu.wecom;

import java.time.Duration;

/**
 * Siyu's own shared rate limit for this API had no token within {@code siyu.wecom.client.max-rate-wait}.
 * Nothing was sent to WeCom. {@link #retryAfter()} is when the bucket expects a token.
 */
public final class WecomRateLimitedException extends WecomTransientException {

  private final Duration retryAfter;

  public WecomRateLimitedException(String app, String api, Duration retryAfter) {
    super(app, api, NO_ERRCODE, "rate limited by siyu, retry after " + retryAfter.toMillis() + " ms", null);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}

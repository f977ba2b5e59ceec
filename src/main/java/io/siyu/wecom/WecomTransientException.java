package io.siyu.wecom;

import io.siyu.infra.Transient;

/**
 * WeCom was busy (-1), over its frequency or concurrency limit (45009, 45033), or did not answer in time.
 * {@link WecomClient} already retried it; callers may retry later.
 */
public sealed class WecomTransientException extends WecomException implements Transient
    permits WecomRateLimitedException {

  public WecomTransientException(String app, String api, int errcode, String errmsg, Throwable cause) {
    super(app, api, errcode, errmsg, cause);
  }
}

package io.siyu.wecom;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import me.chanjar.weixin.common.error.WxErrorException;

/** Sorts what WxJava throws into permanent, transient and token failures. */
final class WecomErrors {

  /** The cached access token was rejected: expire it and try once more. */
  static final Set<Integer> TOKEN_ERRCODES = Set.of(40014, 42001, 40001);
  /** -1 system busy, 45009 over the frequency limit, 45033 too many concurrent calls to one API. */
  static final Set<Integer> TRANSIENT_ERRCODES = Set.of(-1, 45009, 45033);

  private WecomErrors() {}

  /** A token error seen on the first try; {@link WecomClient} refreshes and retries once. */
  static final class TokenRejected extends RuntimeException {
    final int errcode;
    final String errmsg;

    TokenRejected(int errcode, String errmsg, Throwable cause) {
      super("access token rejected: errcode " + errcode, cause, false, false);
      this.errcode = errcode;
      this.errmsg = errmsg;
    }
  }

  static RuntimeException classify(String app, String api, Throwable t) {
    if (t instanceof WecomException || t instanceof TokenRejected) {
      return (RuntimeException) t;
    }
    if (t instanceof WxErrorException e && e.getError() != null) {
      int code = e.getError().getErrorCode();
      String msg = e.getError().getErrorMsg();
      if (TOKEN_ERRCODES.contains(code)) {
        return new TokenRejected(code, msg, e);
      }
      if (TRANSIENT_ERRCODES.contains(code)) {
        return new WecomTransientException(app, api, code, msg, e);
      }
      if (!hasIoCause(e)) {
        return new WecomApiException(app, api, code, msg, e);
      }
    }
    // WxJava wraps I/O errors and socket timeouts in WxRuntimeException (or a -99 WxErrorException).
    if (hasIoCause(t) || t instanceof TimeoutException) {
      return new WecomTransientException(app, api, WecomException.NO_ERRCODE,
          "no answer from WeCom: " + rootCause(t).getClass().getSimpleName(), t);
    }
    if (t instanceof WecomTokenStorage.TokenLockTimeoutException) {
      return new WecomTransientException(app, api, WecomException.NO_ERRCODE, t.getMessage(), t);
    }
    if (t instanceof RejectedExecutionException) {
      return new WecomTransientException(app, api, WecomException.NO_ERRCODE,
          "too many WeCom calls queued on this instance", t);
    }
    return t instanceof RuntimeException r ? r : new IllegalStateException(t);
  }

  /** The {@code errcode} metric tag: WeCom's code, or what went wrong before WeCom answered. */
  static String tag(Throwable t) {
    if (t instanceof WecomRateLimitedException) {
      return "rate-limited";
    }
    if (t instanceof TokenRejected tr) {
      return Integer.toString(tr.errcode);
    }
    if (t instanceof WecomException e) {
      if (e.errcode() != WecomException.NO_ERRCODE) {
        return Integer.toString(e.errcode());
      }
      Throwable cause = e.getCause();
      if (cause instanceof WecomTokenStorage.TokenLockTimeoutException) {
        return "token-lock";
      }
      if (cause instanceof RejectedExecutionException) {
        return "queue-full";
      }
      return "io";
    }
    return "error";
  }

  private static boolean hasIoCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }
}

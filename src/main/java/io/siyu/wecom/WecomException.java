package io.siyu.wecom;

/**
 * A failed WeCom call, as {@link WecomClient} surfaces it. Either permanent ({@link WecomApiException}: the
 * request itself is wrong or not allowed) or {@link WecomTransientException} (worth trying again later).
 * Messages carry the app, the API and WeCom's errcode/errmsg, never secrets or access tokens.
 */
public abstract sealed class WecomException extends RuntimeException
    permits WecomApiException, WecomTransientException {

  private final String app;
  private final String api;
  private final int errcode;
  private final String errmsg;

  WecomException(String app, String api, int errcode, String errmsg, Throwable cause) {
    super("WeCom " + api + " (app " + app + ") failed: errcode " + errcode + ", " + errmsg, cause);
    this.app = app;
    this.api = api;
    this.errcode = errcode;
    this.errmsg = errmsg;
  }

  public String app() {
    return app;
  }

  public String api() {
    return api;
  }

  /** WeCom's errcode; {@link #NO_ERRCODE} when WeCom never answered (I/O error, timeout, local limit). */
  public int errcode() {
    return errcode;
  }

  public String errmsg() {
    return errmsg;
  }

  /** errcode of failures that did not come from WeCom (WxJava uses -99 for the same purpose). */
  public static final int NO_ERRCODE = -99;
}

package io.siyu.wecom;

/** WeCom refused the request for a reason that retrying will not fix (bad userid, no relationship, ...). */
public final class WecomApiException extends WecomException {

  public WecomApiException(String app, String api, int errcode, String errmsg, Throwable cause) {
    super(app, api, errcode, errmsg, cause);
  }
}

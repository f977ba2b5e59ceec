package io.siyu.wecom;

import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.common.util.http.RequestExecutor;
import me.chanjar.weixin.cp.api.impl.WxCpServiceImpl;

/**
 * WxJava's service with its retry loop removed: {@code execute} sleeps the calling thread on -1 and, with
 * {@code setMaxRetryTimes(0)}, turns EVERY WxErrorException into a code-less WxRuntimeException. Here one
 * request is one attempt, and a token error (40014/42001/40001) expires the cached token and surfaces, so
 * {@link WecomClient} owns both the token retry and the backoff.
 */
final class WecomCpService extends WxCpServiceImpl {

  @Override
  public <T, E> T execute(RequestExecutor<T, E> executor, String uri, E data) throws WxErrorException {
    return executeInternal(executor, uri, data, true);
  }
}

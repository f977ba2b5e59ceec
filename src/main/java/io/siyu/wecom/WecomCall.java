package io.siyu.wecom;

import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.cp.api.WxCpService;

/** One blocking WxJava call against an app's service, run by {@link WecomClient} off the event loop. */
@FunctionalInterface
public interface WecomCall<T> {
  T apply(WxCpService service) throws WxErrorException;
}

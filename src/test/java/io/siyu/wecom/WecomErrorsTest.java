package io.siyu.wecom;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.infra.Transient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.RejectedExecutionException;
import me.chanjar.weixin.common.error.WxError;
import me.chanjar.weixin.common.error.WxErrorException;
import me.chanjar.weixin.common.error.WxRuntimeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WecomErrorsTest {

  static WxErrorException wx(int code, String msg) {
    return new WxErrorException(WxError.builder().errorCode(code).errorMsg(msg).build());
  }

  @ParameterizedTest
  @ValueSource(ints = {40014, 42001, 40001})
  void tokenErrorsAskForARefresh(int code) {
    assertThat(WecomErrors.classify("kf", "kf/sync_msg", wx(code, "access_token expired")))
        .isInstanceOfSatisfying(WecomErrors.TokenRejected.class, t -> assertThat(t.errcode).isEqualTo(code));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 45009, 45033})
  void busyAndLimitErrorsAreTransient(int code) {
    RuntimeException e = WecomErrors.classify("app", "message/send", wx(code, "busy"));
    assertThat(e).isExactlyInstanceOf(WecomTransientException.class).isInstanceOf(Transient.class);
    assertThat(((WecomException) e).errcode()).isEqualTo(code);
    assertThat(WecomClient.retriable(e)).isTrue();
    assertThat(WecomErrors.tag(e)).isEqualTo(Integer.toString(code));
  }

  @Test
  void ioErrorsAndTimeoutsAsWxJavaSurfacesThemAreTransient() {
    RuntimeException timeout = WecomErrors.classify("app", "message/send",
        new WxRuntimeException(new SocketTimeoutException("Read timed out")));
    assertThat(timeout).isExactlyInstanceOf(WecomTransientException.class);
    assertThat(((WecomException) timeout).errcode()).isEqualTo(WecomException.NO_ERRCODE);
    assertThat(WecomErrors.tag(timeout)).isEqualTo("io");
    // executeNormal wraps I/O failures in a -99 WxErrorException
    assertThat(WecomErrors.classify("app", "x", new WxErrorException(new IOException("refused"))))
        .isExactlyInstanceOf(WecomTransientException.class);
    RuntimeException queueFull = WecomErrors.classify("app", "x", new RejectedExecutionException("full"));
    assertThat(queueFull).isExactlyInstanceOf(WecomTransientException.class);
    assertThat(WecomErrors.tag(queueFull)).isEqualTo("queue-full");
    RuntimeException lock = WecomErrors.classify("app", "x", new WecomTokenStorage.TokenLockTimeoutException("busy"));
    assertThat(lock).isExactlyInstanceOf(WecomTransientException.class);
    assertThat(WecomErrors.tag(lock)).isEqualTo("token-lock");
  }

  @ParameterizedTest
  @ValueSource(ints = {40003, 84061, 60020, 41051, 95001})
  void otherErrcodesArePermanentWithApiCodeAndMessage(int code) {
    RuntimeException e = WecomErrors.classify("contact", "externalcontact/get", wx(code, "invalid userid"));
    assertThat(e).isInstanceOfSatisfying(WecomApiException.class, a -> {
      assertThat(a.app()).isEqualTo("contact");
      assertThat(a.api()).isEqualTo("externalcontact/get");
      assertThat(a.errcode()).isEqualTo(code);
      assertThat(a.errmsg()).isEqualTo("invalid userid");
      assertThat(a.getMessage()).contains("externalcontact/get", Integer.toString(code), "invalid userid");
    });
    assertThat(e).isNotInstanceOf(Transient.class);
    assertThat(WecomClient.retriable(e)).isFalse();
  }

  @Test
  void ourOwnRateLimitIsTransientButNotRetriedInside() {
    WecomRateLimitedException e = new WecomRateLimitedException("app", "message/send", java.time.Duration.ofSeconds(3));
    assertThat(e).isInstanceOf(Transient.class).isInstanceOf(WecomTransientException.class);
    assertThat(WecomClient.retriable(e)).isFalse();
    assertThat(WecomErrors.tag(e)).isEqualTo("rate-limited");
  }

  @Test
  void bugsStayThemselves() {
    IllegalArgumentException bug = new IllegalArgumentException("bad");
    assertThat(WecomErrors.classify("app", "x", bug)).isSameAs(bug);
  }
}

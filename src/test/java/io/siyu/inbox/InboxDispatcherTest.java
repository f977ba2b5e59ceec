package io.siyu.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.infra.Transient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.RedisConnectionFailureException;

class InboxDispatcherTest {

  static class Busy extends RuntimeException implements Transient {}

  @Test
  void tagsMetricsWithTheFirstTwoSegmentsOfTheKind() {
    assertThat(InboxDispatcher.kindTag("event:change_external_contact:add_external_contact"))
        .isEqualTo("event:change_external_contact");
    assertThat(InboxDispatcher.kindTag("kf:event:enter_session")).isEqualTo("kf:event");
    assertThat(InboxDispatcher.kindTag("kf:text")).isEqualTo("kf:text");
    assertThat(InboxDispatcher.kindTag("plain")).isEqualTo("plain");
    assertThat(InboxDispatcher.kindTag(null)).isEqualTo("unknown");
  }

  @Test
  void retriesTransientRedisTimeoutAndIoFailuresOnly() {
    assertThat(InboxDispatcher.retriable(new Busy())).isTrue();
    assertThat(InboxDispatcher.retriable(new RedisConnectionFailureException("down"))).isTrue();
    assertThat(InboxDispatcher.retriable(new TimeoutException())).isTrue();
    assertThat(InboxDispatcher.retriable(new UncheckedIOException(new IOException("reset")))).isTrue();
    assertThat(InboxDispatcher.retriable(new IllegalStateException("bug"))).isFalse();
    assertThat(InboxDispatcher.retriable(new IllegalArgumentException("bad input"))).isFalse();
  }
}

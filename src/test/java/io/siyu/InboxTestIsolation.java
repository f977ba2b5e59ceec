package io.siyu;

import io.siyu.infra.RedisKeys;
import java.time.Duration;
import org.springframework.core.Ordered;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.TestExecutionListener;

/**
 * Every test JVM shares one Redis, and most test classes run with the inbox consumer off, so the entries
 * they append stay in the stream. A later class that turns a consumer on would process them with its own
 * handlers (dead letters, WeCom calls for customers it never created, load). After each test class the
 * inbox stream is deleted, through the class's cached context. (A class that dirties its context has it
 * closed before this runs — afterTestClass listeners run in reverse order — and those are the classes
 * that run a consumer, which drained the stream itself.)
 */
public class InboxTestIsolation implements TestExecutionListener, Ordered {

  @Override
  public void afterTestClass(TestContext context) {
    if (!context.hasApplicationContext()) {
      return;
    }
    context.getApplicationContext().getBeanProvider(ReactiveStringRedisTemplate.class).ifAvailable(redis ->
        redis.delete(RedisKeys.inboxStream()).block(Duration.ofSeconds(5)));
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 100;
  }
}

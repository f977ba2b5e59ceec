package io.siyu;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * A clock tests move by hand: {@code @Import(MutableClock.Config.class)} makes it the application's
 * {@link Clock}, then {@code @Autowired MutableClock clock; clock.advance(Duration.ofHours(49))}.
 * Starts at the real current time so timestamps stay plausible to code that compares with them.
 */
public class MutableClock extends Clock {

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  public MutableClock(Instant start, ZoneId zone) {
    this.now = new AtomicReference<>(start);
    this.zone = zone;
  }

  public MutableClock() {
    this(Instant.now(), ZoneOffset.UTC);
  }

  public Instant advance(Duration d) {
    return now.updateAndGet(t -> t.plus(d));
  }

  public void set(Instant instant) {
    now.set(instant);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return zone;
      }

      @Override
      public Clock withZone(ZoneId z) {
        return MutableClock.this.withZone(z);
      }

      @Override
      public Instant instant() {
        return MutableClock.this.instant();
      }
    };
  }

  /** Registers one {@link MutableClock} as the primary {@link Clock} of the test's application context. */
  @TestConfiguration(proxyBeanMethods = false)
  public static class Config {
    @Bean
    @Primary
    public MutableClock mutableClock() {
      return new MutableClock();
    }
  }
}

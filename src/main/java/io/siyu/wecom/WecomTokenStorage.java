package io.siyu.wecom;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import me.chanjar.weixin.cp.config.impl.WxCpRedisTemplateConfigImpl;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * WxJava's Redis config storage (access token shared by every instance under
 * {@code RedisKeys.wecomTokenPrefix()}), with a bounded token-refresh lock: WxJava's
 * {@code RedisTemplateSimpleDistributedLock.lock()} (SET NX PX 60 s) spins forever in 1 s sleeps while
 * another instance holds it; ours gives up after {@code token-lock-wait} with a transient failure.
 * Runs only on the wecom scheduler, never on the event loop.
 */
final class WecomTokenStorage extends WxCpRedisTemplateConfigImpl {

  private static final long serialVersionUID = 1L;

  private final transient Duration lockWait;

  WecomTokenStorage(StringRedisTemplate redis, String keyPrefix, Duration lockWait) {
    super(redis, keyPrefix);
    this.lockWait = lockWait;
  }

  @Override
  public Lock getAccessTokenLock() {
    return new BoundedLock(super.getAccessTokenLock(), lockWait);
  }

  /** Another instance held the token lock for longer than we wait. */
  static final class TokenLockTimeoutException extends RuntimeException {
    TokenLockTimeoutException(String message) {
      super(message);
    }
  }

  private record BoundedLock(Lock delegate, Duration maxWait) implements Lock {

    @Override
    public void lock() {
      try {
        if (!delegate.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new TokenLockTimeoutException("access token lock busy for " + maxWait.toMillis() + " ms");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TokenLockTimeoutException("interrupted while waiting for the access token lock");
      }
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
      if (!delegate.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new TokenLockTimeoutException("access token lock busy for " + maxWait.toMillis() + " ms");
      }
    }

    @Override
    public boolean tryLock() {
      return delegate.tryLock();
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
      return delegate.tryLock(time, unit);
    }

    @Override
    public void unlock() {
      delegate.unlock();
    }

    @Override
    public Condition newCondition() {
      throw new UnsupportedOperationException();
    }
  }
}

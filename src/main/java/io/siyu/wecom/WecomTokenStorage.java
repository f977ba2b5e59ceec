package io.siyu.wecom;

import io.siyu.infra.LuaScripts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import me.chanjar.weixin.cp.config.impl.WxCpRedisTemplateConfigImpl;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * WxJava's Redis config storage (access token shared by every instance under
 * {@code RedisKeys.wecomTokenPrefix()}), with a bounded token-refresh lock: WxJava's
 * {@code RedisTemplateSimpleDistributedLock.lock()} (SET NX PX 60 s) spins forever in 1 s sleeps while
 * another instance holds it; ours gives up after {@code token-lock-wait} with a transient failure.
 * Runs only on the wecom scheduler, never on the event loop.
 *
 * <p>Expiry is compare-and-expire: WxJava expires the token whenever a call is refused with a token error,
 * and WxJava reads "expired?" and the token as two Redis commands. With many calls in flight on a stale
 * token, each refusal deleted whatever token was stored — including the fresh one another call had just
 * fetched, which that call then read as null. Each thread remembers the token it read, and an expiry
 * deletes the stored token only if it is still that one.
 */
final class WecomTokenStorage extends WxCpRedisTemplateConfigImpl {

  private static final long serialVersionUID = 1L;

  private static final RedisScript<Long> EXPIRE_IF_CURRENT = LuaScripts.load("wecom/expire_token_if_current.lua", Long.class);

  private final transient Duration lockWait;
  private final transient StringRedisTemplate redis;
  /** The token this thread last read for a call; WxJava runs a call on one thread from read to expiry. */
  private final transient ThreadLocal<String> lastRead = new ThreadLocal<>();

  WecomTokenStorage(StringRedisTemplate redis, String keyPrefix, Duration lockWait) {
    super(redis, keyPrefix);
    this.redis = redis;
    this.lockWait = lockWait;
  }

  @Override
  public String getAccessToken() {
    String token = super.getAccessToken();
    lastRead.set(token);
    return token;
  }

  @Override
  public void expireAccessToken() {
    String used = lastRead.get();
    if (used == null) {
      // The refused call sent no token (the key vanished between WxJava's expiry check and its read):
      // that says nothing about the stored token, which may be a fresh one; the retry fetches if needed.
      return;
    }
    redis.execute(EXPIRE_IF_CURRENT, List.of(accessTokenKey), used);
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
      return delegate.newCondition();
    }
  }
}

package io.siyu.infra;

/**
 * Marks a failure that may succeed when tried again later (a busy upstream, a rate limit, a timeout).
 * Retries name it: {@code Retry.backoff(n, d).filter(Transient.class::isInstance)}.
 */
public interface Transient {}

package io.siyu.growth;

/** A points operation that cannot be applied; nothing was written. */
public class PointsException extends RuntimeException {

  public enum Reason {
    /** No profile hash for the person id. */
    UNKNOWN_PERSON,
    /** The idempotency key was used before for this person with different arguments. */
    KEY_REUSED,
    /** Arguments out of range (amount ≤ 0, expiry not in the future, ...). */
    INVALID
  }

  private final Reason reason;

  public PointsException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    // an expected outcome of bad input
    return this;
  }
}

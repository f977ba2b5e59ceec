package io.siyu.growth;

/** An interaction that cannot be recorded as given: unknown kind or bad attribute; nothing was written. */
public class InvalidInteractionException extends IllegalArgumentException {

  /** {@code unknown-kind} or {@code invalid-interaction}. */
  private final String slug;
  private final String field;

  public InvalidInteractionException(String slug, String field, String message) {
    super(message);
    this.slug = slug;
    this.field = field;
  }

  public String slug() {
    return slug;
  }

  /** The offending field (kind, key, attrs.amount, …). */
  public String field() {
    return field;
  }
}

package io.siyu.audience;

/**
 * A segment or lifecycle expression refused at definition time: a parse error or a construct outside the
 * safe subset (see {@link Expressions}). {@code position} is the 0-based character offset in the source.
 */
public class InvalidExpressionException extends IllegalArgumentException {

  private final int position;
  private final String reason;

  public InvalidExpressionException(int position, String reason) {
    super("invalid expression at position " + position + ": " + reason);
    this.position = position;
    this.reason = reason;
  }

  public int position() {
    return position;
  }

  public String reason() {
    return reason;
  }
}

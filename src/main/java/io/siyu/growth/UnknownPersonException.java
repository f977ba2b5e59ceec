package io.siyu.growth;

/** The person id names nobody (no profile): nothing was written. */
public class UnknownPersonException extends RuntimeException {

  public UnknownPersonException(String personId) {
    super("unknown person " + personId);
  }
}

package io.siyu;

/** The admin API bearer tokens that {@code test.properties} configures. */
public final class AdminTokens {

  public static final String VIEWER = "test-viewer-token";
  public static final String OPERATOR = "test-operator-token";

  private AdminTokens() {}
}

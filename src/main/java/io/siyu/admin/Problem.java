package io.siyu.admin;

import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * An RFC 9457 problem with a stable {@code type} per error ({@code urn:siyu:problem:<slug>}); tests
 * assert on the type, clients may switch on it. Throw it from a handler, or return it in a Mono error.
 */
public class Problem extends ErrorResponseException {

  public static final String TYPE_PREFIX = "urn:siyu:problem:";

  private final String slug;

  public Problem(HttpStatus status, String slug, String title, String detail) {
    super(status, problemDetail(status, slug, title, detail), null);
    this.slug = slug;
  }

  private static ProblemDetail problemDetail(HttpStatus status, String slug, String title, String detail) {
    ProblemDetail pd = ProblemDetail.forStatusAndDetail(status, detail);
    pd.setType(type(slug));
    pd.setTitle(title);
    return pd;
  }

  public static URI type(String slug) {
    return URI.create(TYPE_PREFIX + slug);
  }

  public String slug() {
    return slug;
  }

  public Problem with(String property, Object value) {
    getBody().setProperty(property, value);
    return this;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    // Problems are expected outcomes of bad input, thrown often under attack: skip the stack walk.
    return this;
  }
}

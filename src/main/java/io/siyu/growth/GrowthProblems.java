package io.siyu.growth;

import io.siyu.admin.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

/** Maps growth's domain errors to problems with stable slugs (the APIs share them). */
final class GrowthProblems {

  private static final Logger log = LoggerFactory.getLogger(GrowthProblems.class);

  private GrowthProblems() {}

  static Throwable map(Throwable e) {
    if (e instanceof InvalidInteractionException i) {
      log.warn("Growth API refused an interaction: {} ({})", i.slug(), i.field());
      return new Problem(HttpStatus.BAD_REQUEST, i.slug(), "unknown-kind".equals(i.slug()) ? "Unknown interaction kind"
          : "Invalid interaction", i.getMessage()).with("field", i.field());
    }
    if (e instanceof UnknownPersonException) {
      log.warn("Growth API: unknown person");
      return new Problem(HttpStatus.NOT_FOUND, "unknown-person", "Unknown person", e.getMessage());
    }
    if (e instanceof Growth.BelowZeroException b) {
      log.warn("Growth API refused a correction below zero");
      return new Problem(HttpStatus.UNPROCESSABLE_CONTENT, "growth-below-zero", "Growth would go below zero", b.getMessage());
    }
    return e;
  }
}

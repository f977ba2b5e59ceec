package io.siyu.growth;

import java.time.Duration;
import org.springframework.context.ApplicationContext;

/** Drives the (package-private) points jobs from tests of other packages. */
public final class PointsJobDriver {

  private PointsJobDriver() {}

  /** Publishes the points_expiring notices due now (the expiry job's tick does this under its lease). */
  public static long noticeDue(ApplicationContext context, Duration timeout) {
    return context.getBean(PointsExpiringNotices.class).noticeDue().block(timeout);
  }
}

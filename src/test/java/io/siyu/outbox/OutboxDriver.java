package io.siyu.outbox;

import java.time.Duration;
import org.springframework.context.ApplicationContext;

/** Drives the (package-private) outbox worker from tests of other packages, as the outbox tests do. */
public final class OutboxDriver {

  private OutboxDriver() {}

  /** Delivers due entries batch after batch until none is due; the number claimed. */
  public static int deliverAll(ApplicationContext context, Duration timeout) {
    OutboxWorker worker = context.getBean(OutboxWorker.class);
    int total = 0;
    for (int n = worker.deliverDue().block(timeout); n > 0; n = worker.deliverDue().block(timeout)) {
      total += n;
    }
    return total;
  }

  /** Asks WeCom about the due add_msg_template tasks once (the confirmation poller's round); the number checked. */
  public static int checkTemplateConfirmations(ApplicationContext context, Duration timeout) {
    return context.getBean(TemplateConfirmations.class).checkDue().block(timeout);
  }
}

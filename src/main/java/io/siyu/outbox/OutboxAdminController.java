package io.siyu.outbox;

import io.siyu.admin.Problem;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Delivery status of one entry, and counts by status and channel. */
@RestController
@RequestMapping("/api/v1/outbox")
class OutboxAdminController {

  private final Outbox outbox;

  OutboxAdminController(Outbox outbox) {
    this.outbox = outbox;
  }

  @GetMapping("/messages/{key}")
  Mono<Outbox.Status> message(@PathVariable String key) {
    return outbox.status(key).switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.NOT_FOUND,
        "outbox-message-not-found", "Outbox message not found", "No outbox message has this key.")));
  }

  @GetMapping("/stats")
  Mono<Outbox.Stats> stats() {
    return outbox.stats();
  }
}

package io.siyu.growth;

import io.siyu.admin.Operators;
import io.siyu.admin.Problem;
import io.siyu.audience.Segments;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.format.datetime.standard.DurationFormatterUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Points in the admin API: a person's balance, lots and ledger; grants, redemptions and adjustments
 * (idempotent on the request's {@code key}); the points leaderboard; batch extensions for a segment.
 */
@RestController
class PointsAdminController {

  private static final Logger log = LoggerFactory.getLogger(PointsAdminController.class);
  static final String KEY = "[A-Za-z0-9_.:-]{1,64}";
  static final String KEY_MESSAGE = "must be 1 to 64 characters of A-Z a-z 0-9 _ . : -";
  static final int MAX_LEDGER_PAGE = 500;
  static final int MAX_LEADERBOARD = 1000;
  static final int MAX_EXTENSION_DAYS = 3650;

  private final Points points;
  private final PointsExtensions extensions;
  private final Segments segments;
  private final Clock clock;

  PointsAdminController(Points points, PointsExtensions extensions, Segments segments, Clock clock) {
    this.points = points;
    this.extensions = extensions;
    this.segments = segments;
    this.clock = clock;
  }

  record PointsView(String personId, long balance, List<Points.Lot> lots, Points.Expiring expiringIn30Days) {}

  @GetMapping("/api/v1/persons/{id}/points")
  Mono<PointsView> points(@PathVariable String id) {
    Instant until = clock.instant().plus(Duration.ofDays(30));
    return requirePerson(id).then(points.balance(id)).map(b -> new PointsView(id, b.balance(), b.lots(), b.expiringBefore(until)));
  }

  @GetMapping("/api/v1/persons/{id}/points/ledger")
  Flux<Points.LedgerEntry> ledger(@PathVariable String id, @RequestParam(defaultValue = "50") int limit,
                                  @RequestParam(defaultValue = "0") int offset) {
    if (limit < 1 || limit > MAX_LEDGER_PAGE) {
      throw invalid("limit", "must be between 1 and " + MAX_LEDGER_PAGE);
    }
    if (offset < 0) {
      throw invalid("offset", "must be 0 or more");
    }
    return requirePerson(id).thenMany(points.ledger(id, offset, limit));
  }

  private Mono<Void> requirePerson(String id) {
    return points.personExists(id).flatMap(exists -> exists ? Mono.<Void>empty()
        : Mono.error(new Problem(HttpStatus.NOT_FOUND, "person-not-found", "Person not found", "no person with this id")));
  }

  record Grant(@NotNull @Pattern(regexp = KEY, message = KEY_MESSAGE) String key,
               @NotNull @Min(1) @Max(Points.MAX_AMOUNT) Long amount,
               @NotBlank @Size(max = Points.MAX_TEXT) String reason,
               Instant expiresAt) {}

  record Redemption(@NotNull @Pattern(regexp = KEY, message = KEY_MESSAGE) String key,
                    @NotNull @Min(1) @Max(Points.MAX_AMOUNT) Long amount,
                    @NotBlank @Size(max = Points.MAX_TEXT) String reason) {}

  record Adjustment(@NotNull @Pattern(regexp = KEY, message = KEY_MESSAGE) String key,
                    @NotNull @Min(-Points.MAX_AMOUNT) @Max(Points.MAX_AMOUNT) Long delta,
                    @NotBlank @Size(max = Points.MAX_TEXT) String reason) {}

  @PostMapping("/api/v1/persons/{id}/points/grants")
  Mono<Points.Change> grant(@PathVariable String id, @Valid @RequestBody Grant body) {
    // The past-expiry check is the script's, after its idempotency lookup: a retried grant whose expiresAt
    // has passed since it was applied answers 200 with the original outcome, not 400.
    return Operators.current()
        .flatMap(op -> points.earn(id, body.amount(), body.key(), body.reason(), op, body.expiresAt()))
        .onErrorMap(e -> e instanceof PointsException p && p.reason() == PointsException.Reason.INVALID
            && body.expiresAt() != null, e -> invalid("expiresAt", "must be in the future"))
        .map(PointsAdminController::applied);
  }

  @PostMapping("/api/v1/persons/{id}/points/redemptions")
  Mono<Points.Change> redeem(@PathVariable String id, @Valid @RequestBody Redemption body) {
    return Operators.current()
        .flatMap(op -> points.redeem(id, body.amount(), body.key(), body.reason(), op))
        .map(PointsAdminController::applied);
  }

  @PostMapping("/api/v1/persons/{id}/points/adjustments")
  Mono<Points.Change> adjust(@PathVariable String id, @Valid @RequestBody Adjustment body) {
    if (body.delta() == 0) {
      throw invalid("delta", "must not be 0");
    }
    return Operators.current()
        .flatMap(op -> points.adjust(id, body.delta(), body.key(), body.reason(), op))
        .map(PointsAdminController::applied);
  }

  private static Points.Change applied(Points.Change c) {
    if (c.outcome() == Points.Outcome.INSUFFICIENT) {
      throw new Problem(HttpStatus.CONFLICT, "insufficient-points", "Insufficient points",
          "the balance is " + c.balance() + "; nothing was changed").with("balance", c.balance());
    }
    return c;
  }

  record LeaderboardEntry(int rank, String personId, long points) {}

  @GetMapping("/api/v1/leaderboards/points")
  Flux<LeaderboardEntry> leaderboard(@RequestParam(defaultValue = "100") int limit) {
    if (limit < 1 || limit > MAX_LEADERBOARD) {
      throw invalid("limit", "must be between 1 and " + MAX_LEADERBOARD);
    }
    return points.leaderboard(limit).index()
        .map(t -> new LeaderboardEntry(t.getT1().intValue() + 1, t.getT2().getKey(), t.getT2().getValue()));
  }

  /** {@code expiringWithin}: a duration such as {@code 30d}, {@code 72h} or ISO-8601 {@code P30D}. */
  record ExtensionRequest(@NotNull @Pattern(regexp = KEY, message = KEY_MESSAGE) String key,
                          @NotBlank @Size(max = 64) String segment,
                          @NotNull @Min(1) @Max(MAX_EXTENSION_DAYS) Integer days,
                          @NotBlank String expiringWithin,
                          @NotBlank @Size(max = Points.MAX_TEXT) String reason) {}

  record ExtensionAccepted(String id, String status) {}

  @PostMapping("/api/v1/points/extensions")
  Mono<ResponseEntity<ExtensionAccepted>> extend(@Valid @RequestBody ExtensionRequest body) {
    Duration within = parseWindow(body.expiringWithin());
    return segments.exists(body.segment())
        .flatMap(exists -> exists ? Operators.current() : Mono.error(new Problem(HttpStatus.NOT_FOUND,
            "unknown-segment", "Unknown segment", "no segment named " + body.segment())))
        .flatMap(op -> extensions.start(body.key(), body.segment(), body.days(), within, body.reason(), op))
        .map(b -> ResponseEntity.accepted().body(new ExtensionAccepted(b.id(), b.status())));
  }

  @GetMapping("/api/v1/points/extensions/{id}")
  Mono<PointsExtensions.Batch> extension(@PathVariable String id) {
    return extensions.status(id).switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.NOT_FOUND,
        "unknown-extension", "Unknown extension batch", "no batch extension with this id")));
  }

  private static Duration parseWindow(String text) {
    Duration d;
    try {
      d = DurationFormatterUtils.detectAndParse(text.strip());
    } catch (RuntimeException e) {
      throw invalid("expiringWithin", "must be a duration such as 30d, 72h or P30D");
    }
    if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofDays(MAX_EXTENSION_DAYS)) > 0) {
      throw invalid("expiringWithin", "must be positive and at most " + MAX_EXTENSION_DAYS + " days");
    }
    return d;
  }

  private static Problem invalid(String field, String message) {
    log.warn("points request refused: {} {}", field, message);
    return new Problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", field + " " + message)
        .with("errors", List.of(Map.of("field", field, "message", message)));
  }

  @ExceptionHandler(PointsException.class)
  ResponseEntity<ProblemDetail> refused(PointsException e) {
    Problem p = switch (e.reason()) {
      case UNKNOWN_PERSON -> new Problem(HttpStatus.NOT_FOUND, "person-not-found", "Person not found", e.getMessage());
      case KEY_REUSED -> new Problem(HttpStatus.CONFLICT, "idempotency-key-reused", "Idempotency key reused",
          e.getMessage());
      case INVALID -> new Problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", e.getMessage());
    };
    log.warn("points operation refused: {}", e.reason());
    return ResponseEntity.status(p.getStatusCode()).body(p.getBody());
  }

  @ExceptionHandler(PointsExtensions.KeyReused.class)
  ResponseEntity<ProblemDetail> batchKeyReused(PointsExtensions.KeyReused e) {
    Problem p = new Problem(HttpStatus.CONFLICT, "idempotency-key-reused", "Idempotency key reused", e.getMessage());
    return ResponseEntity.status(HttpStatus.CONFLICT).body(p.getBody());
  }
}

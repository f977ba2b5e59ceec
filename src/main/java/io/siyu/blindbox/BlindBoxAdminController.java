package io.siyu.blindbox;

import io.siyu.admin.Problem;
import io.siyu.blindbox.BlindBoxProperties.Pool;
import io.siyu.blindbox.BlindBoxProperties.Prize;
import io.siyu.blindbox.DrawResult.PrizeKind;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** Operators' view and levers of the blind box: pools and stock, top-ups, code uploads, draws, stats. */
@RestController
@RequestMapping("/api/v1/blindbox")
class BlindBoxAdminController {

  private static final Logger log = LoggerFactory.getLogger(BlindBoxAdminController.class);

  static final int MAX_CODES_PER_UPLOAD = 100_000;
  static final int MAX_CODE_LENGTH = 64;
  /** Room for 100,000 maximal codes as a JSON array (quotes, commas) or as lines (CRLF). */
  static final int MAX_UPLOAD_BYTES = MAX_CODES_PER_UPLOAD * (MAX_CODE_LENGTH + 3) + 1024;
  private static final int MAX_ERRORS_LISTED = 20;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final BlindBox blindBox;

  BlindBoxAdminController(BlindBox blindBox) {
    this.blindBox = blindBox;
  }

  record PrizeView(String id, String name, PrizeKind kind, int weight, int initialStock, int limitPerPerson,
                   Integer points, long stock, Long codesRemaining) {}

  record FallbackView(String id, String name, PrizeKind kind, Integer points) {}

  record PoolView(String id, String name, List<PrizeView> prizes, FallbackView fallback) {}

  @GetMapping("/pools")
  Flux<PoolView> pools() {
    return Flux.fromIterable(blindBox.pools().keySet()).concatMap(this::poolView);
  }

  @GetMapping("/pools/{pool}")
  Mono<PoolView> pool(@PathVariable String pool) {
    blindBox.requirePool(pool);
    return poolView(pool);
  }

  private Mono<PoolView> poolView(String poolId) {
    Pool pool = blindBox.pools().get(poolId);
    return blindBox.stock(poolId).flatMap(stock -> Flux.fromIterable(pool.prizes())
        .concatMap(p -> (p.kind() == PrizeKind.COUPON
            ? blindBox.codesRemaining(poolId, p.id()).map(java.util.Optional::of)
            : Mono.just(java.util.Optional.<Long>empty()))
            .map(codes -> new PrizeView(p.id(), p.name(), p.kind(), p.weight(), p.initialStock(),
                p.limitPerPerson(), p.points(), stock.getOrDefault(p.id(), 0L), codes.orElse(null))))
        .collectList()
        .map(prizes -> new PoolView(poolId, pool.name(), prizes, pool.fallback() == null ? null
            : new FallbackView(pool.fallback().id(), pool.fallback().name(), pool.fallback().kind(),
                pool.fallback().points()))));
  }

  record TopUp(@NotNull @Min(1) @Max(1_000_000) Integer amount) {}

  record StockView(String pool, String prize, long stock) {}

  @PostMapping(path = "/pools/{pool}/prizes/{prize}/topup", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<StockView> topUp(@PathVariable String pool, @PathVariable String prize, @Valid @RequestBody TopUp body) {
    blindBox.requirePrize(blindBox.requirePool(pool), pool, prize);
    return blindBox.topUp(pool, prize, body.amount())
        .map(stock -> new StockView(pool, prize, stock))
        .doOnNext(s -> log.info("Blind-box stock topped up: pool {} prize {} +{} → {}", pool, prize, body.amount(), s.stock()));
  }

  record CodesView(String pool, String prize, long received, long accepted, long duplicates, long remaining) {}

  /** Codes as text/plain (one per line; blank lines ignored) or as a JSON array of strings. */
  @PostMapping(path = "/pools/{pool}/prizes/{prize}/codes",
      consumes = {MediaType.TEXT_PLAIN_VALUE, MediaType.APPLICATION_JSON_VALUE})
  Mono<CodesView> uploadCodes(@PathVariable String pool, @PathVariable String prize, ServerHttpRequest request) {
    Prize p = blindBox.requirePrize(blindBox.requirePool(pool), pool, prize);
    if (p.kind() != PrizeKind.COUPON) {
      throw new Problem(HttpStatus.CONFLICT, "not-a-coupon-prize", "Not a coupon prize",
          "prize " + prize + " of pool " + pool + " is of kind " + p.kind().name().toLowerCase() + "; only coupon prizes take codes");
    }
    boolean json = MediaType.APPLICATION_JSON.isCompatibleWith(request.getHeaders().getContentType());
    // Read the body ourselves: the codecs' default in-memory limit (256 KB) is far below 100,000 codes,
    // and raising it globally would raise it for every endpoint.
    return DataBufferUtils.join(request.getBody(), MAX_UPLOAD_BYTES)
        .map(buf -> {
          try {
            return buf.toString(StandardCharsets.UTF_8);
          } finally {
            DataBufferUtils.release(buf);
          }
        })
        .defaultIfEmpty("")
        .onErrorMap(DataBufferLimitException.class, e -> new Problem(HttpStatus.CONTENT_TOO_LARGE, "body-too-large",
            "Upload too large", "an upload holds at most " + MAX_CODES_PER_UPLOAD + " codes of at most "
            + MAX_CODE_LENGTH + " characters"))
        .map(body -> json ? parseJson(body) : parseLines(body))
        .map(codes -> validate(pool, prize, codes))
        .flatMap(codes -> blindBox.addCodes(pool, prize, codes)
            .map(added -> new CodesView(pool, prize, codes.size(), added.accepted(), added.duplicates(), added.remaining())))
        .doOnNext(v -> log.info("Blind-box codes uploaded: pool {} prize {}: {} accepted, {} duplicates",
            pool, prize, v.accepted(), v.duplicates()));
  }

  private static List<String> parseLines(String body) {
    List<String> codes = new ArrayList<>();
    for (String line : body.split("\n", -1)) {
      String code = line.strip();
      if (!code.isEmpty()) {
        codes.add(code);
      }
    }
    return codes;
  }

  private static List<String> parseJson(String body) {
    Object parsed;
    try {
      parsed = JSON.readValue(body, Object.class);
    } catch (JacksonException e) {
      throw invalid("the body is not valid JSON", List.of(fieldError("codes", "must be a JSON array of strings")));
    }
    if (!(parsed instanceof List<?> list)) {
      throw invalid("the body must be a JSON array of strings", List.of(fieldError("codes", "must be a JSON array of strings")));
    }
    List<String> codes = new ArrayList<>(list.size());
    List<Map<String, Object>> errors = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) instanceof String s) {
        codes.add(s);
      } else {
        if (errors.size() < MAX_ERRORS_LISTED) {
          errors.add(fieldError("codes[" + i + "]", "must be a string"));
        }
        codes.add(null);
      }
    }
    if (!errors.isEmpty()) {
      throw invalid("codes must be strings", errors);
    }
    return codes;
  }

  private static List<String> validate(String pool, String prize, List<String> codes) {
    if (codes.isEmpty()) {
      throw invalid("no codes in the upload", List.of(fieldError("codes", "must contain at least one code")));
    }
    if (codes.size() > MAX_CODES_PER_UPLOAD) {
      throw invalid("too many codes", List.of(fieldError("codes",
          "at most " + MAX_CODES_PER_UPLOAD + " codes per upload, got " + codes.size())));
    }
    List<Map<String, Object>> errors = new ArrayList<>();
    int invalidCount = 0;
    for (int i = 0; i < codes.size(); i++) {
      String problem = codeProblem(codes.get(i));
      if (problem != null) {
        invalidCount++;
        if (errors.size() < MAX_ERRORS_LISTED) {
          errors.add(fieldError("codes[" + i + "]", problem));
        }
      }
    }
    if (!errors.isEmpty()) {
      log.warn("Blind-box code upload refused for pool {} prize {}: {} invalid code(s)", pool, prize, invalidCount);
      throw invalid(invalidCount + " invalid code(s); nothing was stored", errors);
    }
    return codes;
  }

  /** A code is 1 to 64 printable ASCII characters without spaces (what a customer can type back). */
  static String codeProblem(String code) {
    if (code == null || code.isEmpty()) {
      return "must not be empty";
    }
    if (code.length() > MAX_CODE_LENGTH) {
      return "must be at most " + MAX_CODE_LENGTH + " characters";
    }
    for (int i = 0; i < code.length(); i++) {
      char c = code.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return "must be printable ASCII characters without spaces";
      }
    }
    return null;
  }

  private static Map<String, Object> fieldError(String field, String message) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("field", field);
    e.put("message", message);
    return e;
  }

  private static Problem invalid(String detail, List<Map<String, Object>> errors) {
    return new Problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail).with("errors", errors);
  }

  @GetMapping("/persons/{personId}/draws")
  Flux<DrawResult> draws(@PathVariable String personId) {
    return blindBox.drawsOf(personId);
  }

  @GetMapping("/pools/{pool}/stats")
  Mono<BlindBox.Stats> stats(@PathVariable String pool) {
    blindBox.requirePool(pool);
    return blindBox.stats(pool);
  }

  record BlacklistView(String personId, boolean blacklisted) {}

  @GetMapping("/blacklist/{personId}")
  Mono<BlacklistView> blacklisted(@PathVariable String personId) {
    return blindBox.isBlacklisted(personId).map(b -> new BlacklistView(personId, b));
  }

  @PutMapping("/blacklist/{personId}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  Mono<Void> blacklist(@PathVariable String personId) {
    return blindBox.blacklist(personId, true);
  }

  @DeleteMapping("/blacklist/{personId}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  Mono<Void> unblacklist(@PathVariable String personId) {
    return blindBox.blacklist(personId, false);
  }

  @ExceptionHandler(BlindBox.UnknownPrizeException.class)
  org.springframework.http.ResponseEntity<org.springframework.http.ProblemDetail> unknown(BlindBox.UnknownPrizeException e) {
    Problem p = new Problem(HttpStatus.NOT_FOUND, e.slug, "unknown-pool".equals(e.slug) ? "Unknown pool" : "Unknown prize",
        e.getMessage());
    return org.springframework.http.ResponseEntity.status(HttpStatus.NOT_FOUND).body(p.getBody());
  }
}

package io.siyu.growth;

import io.siyu.admin.Problem;
import io.siyu.audience.PersonStore;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The brand shop's order webhook. Not behind the admin bearer token: signed with a shared secret
 * ({@link OrderSignature}). Each order is an {@code order} interaction keyed by its order id, so a
 * redelivered order is a 200 duplicate and changes nothing.
 *
 * <pre>
 * POST /api/v1/orders
 * X-Siyu-Timestamp: 1767225600
 * X-Siyu-Signature: hex(HMAC-SHA256(secret, "1767225600." + body))
 * {"orderId":"T20260101001","personId":"...","amount":19900,
 *  "items":[{"sku":"SERUM-30","name":"精华 30ml","quantity":1,"price":19900}],"time":"2026-01-01T10:00:00+08:00"}
 * </pre>
 */
@RestController
class OrdersController {

  private static final Logger log = LoggerFactory.getLogger(OrdersController.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  static final int MAX_ITEMS = 500;
  static final int MAX_ID = 64;

  private final OrderSignature signature;
  private final Interactions interactions;
  private final PersonStore persons;
  private final GrowthProperties props;
  private final Clock clock;

  OrdersController(OrderSignature signature, Interactions interactions, PersonStore persons, GrowthProperties props,
      Clock clock) {
    this.signature = signature;
    this.interactions = interactions;
    this.persons = persons;
    this.props = props;
    this.clock = clock;
  }

  record Order(String orderId, String personId, String externalUserId, long amount, int items, Instant time) {}

  record OrderRecorded(String orderId, String personId, boolean first, long growthAdded, long growth, int level) {}

  @PostMapping("/api/v1/orders")
  Mono<ResponseEntity<OrderRecorded>> order(ServerHttpRequest request) {
    if (!props.orders().enabled()) {
      return Mono.error(new Problem(HttpStatus.NOT_FOUND, "orders-disabled", "Order webhook disabled",
          "siyu.growth.orders.enabled is false"));
    }
    String ts = request.getHeaders().getFirst("X-Siyu-Timestamp");
    String sig = request.getHeaders().getFirst("X-Siyu-Signature");
    return DataBufferUtils.join(request.getBody(), props.orders().maxBodySize())
        .map(buf -> {
          try {
            byte[] bytes = new byte[buf.readableByteCount()];
            buf.read(bytes);
            return bytes;
          } finally {
            DataBufferUtils.release(buf);
          }
        })
        .defaultIfEmpty(new byte[0])
        .onErrorMap(DataBufferLimitException.class, e -> new Problem(HttpStatus.CONTENT_TOO_LARGE, "body-too-large",
            "Order too large", "an order body is at most " + props.orders().maxBodySize() + " bytes"))
        .map(body -> {
          signature.verify(ts, sig, body);
          return parse(body);
        })
        .flatMap(o -> (o.personId() != null ? Mono.just(o.personId())
            : persons.idOfExternalUser(o.externalUserId())
                .switchIfEmpty(Mono.error(() -> new UnknownPersonException("with externalUserId " + o.externalUserId()))))
            .flatMap(pid -> interactions.record(new Interaction(pid, "order", o.orderId(), o.time(),
                Map.of("amount", Long.toString(o.amount())))))
            .map(r -> ResponseEntity.status(r.first() ? HttpStatus.CREATED : HttpStatus.OK)
                .body(new OrderRecorded(o.orderId(), r.personId(), r.first(), r.growthAdded(), r.growth(), r.level()))))
        .onErrorMap(GrowthProblems::map)
        .doOnError(Problem.class, p -> log.warn("Order webhook refused: {}", p.slug()));
  }

  private Order parse(byte[] body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JacksonException e) {
      throw bad("body", "the body is not valid JSON");
    }
    if (n == null || !n.isObject()) {
      throw bad("body", "the body must be a JSON object");
    }
    String orderId = text(n, "orderId", true);
    String personId = text(n, "personId", false);
    String ext = text(n, "externalUserId", false);
    if ((personId == null) == (ext == null)) {
      throw bad("personId", "exactly one of personId and externalUserId is required");
    }
    long amount = integer(n.get("amount"), "amount", 0, 100_000_000_000L, true);
    int items = 0;
    JsonNode list = n.get("items");
    if (list != null && !list.isNull()) {
      if (!list.isArray() || list.size() > MAX_ITEMS) {
        throw bad("items", "items must be an array of at most " + MAX_ITEMS + " items");
      }
      for (int i = 0; i < list.size(); i++) {
        JsonNode it = list.get(i);
        String f = "items[" + i + "]";
        if (!it.isObject()) {
          throw bad(f, f + " must be an object");
        }
        text(it, "sku", true, f + ".sku");
        text(it, "name", false, f + ".name");
        integer(it.get("quantity"), f + ".quantity", 1, 1_000_000, true);
        integer(it.get("price"), f + ".price", 0, 100_000_000_000L, true);
      }
      items = list.size();
    }
    Instant time = clock.instant();
    JsonNode t = n.get("time");
    if (t != null && !t.isNull()) {
      String message = "time must be an ISO-8601 date-time with offset, e.g. 2026-01-01T10:00:00+08:00";
      if (!t.isString()) {
        throw bad("time", message);
      }
      try {
        time = OffsetDateTime.parse(t.asString()).toInstant();
      } catch (DateTimeParseException e) {
        throw bad("time", message);
      }
    }
    return new Order(orderId, personId, ext, amount, items, time);
  }

  private static String text(JsonNode n, String field, boolean required) {
    return text(n, field, required, field);
  }

  private static String text(JsonNode n, String field, boolean required, String path) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw bad(path, path + " is required");
      }
      return null;
    }
    if (!v.isString() || v.asString().isBlank() || v.asString().length() > (field.equals("name") ? 200 : MAX_ID)) {
      throw bad(path, path + " must be a non-blank string of at most " + (field.equals("name") ? 200 : MAX_ID) + " characters");
    }
    return v.asString();
  }

  private static long integer(JsonNode v, String path, long min, long max, boolean required) {
    if (v == null || v.isNull()) {
      if (required) {
        throw bad(path, path + " is required");
      }
      return min;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
      throw bad(path, path + " must be an integer from " + min + " to " + max);
    }
    return v.asLong();
  }

  private static Problem bad(String field, String detail) {
    return new Problem(HttpStatus.BAD_REQUEST, "invalid-order", "Invalid order", detail).with("field", field);
  }
}

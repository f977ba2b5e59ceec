package io.siyu.growth;

import java.time.Instant;
import java.util.Map;

/**
 * Something a person did that may earn growth value.
 *
 * @param personId the person
 * @param kind     a configured kind (siyu.growth.kinds)
 * @param key      the source's natural idempotency key (order id, kf msgid, …), unique within the kind
 * @param at       when it happened (orders: the order time); daily caps use the processing day instead
 * @param attrs    kind-specific attributes: order {@code amount} (fen), ugc {@code engagement},
 *                 group_joined/group_left {@code chatId}
 */
public record Interaction(String personId, String kind, String key, Instant at, Map<String, String> attrs) {

  public Interaction {
    attrs = attrs == null ? Map.of() : Map.copyOf(attrs);
  }

  public Interaction(String personId, String kind, String key, Instant at) {
    this(personId, kind, key, at, Map.of());
  }
}

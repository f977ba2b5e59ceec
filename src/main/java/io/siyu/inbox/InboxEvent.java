package io.siyu.inbox;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of the inbox stream: a verified, decrypted WeCom callback or a customer-service message
 * fetched by {@code kf/sync_msg}. The payload is stored as received (decrypted XML, or the JSON of one
 * kf message); handlers parse it with WxJava's model classes.
 *
 * @param id         stream entry id (empty before it is appended)
 * @param app        the WeCom app name from {@code siyu.wecom.apps}
 * @param kind       routing kind, e.g. {@code event:change_external_contact:add_external_contact},
 *                   {@code event:kf_msg_or_event}, {@code msg:text}, {@code kf:text}, {@code kf:event:enter_session}
 * @param dedupeKey  the key under which this event was deduplicated
 * @param format     {@code xml} or {@code json}
 * @param payload    decrypted XML or kf message JSON
 * @param receivedAt when Siyu received it
 */
public record InboxEvent(String id, String app, String kind, String dedupeKey, String format, String payload,
                         Instant receivedAt) {

  public static final String XML = "xml";
  public static final String JSON = "json";

  /** Stream field/value pairs, in a stable order. */
  public Map<String, String> toFields() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("app", app);
    m.put("kind", kind);
    m.put("key", dedupeKey);
    m.put("format", format);
    m.put("payload", payload);
    m.put("receivedAt", Long.toString(receivedAt.toEpochMilli()));
    return m;
  }

  public static InboxEvent fromFields(String id, Map<?, ?> fields) {
    return new InboxEvent(id, str(fields, "app"), str(fields, "kind"), str(fields, "key"), str(fields, "format"),
        str(fields, "payload"), Instant.ofEpochMilli(Long.parseLong(str(fields, "receivedAt"))));
  }

  private static String str(Map<?, ?> fields, String name) {
    Object v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("inbox entry lacks field " + name);
    }
    return v.toString();
  }

  /** Top-level kind without sub-kinds: {@code event:change_external_contact:add_external_contact} → event. */
  public boolean kindStartsWith(String prefix) {
    return kind.equals(prefix) || kind.startsWith(prefix + ":");
  }
}

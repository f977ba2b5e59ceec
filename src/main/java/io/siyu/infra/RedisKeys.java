package io.siyu.infra;

/**
 * Every Redis key Siyu uses is built here, prefixed {@code siyu:}. Keys that one Lua script touches
 * together share a {@code {hash tag}} so the scripts keep working on Redis Cluster.
 */
public final class RedisKeys {

  private static final String PREFIX = "siyu:";

  private RedisKeys() {}

  // --- inbox: the stream, its dedupe markers and counters share the {inbox} slot -----------------

  public static String inboxStream() {
    return PREFIX + "{inbox}:stream";
  }

  public static String inboxDeadLetters() {
    return PREFIX + "{inbox}:dead";
  }

  /** Marks a dedupe key as seen; the value is the stream id of the first sighting. */
  public static String inboxSeen(String dedupeKey) {
    return PREFIX + "{inbox}:seen:" + dedupeKey;
  }

  /** Counts entries ever appended (first sightings), for operations and the benchmark's loss check. */
  public static String inboxAppendedCounter() {
    return PREFIX + "{inbox}:appended";
  }

  /** Counts duplicates refused by the append script. */
  public static String inboxDuplicateCounter() {
    return PREFIX + "{inbox}:duplicates";
  }

  /** The persisted {@code kf/sync_msg} cursor of one customer-service account. */
  public static String kfCursor(String app, String openKfId) {
    return PREFIX + "kf:cursor:" + app + ":" + openKfId;
  }

  // --- wecom --------------------------------------------------------------------------------------

  /** Prefix handed to WxJava's Redis config storage for the shared access tokens. */
  public static String wecomTokenPrefix() {
    return PREFIX + "wecom:token";
  }

  /** Token bucket of one WeCom API, shared by every instance. */
  public static String wecomRateBucket(String api) {
    return PREFIX + "wecom:rate:{" + api + "}";
  }

  /** Per-person keys share {@code {p:<personId>}} so one script can touch all of them. */
  public static String personTag(String personId) {
    return "{p:" + personId + "}";
  }
}

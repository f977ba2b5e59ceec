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

  /** Counts inbox entries processed and acknowledged (incremented by the ack script). */
  public static String inboxProcessedCounter() {
    return PREFIX + "{inbox}:processed";
  }

  /**
   * The persisted {@code kf/sync_msg} cursor of one customer-service account. Shares a hash tag with
   * {@link #kfSyncLease} because the save-cursor script checks the lease.
   */
  public static String kfCursor(String app, String openKfId) {
    return PREFIX + "kf:" + kfTag(app, openKfId) + ":cursor";
  }

  /** The lease that lets one sync of a customer-service account run at a time, across instances. */
  public static String kfSyncLease(String app, String openKfId) {
    return PREFIX + "kf:" + kfTag(app, openKfId) + ":lease";
  }

  private static String kfTag(String app, String openKfId) {
    return "{" + app + ":" + openKfId + "}";
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

  // --- questionnaire (journey): per person, under {p:<id>} -----------------------------------------

  /** Questionnaire answers: question id → value (multi: option ids joined by ','; '' = skipped). */
  public static String questionnaireAnswers(String personId) {
    return PREFIX + "q:" + personTag(personId) + ":answers";
  }

  /** Tags of each answer: question id → tags joined by ' ' (source of {@link #questionnaireTags}). */
  public static String questionnaireAnswerTags(String personId) {
    return PREFIX + "q:" + personTag(personId) + ":answer-tags";
  }

  /** The person's questionnaire tags (a set), written on completion. */
  public static String questionnaireTags(String personId) {
    return PREFIX + "q:" + personTag(personId) + ":tags";
  }

  /** Progress: completedAt, prize, the chat flow's current question, last message, multi-choice drafts. */
  public static String questionnaireState(String personId) {
    return PREFIX + "q:" + personTag(personId) + ":state";
  }
}

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

  // --- audience: persons (journey helper) ---------------------------------------------------------

  /** One hash per person: id, externalUserId, unionId, name, avatar, gender, ownerUserId, remark, state, firstSeen. */
  public static String person(String personId) {
    return PREFIX + "person:" + personTag(personId);
  }

  /** The person's follow relationships: staff userid → compact JSON (remark, tags, state, createtime). */
  public static String personFollows(String personId) {
    return PREFIX + "person:" + personTag(personId) + ":follows";
  }

  /** The person's tags (WeCom tag names of every follow, plus tags the questionnaire maps answers to). */
  public static String personTags(String personId) {
    return PREFIX + "person:" + personTag(personId) + ":tags";
  }

  /** The person's questionnaire answers: question id → answer. */
  public static String personAnswers(String personId) {
    return PREFIX + "person:" + personTag(personId) + ":answers";
  }

  /**
   * external_userid → person id. Its own slot: the index cannot share the person's hash tag (the person id
   * is what it looks up), so it is written with a single SET after the person's script.
   */
  public static String personIdOfExternalUser(String externalUserId) {
    return PREFIX + "person-ext:{x:" + externalUserId + "}";
  }

  // --- journey ------------------------------------------------------------------------------------

  /** A person's journey: field {@code <step>} → completion epoch millis, {@code <step>:draw} → compact draw JSON. */
  public static String journeySteps(String personId) {
    return PREFIX + "journey:" + personTag(personId) + ":steps";
  }

  /** An add_half_external_contact waiting for the staff member's confirmation (compact JSON, with a TTL). */
  public static String journeyPendingAdd(String externalUserId, String userId) {
    return PREFIX + "journey:pending-add:{x:" + externalUserId + "}:" + userId;
  }

  /** The funnel: the set of person ids that completed {@code step}; SADD keeps it exact under redelivery. */
  public static String journeyFunnel(String step) {
    return PREFIX + "journey:{funnel}:" + step;
  }

  /** The funnel of one channel (the add event's State). */
  public static String journeyFunnelByState(String step, String state) {
    return PREFIX + "journey:{funnel}:" + step + ":state:" + state;
  }

  /** Channels (States) seen by the funnel. */
  public static String journeyFunnelStates() {
    return PREFIX + "journey:{funnel}:states";
  }
}

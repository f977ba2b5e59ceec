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

  // --- outbox: entries, the due and in-flight sets and the stats share the {outbox} slot -----------

  /** One outbox entry (a hash: message JSON, status, channel, attempts, lease, timestamps). */
  public static String outboxEntry(String key) {
    return outboxEntryPrefix() + key;
  }

  /** Prefix of {@link #outboxEntry}: the claim script builds entry keys from the due set's members. */
  public static String outboxEntryPrefix() {
    return PREFIX + "{outbox}:m:";
  }

  /** Entries waiting to be delivered, scored by due time (epoch ms). */
  public static String outboxDue() {
    return PREFIX + "{outbox}:due";
  }

  /** Entries claimed by a worker, scored by lease expiry (epoch ms); an expired lease makes them due again. */
  public static String outboxInflight() {
    return PREFIX + "{outbox}:inflight";
  }

  /** Counts by status ({@code status:<s>}) and sends by channel ({@code channel:<c>}). */
  public static String outboxStats() {
    return PREFIX + "{outbox}:stats";
  }

  /**
   * Delivery feedback of one campaign run (a hash of counters: enqueued, sent, sent:&lt;channel&gt;, deferred:&lt;reason&gt;,
   * failed:&lt;reason&gt;, expired, cancelled, reply, conversion, l:&lt;label&gt;:&lt;counter&gt;, ...). In the {outbox}
   * slot so the outbox scripts count into it atomically with the entry's change (the run hash is in {campaign}).
   */
  public static String outboxFeedback(String runId) {
    return PREFIX + "{outbox}:fb:" + runId;
  }

  /** Who a run's replies and conversions were already counted for (a set of {@code <counter>:<personId>}). */
  public static String outboxFeedbackAttributed(String runId) {
    return PREFIX + "{outbox}:fb:" + runId + ":who";
  }

  /** The campaign runs that messaged a person: run id → {@code sentAt|windowEnd|goal|labels}, expiring. */
  public static String outboxTouches(String personId) {
    return PREFIX + "outbox:" + personTag(personId) + ":touches";
  }

  /**
   * add_msg_template tasks of campaign messages whose staff confirmation is not known yet (outbox key by the
   * time of the next get_groupmsg_send_result check, epoch ms).
   */
  public static String outboxTemplatePending() {
    return PREFIX + "{outbox}:tmpl-pending";
  }

  /** Sources whose still-queued entries expire when claimed (a set; e.g. cancelled campaigns). */
  public static String outboxCancelledSources() {
    return PREFIX + "{outbox}:cancelled-sources";
  }

  /** Messages reserved for a person on one day ({@code yyyyMMdd} in the brand's zone). */
  public static String outboxCapDay(String personId, String day) {
    return PREFIX + "outbox:" + personTag(personId) + ":cap:d:" + day;
  }

  /** Messages reserved for a person in one ISO week ({@code yyyy-Www} in the brand's zone). */
  public static String outboxCapWeek(String personId, String week) {
    return PREFIX + "outbox:" + personTag(personId) + ":cap:w:" + week;
  }

  /** Marks that an outbox key already counts against the person's caps (value: {@code day|week}). */
  public static String outboxCapReservation(String personId, String outboxKey) {
    return PREFIX + "outbox:" + personTag(personId) + ":cap:r:" + outboxKey;
  }

  /** A customer's kf session as the outbox tracks it: last customer message time and sends since. */
  public static String outboxKfSession(String openKfId, String externalUserId) {
    return PREFIX + "outbox:kfs:{" + openKfId + ":" + externalUserId + "}";
  }

  /** add_msg_template sends to one customer (sorted set of outbox keys by send time). */
  public static String outboxTemplateSends(String externalUserId) {
    return PREFIX + "outbox:tmpl:{e:" + externalUserId + "}";
  }

  /** Per-person keys share {@code {p:<personId>}} so one script can touch all of them. */
  public static String personTag(String personId) {
    return "{p:" + personId + "}";
  }

  // --- admin --------------------------------------------------------------------------------------

  /** The per-install secret of signed customer links in sandbox mode (real mode takes it from config). */
  public static String linkSecret() {
    return PREFIX + "admin:link-secret";
  }

  // --- blindbox: every key shares the {bb} slot so the draw script touches one slot ----------------

  private static final String BB = PREFIX + "{bb}:";

  /** Hash prizeId → remaining stock of one pool. */
  public static String blindboxStock(String poolId) {
    return BB + "stock:" + poolId;
  }

  /** List of the unused codes of one coupon prize (popped by the draw script). */
  public static String blindboxCodes(String poolId, String prizeId) {
    return BB + "codes:" + poolId + ":" + prizeId;
  }

  /** Set of every code ever uploaded for one coupon prize, issued or not: uploads are deduped against it. */
  public static String blindboxCodesSeen(String poolId, String prizeId) {
    return BB + "codes-seen:" + poolId + ":" + prizeId;
  }

  /** Hash step → recorded draw result (JSON) of one person: the draw script's replay record. */
  public static String blindboxDraws(String personId) {
    return BB + "draws:" + personId;
  }

  /** Hash {@code <poolId>|<prizeId>} → prizes of that kind this person has won (per-person limits). */
  public static String blindboxPersonCounts(String personId) {
    return BB + "won:" + personId;
  }

  /** Set of blacklisted person ids. */
  public static String blindboxBlacklist() {
    return BB + "blacklist";
  }

  /** Hash of one pool's statistics: {@code won:<prizeId>}, {@code fallback}, {@code empty}, {@code blacklisted}. */
  public static String blindboxStats(String poolId) {
    return BB + "stats:" + poolId;
  }

  // --- audience: persons (journey helper) ---------------------------------------------------------

  /** One hash per person: the profile (field names in {@code io.siyu.audience.ProfileFields}). */
  public static String person(String personId) {
    return PREFIX + "person:" + personTag(personId);
  }

  /** The person's follow relationships: staff userid → compact JSON (remark, tags, state, createtime). */
  public static String personFollows(String personId) {
    return PREFIX + "person:" + personTag(personId) + ":follows";
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

  // --- audience: profiles, scores, segments -------------------------------------------------------

  /**
   * Persons whose profile changed and await re-evaluation: person id → epoch millis of the first mark.
   * In the {@link #GLOBAL_TAG} slot with the growth leaderboard and the events stream (see there).
   */
  public static String audienceDirty() {
    return PREFIX + GLOBAL_TAG + ":audience:dirty";
  }

  /** The members of one segment (a set of person ids); its build copy shares the {s:<name>} slot. */
  public static String segmentMembers(String segment) {
    return PREFIX + "seg:{s:" + segment + "}:members";
  }

  /** Marks a running full rebuild of one segment (value: rebuild token, with a TTL): live changes also go to the build set. */
  public static String segmentBuilding(String segment) {
    return PREFIX + "seg:{s:" + segment + "}:building";
  }

  /**
   * Counts the member-set writes live evaluations made to one segment (never reset): a full pass compares it
   * before and after a batch to know whether a live write may have interleaved with its own.
   */
  public static String segmentLiveWrites(String segment) {
    return PREFIX + "seg:{s:" + segment + "}:live";
  }

  /** Segment definitions made through the admin API: name → JSON {expression, description, updatedAt, updatedBy}. */
  public static String segmentDefinitions() {
    return PREFIX + "audience:segments";
  }

  /** Score cut points recomputed by the sweep: r1..r4, f1..f4, m1..m4 (quantiles), super (value threshold). */
  public static String audienceCuts() {
    return PREFIX + "audience:cuts";
  }

  /** The lease that lets one full pass (sweep or rebuild) run at a time across instances. */
  public static String audienceRebuildLease() {
    return PREFIX + "audience:rebuild-lease";
  }

  /** A full rebuild writes here, then renames over {@link #segmentMembers}. */
  public static String segmentBuild(String segment) {
    return PREFIX + "seg:{s:" + segment + "}:build";
  }

  // --- growth: interactions, levels, leaderboards, domain events ----------------------------------

  /** Interaction keys already recorded for a person: member = key, score = epoch millis it may be forgotten. */
  public static String interactionsSeen(String personId) {
    return PREFIX + "ix:" + personTag(personId) + ":seen";
  }

  /**
   * The hash tag shared by the global keys every recorded interaction writes: the growth leaderboard,
   * the domain events stream and the audience dirty set. Sharing a slot lets {@code growth/after.lua}
   * write all three in one call per interaction instead of three. They are global by nature (one key
   * each, written by every interaction), so on Redis Cluster each was already a single-slot hot spot;
   * putting them on the same node costs nothing that was not already there.
   */
  public static final String GLOBAL_TAG = "{g}";

  /** Leaderboard by growth value (person id → growth total); in the {@link #GLOBAL_TAG} slot. */
  public static String growthLeaderboard() {
    return PREFIX + GLOBAL_TAG + ":lb:growth";
  }

  /** Leaderboard by points balance (person id → balance). */
  public static String pointsLeaderboard() {
    return PREFIX + "lb:points";
  }

  /**
   * Domain events (interaction, level_up, ...) that campaigns trigger on; entries carry an idempotency key.
   * In the {@link #GLOBAL_TAG} slot.
   */
  public static String events() {
    return PREFIX + GLOBAL_TAG + ":events";
  }

  // --- points: per person under {p:<id>}; the due index, job lease and batch extensions are global ---

  /** A person's lots: lot id → {@code remaining:amount:earnedAt:expiresAt}; field {@code n} = last lot id. */
  public static String pointsLots(String personId) {
    return PREFIX + "pts:" + personTag(personId) + ":lots";
  }

  /** A person's live lots by expiry (lot id → expiresAt millis): the FIFO spending order. */
  public static String pointsLotsByExpiry(String personId) {
    return PREFIX + "pts:" + personTag(personId) + ":exp";
  }

  /** A person's points ledger (list of JSON entries, newest first). */
  public static String pointsLedger(String personId) {
    return PREFIX + "pts:" + personTag(personId) + ":ledger";
  }

  /** Idempotency keys of a person's points operations: key → epoch millis it may be forgotten. */
  public static String pointsKeys(String personId) {
    return PREFIX + "pts:" + personTag(personId) + ":keys";
  }

  /** Outcomes of a person's points operations: key → {@code fingerprint\noutcome} (replays return it). */
  public static String pointsOutcomes(String personId) {
    return PREFIX + "pts:" + personTag(personId) + ":out";
  }

  /** Persons with live lots: person id → earliest lot expiry (epoch millis), read by the expiry job. */
  public static String pointsDue() {
    return PREFIX + "pts:due";
  }

  /**
   * Profile version last written to {@link #pointsLeaderboard} per person. Its hash tag is the whole
   * leaderboard key, so on Redis Cluster it lands in the leaderboard's slot.
   */
  public static String pointsLeaderboardVersions() {
    return PREFIX + "{" + pointsLeaderboard() + "}:v";
  }

  /**
   * Persons to tell about expiring points: person id → notice time (earliest lot expiry minus
   * {@code siyu.points.expiring-notice-lead}), lowered only; read by the expiry job's tick.
   */
  public static String pointsNoticeDue() {
    return PREFIX + "pts:notice-due";
  }

  /** Expiry days a person was told about: {@code yyyy-MM-dd} → 1 (points_expiring published once per day). */
  public static String pointsNoticed(String personId) {
    return PREFIX + "pts:" + personTag(personId) + ":noticed";
  }

  /** The lease that lets one instance run an expiry tick. */
  public static String pointsJobLease() {
    return PREFIX + "pts:job-lease";
  }

  /** One batch extension (hash: parameters, status, counters). */
  public static String pointsExtension(String id) {
    return PREFIX + "{pts-ext}:b:" + id;
  }

  /** Batch extensions not yet completed (id → created millis): the expiry job resumes them. */
  public static String pointsExtensionsRunning() {
    return PREFIX + "{pts-ext}:running";
  }

  /** The lease of the instance running one batch extension. */
  public static String pointsExtensionLease(String id) {
    return PREFIX + "{pts-ext}:lease:" + id;
  }

  /** A person's audited growth corrections (a list of JSON entries, newest first). */
  public static String growthCorrections(String personId) {
    return PREFIX + "growth:" + personTag(personId) + ":corrections";
  }

  // --- campaigns: definitions and their index share the {campaign} slot (few, small, edited rarely) -----

  /** One campaign (a hash: {@code json} definition, {@code state}, {@code version}). */
  public static String campaign(String id) {
    return PREFIX + "{campaign}:c:" + id;
  }

  /** All campaigns (sorted set: id by creation millis). */
  public static String campaignIndex() {
    return PREFIX + "{campaign}:index";
  }

  /** Campaigns due to start a run (sorted set: id by nextRunAt millis); kept in step by the campaign CAS. */
  public static String campaignDue() {
    return PREFIX + "{campaign}:due";
  }

  /** One campaign run (a hash: campaign, state, cursor, counters, times). Runs are few: one per fire. */
  public static String campaignRun(String runId) {
    return PREFIX + "{campaign}:run:" + runId;
  }

  /** The planner lease of a run (a string: the holder's token, with a TTL). */
  public static String campaignRunLease(String runId) {
    return PREFIX + "{campaign}:run-lease:" + runId;
  }

  /** Pending fires of triggered campaigns: member {@code <campaignId>|<personId>|<eventKey>}, score = fire time millis. */
  public static String campaignFires() {
    return PREFIX + "{campaign}:fires";
  }

  /** Built-in campaigns created from configuration: builtin id → hash of the definition it was created from. */
  public static String campaignBuiltins() {
    return PREFIX + "{campaign}:builtins";
  }

  /** Runs not finished yet (sorted set: run id by start millis); every tick looks at them. */
  public static String campaignRunsActive() {
    return PREFIX + "{campaign}:runs-active";
  }

  /** A campaign's runs (sorted set: run id by fire millis). */
  public static String campaignRuns(String campaignId) {
    return PREFIX + "{campaign}:runs:" + campaignId;
  }

  /** A person's slots under one campaign's per-person cap (a hash: run id → 1). */
  public static String campaignCap(String personId, String campaignId) {
    return PREFIX + "cmp:" + personTag(personId) + ":" + campaignId;
  }
}

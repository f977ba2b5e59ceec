package io.siyu.audience;

/**
 * Field names of the profile: the one Redis hash per person ({@link io.siyu.infra.RedisKeys#person}).
 * Several features write it (audience, growth, points), each through its own Lua script on the person's
 * slot; this class is their shared contract, and Lua scripts use the same literal names.
 *
 * <p>Every value stays at most 64 bytes and a typical person has well under 128 fields, so Redis keeps
 * the hash in its compact encoding (hash-max-ziplist-value / -entries): that is what keeps a profile
 * under 1.5 KB. Hence tags and answers are one field each ({@code t:<tag>}, {@code a:<question>}) rather
 * than joined strings, and nothing long (avatar URLs, follow JSON) lives here.
 *
 * <p>Times are epoch millis; amounts of money are in fen (integers). Every script that changes data a
 * score or segment could read increments {@link #VERSION}; the evaluator writes scores and segment
 * membership only for the version it read ({@link #SCORED_VERSION}).
 */
public final class ProfileFields {

  private ProfileFields() {}

  // identity and attributes (PersonStore)
  public static final String ID = "id";
  public static final String EXTERNAL_USER_ID = "externalUserId";
  public static final String UNION_ID = "unionId";
  public static final String NAME = "name";
  public static final String GENDER = "gender";
  public static final String OWNER = "ownerUserId";
  public static final String REMARK = "remark";
  /** Channel: the State of the first add event. */
  public static final String STATE = "state";
  public static final String FIRST_SEEN = "firstSeen";
  public static final String UPDATED_AT = "updatedAt";
  /** Set when the customer deleted every staff member (del_follow_user); removed by a new follow. */
  public static final String UNFOLLOWED_AT = "unfollowedAt";
  /** Prefix of one field per tag, value "1": {@code t:skin:oily}. */
  public static final String TAG_PREFIX = "t:";
  /** Prefix of one field per questionnaire answer: {@code a:<questionId>} → answer. */
  public static final String ANSWER_PREFIX = "a:";

  // growth (growth/record.lua)
  public static final String GROWTH = "growth";
  public static final String LEVEL = "level";
  /** The highest level whose level_up event was published (repairs a crash between script and XADD). */
  public static final String LEVEL_PUBLISHED = "lp";
  /** Last interaction of a kind that counts as activity. */
  public static final String LAST_AT = "lastAt";
  /** {@code n:<kind>} → interactions of that kind ever. */
  public static final String COUNT_PREFIX = "n:";
  /** {@code gd:<kind>} / {@code gd:*} → {@code <epochDay>:<growth earned that day>} for the daily caps. */
  public static final String GROWTH_DAY_PREFIX = "gd:";
  /** {@code w<days>:<kind>} → rolling-window counter state (see growth's Windows). */
  public static final String WINDOW_PREFIX = "w";
  public static final String ORDERS = "orders";
  /** Orders amount, fen. */
  public static final String AMOUNT = "amount";
  public static final String FIRST_ORDER_AT = "firstOrderAt";
  public static final String LAST_ORDER_AT = "lastOrderAt";
  public static final String UGC = "ugc";
  public static final String UGC_ENGAGEMENT = "ugcEng";
  public static final String REFERRALS = "referrals";
  /** Customer group chats the person is in now. */
  public static final String GROUPS = "groups";
  /** {@code gr:<chatId>} → "1" while the person is in that group chat. */
  public static final String GROUP_PREFIX = "gr:";

  // points (growth/points scripts): the current balance, kept equal to the sum of the live lots
  public static final String POINTS = "points";

  // scores and segments (audience evaluator)
  public static final String STAGE = "stage";
  public static final String STAGE_AT = "stageAt";
  public static final String RFM_R = "rfmR";
  public static final String RFM_F = "rfmF";
  public static final String RFM_M = "rfmM";
  public static final String VALUE = "value";
  /** "1" when the value score is in the configured top share. */
  public static final String SUPER_USER = "super";
  /** {@code s:<segment>} → "1" while the person is in that segment. */
  public static final String SEGMENT_PREFIX = "s:";

  /** Data version: incremented by every script that changes fields a score or segment reads. */
  public static final String VERSION = "v";
  /** The {@link #VERSION} the stored scores and segment fields were computed from. */
  public static final String SCORED_VERSION = "sv";
}

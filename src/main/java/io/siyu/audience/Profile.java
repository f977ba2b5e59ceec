package io.siyu.audience;

import io.siyu.growth.Windows;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The read model of a person's profile hash ({@link ProfileFields}), and the root object of segment and
 * lifecycle expressions: every component below is an expression property (see docs/SEGMENTS.md).
 * Days are local days in the brand's zone. Missing counters read 0; maps return 0 for missing keys.
 *
 * @param id                 person id (unionid, else external_userid)
 * @param externalUserId     first external_userid seen
 * @param unionId            WeChat unionid, or null
 * @param name               WeChat name
 * @param gender             0 unknown, 1 male, 2 female
 * @param ownerUserId        staff userid owning the relationship
 * @param remark             the owner's remark
 * @param channel            channel of the first add (contact-way State), or null
 * @param tags               tags (WeCom tags of every follow, questionnaire tags)
 * @param answers            questionnaire answers: question id → answer (multi-choice: option ids joined by ',')
 * @param growth             growth value total
 * @param level              level (1 at growth 0, before any interaction too)
 * @param points             points balance
 * @param counts             interactions ever by kind ({@code counts['chat']}), 0 for unknown kinds
 * @param windows            interactions by window and kind ({@code windows['30d']['chat']}, {@code '*'} = all kinds)
 * @param orders             orders count
 * @param spend              orders amount in yuan
 * @param firstOrderAt       first order time (epoch millis) or null
 * @param lastOrderAt        last order time (epoch millis) or null
 * @param ugc                UGC submissions
 * @param ugcEngagement      engagement on the person's UGC
 * @param referrals          referrals
 * @param groups             customer group chats the person is in now
 * @param firstSeen          first seen (epoch millis) or null
 * @param lastAt             last interaction (epoch millis) or null
 * @param daysSinceFirstSeen local days since first seen (0 when unknown)
 * @param silentDays         local days since the last interaction, or since first seen when none
 * @param daysSinceLastOrder local days since the last order; null without orders (compare after {@code orders > 0})
 * @param unfollowed         the customer deleted every staff member
 * @param stage              lifecycle stage (intro, growth, mature, dormant, churned) or null before scoring
 * @param stageAt            when the stage was entered (epoch millis) or null
 * @param rfm                RFM scores 1–5 ({@code rfm.r}, {@code rfm.f}, {@code rfm.m}); 1,1,1 without orders
 * @param value              value score 0–100
 * @param superUser          value in the configured top share
 */
public record Profile(
    String id, String externalUserId, String unionId, String name, int gender, String ownerUserId, String remark,
    String channel, Set<String> tags, Map<String, String> answers,
    int growth, int level, int points, Map<String, Long> counts, Map<String, Map<String, Long>> windows,
    int orders, double spend, Long firstOrderAt, Long lastOrderAt, int ugc, int ugcEngagement, int referrals,
    int groups, Long firstSeen, Long lastAt, int daysSinceFirstSeen, int silentDays, Integer daysSinceLastOrder,
    boolean unfollowed, String stage, Long stageAt, Rfm rfm, int value, boolean superUser) {

  /** RFM scores, each 1–5. */
  public record Rfm(int r, int f, int m) {
    public static final Rfm NONE = new Rfm(1, 1, 1);
  }

  /** The scores the evaluator computes, to be written back to the hash. */
  public record Scores(String stage, long stageAt, Rfm rfm, int value, boolean superUser) {}

  /** A map whose missing keys read 0, so {@code counts['never'] > 0} is false rather than an error. */
  static final class Counts extends HashMap<String, Long> {
    @Override
    public Long get(Object key) {
      return getOrDefault(key, 0L);
    }
  }

  /** Windows by name; an unknown window reads as empty counts. */
  static final class WindowCounts extends HashMap<String, Map<String, Long>> {
    @Override
    public Map<String, Long> get(Object key) {
      Map<String, Long> m = super.get(key);
      return m == null ? new Counts() : m;
    }
  }

  /** Builds the read model from the hash (HGETALL); {@code windowDays} are the configured windows. */
  public static Profile from(Map<String, String> h, Instant now, ZoneId zone, List<Integer> windowDays) {
    Set<String> tags = new HashSet<>();
    Map<String, String> answers = new HashMap<>();
    Counts counts = new Counts();
    WindowCounts windows = new WindowCounts();
    for (int d : windowDays) {
      windows.put(d + "d", new Counts());
    }
    for (Map.Entry<String, String> e : h.entrySet()) {
      String k = e.getKey();
      if (k.startsWith(ProfileFields.TAG_PREFIX)) {
        tags.add(k.substring(2));
      } else if (k.startsWith(ProfileFields.ANSWER_PREFIX)) {
        answers.put(k.substring(2), e.getValue());
      } else if (k.startsWith(ProfileFields.COUNT_PREFIX)) {
        counts.put(k.substring(2), parseLong(e.getValue()));
      } else if (k.length() > 2 && k.charAt(0) == 'w' && Character.isDigit(k.charAt(1))) {
        int colon = k.indexOf(':');
        if (colon > 1) {
          int days = Integer.parseInt(k.substring(1, colon));
          Map<String, Long> w = windows.get(days + "d");
          if (windowDays.contains(days)) {
            w.put(k.substring(colon + 1), Windows.count(e.getValue(), days, now, zone));
          }
        }
      }
    }
    Long firstSeen = optLong(h.get(ProfileFields.FIRST_SEEN));
    Long lastAt = optLong(h.get(ProfileFields.LAST_AT));
    Long firstOrderAt = optLong(h.get(ProfileFields.FIRST_ORDER_AT));
    Long lastOrderAt = optLong(h.get(ProfileFields.LAST_ORDER_AT));
    int orders = parseInt(h.get(ProfileFields.ORDERS));
    LocalDate today = LocalDate.ofInstant(now, zone);
    int sinceFirst = firstSeen == null ? 0 : days(firstSeen, today, zone);
    Long silentFrom = lastAt != null ? lastAt : firstSeen;
    int silent = silentFrom == null ? 0 : days(silentFrom, today, zone);
    Integer sinceOrder = lastOrderAt == null || orders == 0 ? null : days(lastOrderAt, today, zone);
    String rfmR = h.get(ProfileFields.RFM_R);
    Rfm rfm = rfmR == null ? Rfm.NONE : new Rfm(Integer.parseInt(rfmR), (int) parseLong(h.get(ProfileFields.RFM_F)),
        (int) parseLong(h.get(ProfileFields.RFM_M)));
    return new Profile(h.get(ProfileFields.ID), h.get(ProfileFields.EXTERNAL_USER_ID), h.get(ProfileFields.UNION_ID),
        h.get(ProfileFields.NAME), parseInt(h.get(ProfileFields.GENDER)), h.get(ProfileFields.OWNER),
        h.get(ProfileFields.REMARK), h.get(ProfileFields.STATE), tags, answers,
        // no level field yet (no interaction so far): growth 0 is level 1, as LevelTable and the growth API say
        parseInt(h.get(ProfileFields.GROWTH)), h.get(ProfileFields.LEVEL) == null ? 1 : parseInt(h.get(ProfileFields.LEVEL)),
        parseInt(h.get(ProfileFields.POINTS)), counts, windows, orders, parseLong(h.get(ProfileFields.AMOUNT)) / 100.0,
        firstOrderAt, lastOrderAt, parseInt(h.get(ProfileFields.UGC)), parseInt(h.get(ProfileFields.UGC_ENGAGEMENT)),
        parseInt(h.get(ProfileFields.REFERRALS)), parseInt(h.get(ProfileFields.GROUPS)), firstSeen, lastAt,
        sinceFirst, silent, sinceOrder, h.containsKey(ProfileFields.UNFOLLOWED_AT), h.get(ProfileFields.STAGE),
        optLong(h.get(ProfileFields.STAGE_AT)), rfm, (int) parseLong(h.get(ProfileFields.VALUE)),
        "1".equals(h.get(ProfileFields.SUPER_USER)));
  }

  /** This profile with freshly computed scores (segments are evaluated against it). */
  public Profile withScores(Scores s) {
    return new Profile(id, externalUserId, unionId, name, gender, ownerUserId, remark, channel, tags, answers, growth,
        level, points, counts, windows, orders, spend, firstOrderAt, lastOrderAt, ugc, ugcEngagement, referrals, groups,
        firstSeen, lastAt, daysSinceFirstSeen, silentDays, daysSinceLastOrder, unfollowed, s.stage(), s.stageAt(),
        s.rfm(), s.value(), s.superUser());
  }

  private static int days(long epochMillis, LocalDate today, ZoneId zone) {
    return (int) Math.max(0, ChronoUnit.DAYS.between(LocalDate.ofInstant(Instant.ofEpochMilli(epochMillis), zone), today));
  }

  private static long parseLong(String s) {
    if (s == null || s.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      // a counter written as a float by INCRBYFLOAT would still be a number
      return (long) Double.parseDouble(s);
    }
  }

  /** Counters as ints: comparisons with int literals then compile to bytecode (long vs int does not). */
  private static int parseInt(String s) {
    long v = parseLong(s);
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  private static Long optLong(String s) {
    return s == null || s.isEmpty() ? null : parseLong(s);
  }
}

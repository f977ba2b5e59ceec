package io.siyu.growth;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Growth value (成长值): what each interaction kind is worth, the daily caps, the level table, rolling
 * windows, idempotency retention, the domain event stream and the signed order webhook.
 *
 * <p>Built-in kinds (follow, questionnaire, group_joined, group_left, chat, menu_click,
 * template_card_click, draw, order, ugc, referral, checkin) are always present with the defaults of
 * {@link #BUILT_IN}; a kind configured under {@code kinds} replaces the built-in entry of that name as a
 * whole, and new names add operator-defined kinds.
 *
 * <p>Levels: either an explicit {@code thresholds} list (strictly increasing, first 0) or the recipe:
 * level 1 starts at 0; going from level k-1 to k (k = 2..count) takes {@code horizon × w_k / Σw} days at
 * the global daily cap, with {@code w_k = ratio^(k-2)} (exponential), {@code (k-1)^exponent} (power) or
 * {@code F(k-1)}, F = 1, 1, 2, 3, 5, … (fibonacci); {@code threshold(k) = round(daily-cap × cumulative
 * days up to k)}.
 *
 * <pre>
 * siyu:
 *   growth:
 *     daily-cap: 100                 # growth per person per local day (siyu.zone), all kinds together
 *     dedupe-retention: 35d          # how long an interaction key is remembered (per kind: retention)
 *     windows: [7d, 30d]             # rolling-window interaction counts kept on the profile
 *     kinds:
 *       chat: { growth: 1, daily-cap: 10 }
 *       order: { growth: 0, per-yuan: 1, retention: 400d }
 *       draw: { growth: 0, activity: false }
 *     levels:
 *       horizon: 1095d               # or: thresholds: [0, 100, 300, ...]
 *       count: 10
 *       curve: exponential           # exponential | power | fibonacci
 *       ratio: 1.5
 *     events:
 *       max-length: 1000000
 *     orders:
 *       secret: ${SIYU_ORDERS_SECRET:}
 *     checkin-keywords: [签到]        # a customer-service text equal to one of these is the day's check-in
 *     referral-state-prefix: ref-     # add-event State "ref-<person id>": a referral for that person
 * </pre>
 *
 * <p>Template cards about a person carry a TaskId built by {@link CardTasks}: a member's click on such a
 * card is a {@code template_card_click} of that person.
 */
@Validated
@ConfigurationProperties("siyu.growth")
public record GrowthProperties(
    @DefaultValue("100") @Min(1) @Max(1_000_000) long dailyCap,
    @DefaultValue("35d") @NotNull Duration dedupeRetention,
    @DefaultValue({"7d", "30d"}) @NotNull List<@NotNull Duration> windows,
    @DefaultValue Map<@Pattern(regexp = KIND, message = KIND_MESSAGE) String, @Valid @NotNull Kind> kinds,
    @DefaultValue @Valid @NotNull Levels levels,
    @DefaultValue @Valid @NotNull EventsConfig events,
    @DefaultValue @Valid @NotNull Orders orders,
    @DefaultValue("签到") List<@NotBlank @Size(max = 64) String> checkinKeywords,
    @DefaultValue("ref-") @NotBlank @Size(max = 32) String referralStatePrefix) {

  static final String KIND = "^[a-z][a-z0-9_]*$";
  static final String KIND_MESSAGE = "kind names are a-z, 0-9 and _, starting with a letter";

  /** The kinds every installation has; configuration may change their numbers. */
  public static final Map<String, Kind> BUILT_IN;

  static {
    Map<String, Kind> m = new LinkedHashMap<>();
    m.put("follow", new Kind(10, null, null, true, 0, null));
    m.put("questionnaire", new Kind(20, null, null, true, 0, null));
    m.put("group_joined", new Kind(20, null, null, true, 0, null));
    m.put("group_left", new Kind(0, null, null, false, 0, null));
    m.put("chat", new Kind(1, null, 10L, true, 0, null));
    m.put("menu_click", new Kind(1, null, 5L, true, 0, null));
    m.put("template_card_click", new Kind(2, null, 10L, true, 0, null));
    m.put("draw", new Kind(0, null, null, false, 0, null));
    m.put("order", new Kind(0, 1.0, null, true, 0, Duration.ofDays(400)));
    m.put("ugc", new Kind(10, null, 30L, true, 0, null));
    m.put("referral", new Kind(30, null, 60L, true, 0, Duration.ofDays(400)));
    m.put("checkin", new Kind(2, null, 2L, true, 0, null));
    BUILT_IN = Map.copyOf(m);
  }

  /** Without the interaction-source settings (their defaults apply). */
  public GrowthProperties(long dailyCap, Duration dedupeRetention, List<Duration> windows, Map<String, Kind> kinds,
                          Levels levels, EventsConfig events, Orders orders) {
    this(dailyCap, dedupeRetention, windows, kinds, levels, events, orders, null, null);
  }

  @ConstructorBinding
  public GrowthProperties {
    checkinKeywords = checkinKeywords == null ? List.of("签到") : List.copyOf(checkinKeywords);
    referralStatePrefix = referralStatePrefix == null ? "ref-" : referralStatePrefix;
    Map<String, Kind> all = new LinkedHashMap<>();
    for (String name : List.of("follow", "questionnaire", "group_joined", "group_left", "chat", "menu_click",
        "template_card_click", "draw", "order", "ugc", "referral", "checkin")) {
      all.put(name, BUILT_IN.get(name));
    }
    if (kinds != null) {
      all.putAll(kinds);
    }
    kinds = java.util.Collections.unmodifiableMap(all);
    windows = windows == null ? List.of() : List.copyOf(windows);
  }

  /** The kind's settings, or null when no such kind is configured. */
  public Kind kind(String name) {
    return kinds.get(name);
  }

  /** How long the idempotency key of an interaction of this kind is remembered. */
  public Duration retention(Kind kind) {
    return kind.retention() != null ? kind.retention() : dedupeRetention;
  }

  /** The window lengths in days. */
  public List<Integer> windowDays() {
    return windows.stream().map(d -> (int) d.toDays()).toList();
  }

  @AssertTrue(message = "siyu.growth.windows must be whole days between 1d and 3650d, without repeats")
  boolean isWindowsWholeDays() {
    return windows.stream().allMatch(d -> d != null && d.toDays() >= 1 && d.toDays() <= 3650
        && d.equals(Duration.ofDays(d.toDays()))) && windows.stream().distinct().count() == windows.size();
  }

  @AssertTrue(message = "siyu.growth.dedupe-retention and each kind's retention must be at least 1 minute")
  boolean isRetentionPositive() {
    return dedupeRetention != null && dedupeRetention.toMinutes() >= 1
        && kinds.values().stream().allMatch(k -> k == null || k.retention() == null || k.retention().toMinutes() >= 1);
  }

  @AssertTrue(message = "siyu.growth.levels.thresholds must be strictly increasing and start at 0 "
      + "(explicit list, or the list the recipe siyu.growth.levels.horizon/count/curve computes with siyu.growth.daily-cap)")
  boolean isLevelThresholdsStrictlyIncreasing() {
    try {
      LevelTable.of(this);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * One interaction kind.
   *
   * @param growth    growth value per interaction, before caps
   * @param perYuan   extra growth per yuan of the {@code amount} attribute (fen / 100), floored; for orders
   * @param dailyCap  growth of this kind per person per local day; null = only the global cap
   * @param activity  whether it counts as activity (lastAt, rolling windows); false for draws, group_left
   * @param points    points the points feature awards per interaction (kept here, applied there)
   * @param retention how long its idempotency key is remembered; null = dedupe-retention
   */
  public record Kind(
      @DefaultValue("0") @Min(0) @Max(1_000_000) long growth,
      @DecimalMin("0") Double perYuan,
      @Min(0) Long dailyCap,
      @DefaultValue("true") boolean activity,
      @DefaultValue("0") @Min(0) @Max(1_000_000) long points,
      Duration retention) {}

  public enum Curve { EXPONENTIAL, POWER, FIBONACCI }

  /** The level table: explicit thresholds, or the recipe. */
  public record Levels(
      List<@NotNull @Min(0) Long> thresholds,
      @DefaultValue("1095d") @NotNull Duration horizon,
      @DefaultValue("10") @Min(2) @Max(100) int count,
      @DefaultValue("exponential") @NotNull Curve curve,
      @DefaultValue("1.5") @DecimalMin(value = "1.0", inclusive = false) double ratio,
      @DefaultValue("2") @DecimalMin(value = "0", inclusive = false) double exponent) {

    public Levels {
      thresholds = thresholds == null || thresholds.isEmpty() ? null : List.copyOf(thresholds);
    }
  }

  /** The domain event stream. */
  public record EventsConfig(@DefaultValue("1000000") @Min(1000) long maxLength) {}

  /**
   * The signed order webhook {@code POST /api/v1/orders}.
   *
   * @param secret shared HMAC-SHA256 secret; blank is allowed only in sandbox mode (a fixed dev secret)
   */
  public record Orders(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("") String secret,
      @DefaultValue("300s") @NotNull Duration timestampWindow,
      @DefaultValue("65536") @Min(1024) @Max(10_485_760) int maxBodySize) {}

  @AssertTrue(message = "siyu.growth.kinds must be non-empty")
  boolean isKindsNonEmpty() {
    return !kinds.isEmpty();
  }
}

package io.siyu.campaign;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Campaign defaults, placeholder fallbacks and reusable rule tables.
 *
 * <pre>
 * siyu:
 *   campaign:
 *     default-channels: [kf, staff]    # when a definition names none; kf | staff | staff-notice
 *     default-per-person: 1            # caps.perPerson when a definition names none
 *     preview-sample-max: 50           # ?sample=N upper bound
 *     preview-count-limit: 200000      # members scanned for an exact audience size; beyond: an estimate
 *     expiring-within: 30d             # {expiringPoints}/{expiringDate}: points expiring within this
 *     date-format: "M月d日"             # {expiringDate}, in siyu.zone
 *     kf-account: ""                   # open_kfid campaigns use for the kf channel ("" = kf never used)
 *     fallbacks: {name: 亲爱的顾客, owner: 您的专属顾问, stage: 会员, expiringPoints: "0", expiringDate: 近期}
 *     stage-names: {intro: 新朋友, growth: 成长会员, mature: 资深会员, dormant: 老朋友, churned: 老朋友}
 *     tables:
 *       recommendation:
 *         rules:
 *           - {when-tags: ["skin:oily"], text: 控油系列}
 *         fallback: 明星单品
 *     planner:
 *       enabled: true                  # the scheduler tick on this instance (tests drive tick() instead)
 *       interval: 5s                   # how often the tick looks for due campaigns and unfinished runs
 *       page-size: 1000                # SSCAN COUNT per page; the cursor is saved after each page
 *       batch: 125                     # persons planned together (pipelined reads, one enqueue script)
 *       concurrency: 4                 # batches of a page in flight at once
 *       runs: 4                        # runs one instance plans at once
 *       lease: 60s                     # a run's planner lease (renewed per page); a crashed planner's run resumes after it
 *       cap-retention: 400d            # how long a person's per-campaign cap slots are kept
 *     triggers:
 *       enabled: true                  # the event consumer and fire loop on this instance (tests drive them)
 *       batch: 100                     # events per XREADGROUP, due fires per claim round
 *       poll-interval: 1s              # how often events are read and due fires handled
 *       consumer: ""                   # this instance's consumer name in group campaign-triggers ("" = random)
 *       lease: 60s                     # a claimed fire comes back after this if its handler died
 *       paused-recheck: 1m             # a paused campaign's due fire is looked at again after this
 *       claim-interval: 1m             # how often events a dead consumer left unacknowledged are claimed
 *       claim-idle: 5m                 # an event pending this long with another consumer is claimed (XAUTOCLAIM)
 *       consumer-retention: 1d         # consumers idle this long with nothing pending are deleted
 *     feedback:
 *       reply-kinds: [chat]            # interaction kinds that count as a reply to a campaign message
 *       segments: []                   # at most 20 segments broken down by (membership at plan time)
 *       default-window: 7d             # reply/conversion window when the goal names no conversion window
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.campaign")
public record CampaignProperties(
    @DefaultValue({"kf", "staff"}) @NotEmpty List<@NotBlank String> defaultChannels,
    @DefaultValue("1") @Min(1) @Max(100) int defaultPerPerson,
    @DefaultValue("50") @Min(1) @Max(1000) int previewSampleMax,
    @DefaultValue("200000") @Min(1) long previewCountLimit,
    @DefaultValue("30d") @NotNull Duration expiringWithin,
    @DefaultValue("M月d日") @NotBlank String dateFormat,
    @DefaultValue("") String kfAccount,
    @DefaultValue Map<String, String> fallbacks,
    @DefaultValue Map<String, String> stageNames,
    @DefaultValue Map<String, @Valid @NotNull Table> tables,
    @DefaultValue @Valid @NotNull Planner planner,
    @DefaultValue @Valid @NotNull Triggers triggers,
    @DefaultValue @Valid @NotNull Feedback feedback) {

  public CampaignProperties {
    fallbacks = fallbacks == null ? Map.of() : Map.copyOf(fallbacks);
    stageNames = stageNames == null ? Map.of() : Map.copyOf(stageNames);
    tables = tables == null ? Map.of() : Map.copyOf(tables);
    for (String c : defaultChannels == null ? List.<String>of() : defaultChannels) {
      if (!CampaignValidator.CHANNELS.contains(c)) {
        throw new IllegalArgumentException("siyu.campaign.default-channels: '" + c + "' is not one of "
            + CampaignValidator.CHANNELS);
      }
    }
    for (String f : fallbacks.keySet()) {
      if (!Template.FIELDS.contains(f)) {
        throw new IllegalArgumentException("siyu.campaign.fallbacks: '" + f + "' is not a placeholder; one of "
            + Template.FIELDS);
      }
    }
    try {
      DateTimeFormatter.ofPattern(dateFormat);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("siyu.campaign.date-format: '" + dateFormat + "' is not a date pattern", e);
    }
    tables.forEach((name, t) -> {
      List<CampaignValidator.FieldError> errors = new java.util.ArrayList<>();
      CampaignValidator.checkRules("siyu.campaign.tables." + name, t.rules(), errors);
      if (!errors.isEmpty()) {
        throw new IllegalArgumentException(errors.get(0).field() + ": " + errors.get(0).message());
      }
    });
  }

  boolean kfEnabled() {
    return kfAccount != null && !kfAccount.isBlank();
  }

  /** The run scheduler and planner ({@code siyu.campaign.planner}). */
  public record Planner(@DefaultValue("true") boolean enabled, @DefaultValue("5s") @NotNull Duration interval,
                        @DefaultValue("1000") @Min(1) @Max(10000) int pageSize,
                        @DefaultValue("125") @Min(1) @Max(1000) int batch,
                        @DefaultValue("4") @Min(1) @Max(64) int concurrency,
                        @DefaultValue("4") @Min(1) @Max(64) int runs,
                        @DefaultValue("60s") @NotNull Duration lease,
                        @DefaultValue("400d") @NotNull Duration capRetention) {
    public Planner {
      if (interval != null && (interval.isNegative() || interval.isZero())) {
        throw new IllegalArgumentException("siyu.campaign.planner.interval must be positive");
      }
      if (lease != null && lease.compareTo(Duration.ofSeconds(5)) < 0) {
        throw new IllegalArgumentException("siyu.campaign.planner.lease must be at least 5s");
      }
    }
  }

  /** Triggered campaigns: the event consumer and the fire loop ({@code siyu.campaign.triggers}). */
  public record Triggers(@DefaultValue("true") boolean enabled, @DefaultValue("100") @Min(1) @Max(10000) int batch,
                         @DefaultValue("1s") @NotNull Duration pollInterval, @DefaultValue("") String consumer,
                         @DefaultValue("60s") @NotNull Duration lease,
                         @DefaultValue("1m") @NotNull Duration pausedRecheck,
                         @DefaultValue("1m") @NotNull Duration claimInterval,
                         @DefaultValue("5m") @NotNull Duration claimIdle,
                         @DefaultValue("1d") @NotNull Duration consumerRetention) {
    public Triggers {
      positive("claim-interval", claimInterval);
      positive("claim-idle", claimIdle);
      positive("consumer-retention", consumerRetention);
      if (pollInterval != null && (pollInterval.isNegative() || pollInterval.isZero())) {
        throw new IllegalArgumentException("siyu.campaign.triggers.poll-interval must be positive");
      }
      if (lease != null && lease.compareTo(Duration.ofSeconds(5)) < 0) {
        throw new IllegalArgumentException("siyu.campaign.triggers.lease must be at least 5s");
      }
    }
  }

  private static void positive(String key, Duration d) {
    if (d != null && (d.isNegative() || d.isZero())) {
      throw new IllegalArgumentException("siyu.campaign.triggers." + key + " must be positive");
    }
  }

  /** Per-run feedback ({@code siyu.campaign.feedback}). */
  public record Feedback(@DefaultValue("chat") @NotNull List<@NotBlank String> replyKinds,
                         @DefaultValue @NotNull @jakarta.validation.constraints.Size(max = 20) List<@NotBlank String> segments,
                         @DefaultValue("7d") @NotNull Duration defaultWindow) {
    public Feedback {
      replyKinds = replyKinds == null ? List.of() : List.copyOf(replyKinds);
      segments = segments == null ? List.of() : List.copyOf(segments);
      for (String s : segments) {
        if (s != null && !s.matches("[A-Za-z0-9_.:-]+")) {
          throw new IllegalArgumentException("siyu.campaign.feedback.segments: '" + s
              + "' is not a segment name (letters, digits, _ . : -)");
        }
      }
      if (defaultWindow != null && (defaultWindow.isNegative() || defaultWindow.isZero())) {
        throw new IllegalArgumentException("siyu.campaign.feedback.default-window must be positive");
      }
    }
  }

  /** A reusable rule table (same shape as a campaign's inline block). */
  public record Table(@DefaultValue List<Campaign.Rule> rules, @DefaultValue("") String fallback) {
    public Table {
      rules = rules == null ? List.of() : List.copyOf(rules);
    }
  }
}

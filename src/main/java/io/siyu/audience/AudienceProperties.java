package io.siyu.audience;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Profiles, scores and segments. Every expression (lifecycle rules, segments) is validated at start-up;
 * an invalid one stops the application naming its key and the position of the error.
 *
 * <pre>
 * siyu:
 *   audience:
 *     evaluator:
 *       enabled: true                    # incremental re-evaluation of changed persons
 *       batch: 500
 *       concurrency: 16
 *       poll-interval: 200ms
 *     sweep:
 *       enabled: true                    # periodic full pass: time-based stages, quantiles, segment sets
 *       interval: 1h
 *       lease: 10m                       # one instance at a time; renewed while running
 *       fetch-batch: 1000
 *     lifecycle:                         # first match wins; the last rule should be 'true'
 *       - { stage: churned, when: "unfollowed or silentDays >= 90" }
 *       - { stage: dormant, when: "silentDays >= 30" }
 *       - { stage: mature,  when: "orders >= 2 or level >= 4" }
 *       - { stage: growth,  when: "daysSinceFirstSeen >= 7 or orders >= 1 or growth >= 50" }
 *       - { stage: intro,   when: "true" }
 *     rfm:
 *       mode: thresholds                 # thresholds | quantiles (cut points from the sweep)
 *       recency-days: [7, 30, 90, 180]   # R: 5 when days since last order <= 7, 4 when <= 30, ... 1 above 180
 *       frequency: [2, 3, 5, 10]         # F: 1 + number of cut points the orders count reaches
 *       monetary: [100, 500, 2000, 5000] # M: same on spend, yuan
 *     value:
 *       weights: { consumption: 40, interaction: 30, content: 15, social: 15 }
 *       full: { consumption: 5000, interaction: 60, content: 20, social: 10 }  # = 100 points of each part
 *       ugc-engagement-factor: 0.1       # content = ugc + factor × engagement
 *       super-top-percent: 5
 *     segments:
 *       - name: oily-growth
 *         expression: "stage == 'growth' and tags.contains('skin:oily')"
 *         description: 油性肌成长期
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.audience")
public record AudienceProperties(
    @Valid @DefaultValue Evaluator evaluator,
    @Valid @DefaultValue Sweep sweep,
    List<@Valid @NotNull StageRule> lifecycle,
    @Valid @DefaultValue Rfm rfm,
    @Valid @DefaultValue Value value,
    List<@Valid @NotNull SegmentDefinition> segments) {

  public static final Set<String> STAGES = Set.of("intro", "growth", "mature", "dormant", "churned");
  /** Lower-case names; "rebuild" and "preview" would shadow the endpoints of the same name. */
  static final String SEGMENT_NAME = "^(?!(rebuild|preview)$)[a-z0-9][a-z0-9_-]{0,63}$";

  public static final List<StageRule> DEFAULT_LIFECYCLE = List.of(
      new StageRule("churned", "unfollowed or silentDays >= 90"),
      new StageRule("dormant", "silentDays >= 30"),
      new StageRule("mature", "orders >= 2 or level >= 4"),
      new StageRule("growth", "daysSinceFirstSeen >= 7 or orders >= 1 or growth >= 50"),
      new StageRule("intro", "true"));

  public AudienceProperties {
    lifecycle = lifecycle == null || lifecycle.isEmpty() ? DEFAULT_LIFECYCLE : List.copyOf(lifecycle);
    segments = segments == null ? List.of() : List.copyOf(segments);
    for (int i = 0; i < lifecycle.size(); i++) {
      StageRule r = lifecycle.get(i);
      if (r.stage() != null && !STAGES.contains(r.stage())) {
        throw new IllegalArgumentException("siyu.audience.lifecycle[" + i + "].stage: '" + r.stage()
            + "' is not one of " + STAGES.stream().sorted().toList());
      }
      validate("siyu.audience.lifecycle[" + i + "].when", r.when());
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < segments.size(); i++) {
      SegmentDefinition s = segments.get(i);
      if (s.name() != null && !names.add(s.name())) {
        throw new IllegalArgumentException("siyu.audience.segments[" + i + "].name: duplicate segment '" + s.name() + "'");
      }
      validate("siyu.audience.segments[" + i + "].expression", s.expression());
    }
  }

  private static void validate(String key, String expression) {
    if (expression == null) {
      return; // @NotBlank reports it with the key
    }
    try {
      Expressions.parse(expression);
    } catch (InvalidExpressionException e) {
      throw new IllegalArgumentException(key + ": invalid expression at position " + e.position() + ": " + e.reason());
    }
  }

  public record Evaluator(@DefaultValue("true") boolean enabled, @DefaultValue("500") @Min(1) @Max(10_000) int batch,
                          @DefaultValue("16") @Min(1) @Max(256) int concurrency,
                          @DefaultValue("200ms") @NotNull Duration pollInterval) {}

  public record Sweep(@DefaultValue("true") boolean enabled, @DefaultValue("1h") @NotNull Duration interval,
                      @DefaultValue("10m") @NotNull Duration lease,
                      @DefaultValue("1000") @Min(10) @Max(10_000) int fetchBatch) {}

  public record StageRule(@NotBlank String stage, @NotBlank String when) {}

  public enum RfmMode { THRESHOLDS, QUANTILES }

  public record Rfm(@DefaultValue("thresholds") @NotNull RfmMode mode,
                    @DefaultValue({"7", "30", "90", "180"}) List<@NotNull Double> recencyDays,
                    @DefaultValue({"2", "3", "5", "10"}) List<@NotNull Double> frequency,
                    @DefaultValue({"100", "500", "2000", "5000"}) List<@NotNull Double> monetary) {
    public Rfm {
      ascending("recency-days", recencyDays);
      ascending("frequency", frequency);
      ascending("monetary", monetary);
    }

    private static void ascending(String key, List<Double> cuts) {
      if (cuts == null || cuts.size() != 4) {
        throw new IllegalArgumentException("siyu.audience.rfm." + key + ": exactly four cut points are required");
      }
      for (int i = 1; i < 4; i++) {
        if (cuts.get(i) < cuts.get(i - 1)) {
          throw new IllegalArgumentException("siyu.audience.rfm." + key + ": cut points must be ascending");
        }
      }
    }
  }

  public record Parts(@DefaultValue("0") @DecimalMin("0") double consumption, @DefaultValue("0") @DecimalMin("0") double interaction,
                      @DefaultValue("0") @DecimalMin("0") double content, @DefaultValue("0") @DecimalMin("0") double social) {}

  public record Value(@DefaultValue Parts weights, @DefaultValue Parts full,
                      @DefaultValue("0.1") @DecimalMin("0") double ugcEngagementFactor,
                      @DefaultValue("5") @DecimalMin("0.01") @DecimalMax("100") double superTopPercent) {
    public Value {
      if (weights == null || weights.consumption() + weights.interaction() + weights.content() + weights.social() == 0) {
        weights = new Parts(40, 30, 15, 15);
      }
      if (full == null || full.consumption() == 0 && full.interaction() == 0 && full.content() == 0 && full.social() == 0) {
        full = new Parts(5000, 60, 20, 10);
      }
    }
  }

  /** A named segment: a boolean expression over the {@link Profile}. */
  public record SegmentDefinition(@NotBlank @Pattern(regexp = SEGMENT_NAME) String name, @NotBlank String expression,
                                  String description) {}
}

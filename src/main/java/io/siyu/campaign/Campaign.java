package io.siyu.campaign;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stored campaign: its editable {@link Definition} plus identity, lifecycle state and audit fields.
 * {@code version} grows with every write; transitions compare it (one script) so racing operators get one
 * winner.
 *
 * @param nextRunAt when the planner should start the next run (once: the time; cron: the next fire time;
 *                  triggered and not scheduled campaigns: null)
 */
public record Campaign(String id, Definition definition, State state, String createdBy, String updatedBy,
                       Instant createdAt, Instant updatedAt, long version, Instant nextRunAt) {

  /** What an operator writes (POST/PUT body); everything else is the server's. */
  public record Definition(String name, Goal goal, Audience audience, Content content, List<String> channels,
                           Schedule schedule, Caps caps) {}

  /**
   * @param conversionKind   an interaction kind ({@code siyu.growth.kinds}) or {@code level_up}
   * @param conversionWindow how long after a message the goal event counts as its conversion
   */
  public record Goal(String text, String conversionKind, Duration conversionWindow) {}

  public record Audience(String segment, List<String> excludedSegments) {
    public Audience {
      excludedSegments = excludedSegments == null ? List.of() : List.copyOf(excludedSegments);
    }
  }

  /**
   * @param template Chinese text with placeholders (see docs/CAMPAIGNS.md)
   * @param blocks   named blocks referenced as {@code {block:<name>}}
   */
  public record Content(String template, Map<String, Block> blocks) {
    public Content {
      blocks = blocks == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(blocks));
    }
  }

  /**
   * A rule table: the first rule that matches gives the text, else {@code fallback}. {@code table} names a
   * reusable table from {@code siyu.campaign.tables} instead of inline {@code rules}/{@code fallback}.
   */
  public record Block(String table, List<Rule> rules, String fallback) {
    public Block {
      rules = rules == null ? List.of() : List.copyOf(rules);
    }
  }

  /**
   * Matches when every tag in {@code whenTags} is present AND {@code when} (a segment expression over the
   * profile) holds; an absent condition is no constraint, but a rule needs at least one.
   */
  public record Rule(List<String> whenTags, String when, String text) {
    public Rule {
      whenTags = whenTags == null ? List.of() : List.copyOf(whenTags);
    }
  }

  /** Per-person cap: messages from this campaign per person per run (once and cron) or in total (triggered). */
  public record Caps(Integer perPerson) {}

  /** When the campaign runs. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({@JsonSubTypes.Type(value = Once.class, name = "once"),
      @JsonSubTypes.Type(value = Recurring.class, name = "recurring"),
      @JsonSubTypes.Type(value = Triggered.class, name = "triggered")})
  public sealed interface Schedule permits Once, Recurring, Triggered {}

  public record Once(Instant at) implements Schedule {}

  /** Spring cron (6 fields, seconds first) in {@code zone} (null: {@code siyu.zone}). */
  public record Recurring(String cron, String zone) implements Schedule {}

  /**
   * Fires {@code delay} after an event, when {@code condition} (evaluated at fire time) holds.
   *
   * @param eventType {@code interaction} (with {@code kind}), {@code level_up} or {@code points_expiring}
   * @param condition a segment expression over the profile at fire time, or null (always)
   */
  public record Triggered(String eventType, String kind, Duration delay, String condition) implements Schedule {}

  /** The lifecycle; {@link #canMoveTo} is the whole transition table. */
  public enum State {
    DRAFT, SCHEDULED, RUNNING, PAUSED, COMPLETED, CANCELLED;

    @com.fasterxml.jackson.annotation.JsonValue
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static State of(String id) {
      return valueOf(id.toUpperCase(java.util.Locale.ROOT));
    }

    public boolean canMoveTo(State to) {
      return switch (this) {
        case DRAFT -> to == SCHEDULED;
        case SCHEDULED -> to == RUNNING || to == CANCELLED;
        case RUNNING -> to == PAUSED || to == COMPLETED || to == CANCELLED;
        case PAUSED -> to == RUNNING || to == CANCELLED;
        case COMPLETED, CANCELLED -> false;
      };
    }
  }

  Campaign with(Definition d, State s, String by, Instant at, Instant next) {
    return new Campaign(id, d, s, createdBy, by, createdAt, at, version + 1, next);
  }
}

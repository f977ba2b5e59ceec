package io.siyu.campaign;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.siyu.audience.Expressions;
import io.siyu.audience.InvalidExpressionException;
import io.siyu.audience.Segments;
import io.siyu.growth.GrowthProperties;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Checks a definition completely and reports every problem with the field it concerns (JSON-path-like
 * names such as {@code content.blocks.recommend.rules[0].when}), so an operator fixes all at once.
 */
@Component
class CampaignValidator {

  /** Campaign channels, in the vocabulary operators use; see {@link #OUTBOX_CHANNEL}. */
  static final Set<String> CHANNELS = Set.of("kf", "staff", "staff-notice");
  /** The outbox channel each campaign channel maps to (io.siyu.outbox.Channel ids). */
  static final Map<String, String> OUTBOX_CHANNEL = Map.of("kf", "kf", "staff", "template", "staff-notice", "staff");
  static final Set<String> EVENT_TYPES = Set.of("interaction", "level_up", "points_expiring");
  static final String LEVEL_UP = "level_up";
  static final int MAX_NAME = 100;
  static final Duration MAX_WINDOW = Duration.ofDays(365);
  private static final Pattern BLOCK_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");

  /** One problem; {@code position} is the 0-based offset inside a template or expression, when known. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record FieldError(String field, String message, Integer position) {
    FieldError(String field, String message) {
      this(field, message, null);
    }
  }

  private final Segments segments;
  private final GrowthProperties growth;
  private final CampaignProperties props;

  CampaignValidator(Segments segments, GrowthProperties growth, CampaignProperties props) {
    this.segments = segments;
    this.growth = growth;
    this.props = props;
  }

  /** The definition with server defaults filled in (channels, caps, empty lists). */
  Campaign.Definition withDefaults(Campaign.Definition d) {
    List<String> channels = d.channels() == null ? props.defaultChannels() : d.channels();
    Campaign.Caps caps = d.caps() == null || d.caps().perPerson() == null
        ? new Campaign.Caps(props.defaultPerPerson()) : d.caps();
    return new Campaign.Definition(d.name(), d.goal(), d.audience(), d.content(), channels, d.schedule(), caps);
  }

  /** Every problem of the definition (empty: valid). Segments are looked up; nothing is written. */
  Mono<List<FieldError>> validate(Campaign.Definition d) {
    List<FieldError> errors = new ArrayList<>();
    checkStatic(d, errors);
    List<String> names = new ArrayList<>();
    List<String> fields = new ArrayList<>();
    if (d.audience() != null) {
      if (d.audience().segment() != null && !d.audience().segment().isBlank()) {
        names.add(d.audience().segment());
        fields.add("audience.segment");
      }
      for (int i = 0; i < d.audience().excludedSegments().size(); i++) {
        String s = d.audience().excludedSegments().get(i);
        if (s != null && !s.isBlank()) {
          names.add(s);
          fields.add("audience.excludedSegments[" + i + "]");
        }
      }
    }
    return Flux.range(0, names.size())
        .concatMap(i -> segments.exists(names.get(i)).filter(exists -> !exists)
            .map(x -> new FieldError(fields.get(i), "segment '" + names.get(i) + "' does not exist")))
        .collectList()
        .map(missing -> {
          errors.addAll(missing);
          return errors;
        });
  }

  /** Problems that only matter when launching: a once time that is not in the future. */
  List<FieldError> checkLaunch(Campaign.Definition d, Instant now) {
    if (d.schedule() instanceof Campaign.Once o && o.at() != null && !o.at().isAfter(now)) {
      return List.of(new FieldError("schedule.at", "the time has passed; pick a future time"));
    }
    return List.of();
  }

  private void checkStatic(Campaign.Definition d, List<FieldError> errors) {
    if (d.name() == null || d.name().isBlank()) {
      errors.add(new FieldError("name", "a name is required"));
    } else if (d.name().length() > MAX_NAME) {
      errors.add(new FieldError("name", "at most " + MAX_NAME + " characters"));
    }
    checkGoal(d.goal(), errors);
    checkAudience(d.audience(), errors);
    checkContent(d.content(), errors);
    checkChannels(d.channels(), errors);
    checkSchedule(d.schedule(), errors);
    if (d.caps() == null || d.caps().perPerson() == null || d.caps().perPerson() < 1) {
      errors.add(new FieldError("caps.perPerson", "must be at least 1"));
    }
  }

  private void checkGoal(Campaign.Goal g, List<FieldError> errors) {
    if (g == null) {
      errors.add(new FieldError("goal", "a goal is required"));
      return;
    }
    if (g.text() == null || g.text().isBlank()) {
      errors.add(new FieldError("goal.text", "a goal text is required"));
    }
    if (g.conversionKind() == null || !(LEVEL_UP.equals(g.conversionKind())
        || growth.kinds().containsKey(g.conversionKind()))) {
      errors.add(new FieldError("goal.conversionKind", "'" + g.conversionKind()
          + "' is not an interaction kind (siyu.growth.kinds) nor level_up"));
    }
    if (g.conversionWindow() == null || g.conversionWindow().isNegative() || g.conversionWindow().isZero()
        || g.conversionWindow().compareTo(MAX_WINDOW) > 0) {
      errors.add(new FieldError("goal.conversionWindow", "must be positive and at most 365 days"));
    }
  }

  private static void checkAudience(Campaign.Audience a, List<FieldError> errors) {
    if (a == null || a.segment() == null || a.segment().isBlank()) {
      errors.add(new FieldError("audience.segment", "a segment is required"));
      return;
    }
    for (int i = 0; i < a.excludedSegments().size(); i++) {
      String s = a.excludedSegments().get(i);
      if (s == null || s.isBlank()) {
        errors.add(new FieldError("audience.excludedSegments[" + i + "]", "a segment name is required"));
      } else if (s.equals(a.segment())) {
        errors.add(new FieldError("audience.excludedSegments[" + i + "]", "excludes the whole audience"));
      }
    }
  }

  private void checkContent(Campaign.Content c, List<FieldError> errors) {
    if (c == null) {
      errors.add(new FieldError("content.template", "a template is required"));
      return;
    }
    Template t = template("content.template", c.template(), true, errors);
    if (t != null) {
      for (String b : t.blocks()) {
        if (!c.blocks().containsKey(b)) {
          errors.add(new FieldError("content.template", "{block:" + b + "} is not defined in content.blocks"));
        }
      }
    }
    c.blocks().forEach((name, b) -> {
      String f = "content.blocks." + name;
      if (!BLOCK_NAME.matcher(name).matches()) {
        errors.add(new FieldError(f, "a block name is a-z, 0-9, _ and - (at most 40)"));
      }
      if (b == null) {
        errors.add(new FieldError(f, "a block needs a table or rules"));
        return;
      }
      boolean table = b.table() != null && !b.table().isBlank();
      if (table) {
        if (!props.tables().containsKey(b.table())) {
          errors.add(new FieldError(f + ".table", "table '" + b.table() + "' is not configured (siyu.campaign.tables)"));
        }
        if (!b.rules().isEmpty() || (b.fallback() != null && !b.fallback().isBlank())) {
          errors.add(new FieldError(f, "a block uses a table or its own rules and fallback, not both"));
        }
        return;
      }
      if (b.rules().isEmpty() && (b.fallback() == null || b.fallback().isBlank())) {
        errors.add(new FieldError(f, "a block needs a table, rules or a fallback"));
      }
      checkRules(f, b.rules(), errors);
      if (b.fallback() != null && !b.fallback().isBlank()) {
        template(f + ".fallback", b.fallback(), false, errors);
      }
    });
  }

  /** Rule tables, inline or configured (the configuration reuses this at start-up). */
  static void checkRules(String field, List<Campaign.Rule> rules, List<FieldError> errors) {
    for (int i = 0; i < rules.size(); i++) {
      Campaign.Rule r = rules.get(i);
      String f = field + ".rules[" + i + "]";
      if (r == null) {
        errors.add(new FieldError(f, "a rule is required"));
        continue;
      }
      boolean hasWhen = r.when() != null && !r.when().isBlank();
      if (r.whenTags().isEmpty() && !hasWhen) {
        errors.add(new FieldError(f, "a rule needs whenTags or when"));
      }
      if (r.whenTags().stream().anyMatch(tag -> tag == null || tag.isBlank())) {
        errors.add(new FieldError(f + ".whenTags", "tags must not be blank"));
      }
      if (hasWhen) {
        expression(f + ".when", r.when(), errors);
      }
      template(f + ".text", r.text(), false, errors);
    }
  }

  private static void checkChannels(List<String> channels, List<FieldError> errors) {
    if (channels == null || channels.isEmpty()) {
      errors.add(new FieldError("channels", "at least one channel: " + CHANNELS));
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < channels.size(); i++) {
      String c = channels.get(i);
      if (!CHANNELS.contains(c)) {
        errors.add(new FieldError("channels[" + i + "]", "'" + c + "' is not one of " + new LinkedHashSet<>(
            List.of("kf", "staff", "staff-notice"))));
      } else if (!seen.add(c)) {
        errors.add(new FieldError("channels[" + i + "]", "'" + c + "' is listed twice"));
      }
    }
  }

  private void checkSchedule(Campaign.Schedule s, List<FieldError> errors) {
    if (s == null) {
      errors.add(new FieldError("schedule", "a schedule is required (type once, recurring or triggered)"));
    } else if (s instanceof Campaign.Once o) {
      if (o.at() == null) {
        errors.add(new FieldError("schedule.at", "a time is required"));
      }
    } else if (s instanceof Campaign.Recurring r) {
      try {
        CronExpression.parse(r.cron() == null ? "" : r.cron());
      } catch (IllegalArgumentException e) {
        errors.add(new FieldError("schedule.cron", "not a cron expression (6 fields, seconds first): "
            + e.getMessage()));
      }
      if (r.zone() != null && !r.zone().isBlank()) {
        try {
          ZoneId.of(r.zone());
        } catch (DateTimeException e) {
          errors.add(new FieldError("schedule.zone", "'" + r.zone() + "' is not a time zone id"));
        }
      }
    } else if (s instanceof Campaign.Triggered t) {
      if (!EVENT_TYPES.contains(t.eventType())) {
        errors.add(new FieldError("schedule.eventType", "'" + t.eventType() + "' is not one of " + EVENT_TYPES));
      } else if ("interaction".equals(t.eventType())
          && (t.kind() == null || !growth.kinds().containsKey(t.kind()))) {
        errors.add(new FieldError("schedule.kind", "'" + t.kind() + "' is not an interaction kind (siyu.growth.kinds)"));
      }
      if (t.delay() == null || t.delay().isNegative() || t.delay().compareTo(MAX_WINDOW) > 0) {
        errors.add(new FieldError("schedule.delay", "a delay from 0 to 365 days is required"));
      }
      if (t.condition() != null && !t.condition().isBlank()) {
        expression("schedule.condition", t.condition(), errors);
      }
    }
  }

  private static Template template(String field, String source, boolean allowBlocks, List<FieldError> errors) {
    try {
      return Template.parse(source, allowBlocks);
    } catch (Template.TemplateException e) {
      errors.add(new FieldError(field, e.getMessage(), e.position()));
      return null;
    }
  }

  private static void expression(String field, String source, List<FieldError> errors) {
    try {
      Expressions.parse(source);
    } catch (InvalidExpressionException e) {
      errors.add(new FieldError(field, e.getMessage(), e.position()));
    }
  }
}

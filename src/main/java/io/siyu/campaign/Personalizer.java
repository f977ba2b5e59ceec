package io.siyu.campaign;

import io.siyu.audience.Expressions;
import io.siyu.audience.Profile;
import io.siyu.growth.Points;
import io.siyu.infra.SiyuProperties;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Renders a campaign's content for one person. {@link #compile} parses once per campaign (the planner
 * renders millions of messages per definition); {@link Compiled#render} is pure, so a preview renders
 * exactly what a run sends for the same profile and points.
 */
@Component
public class Personalizer {

  private final CampaignProperties props;
  private final ZoneId zone;
  private final DateTimeFormatter dateFormat;

  Personalizer(CampaignProperties props, SiyuProperties siyu) {
    this.props = props;
    this.zone = siyu.zone();
    this.dateFormat = DateTimeFormatter.ofPattern(props.dateFormat());
  }

  private record CompiledRule(List<String> tags, Expressions.Condition when, Template text) {}

  private record CompiledBlock(List<CompiledRule> rules, Template fallback) {}

  /** A definition's content ready to render; thread-safe. */
  public final class Compiled {
    private final Template template;
    private final Map<String, CompiledBlock> blocks;

    private Compiled(Template template, Map<String, CompiledBlock> blocks) {
      this.template = template;
      this.blocks = blocks;
    }

    /** Whether rendering needs the person's expiring points (a points read the caller can skip otherwise). */
    public boolean needsExpiring() {
      return uses(template) || blocks.values().stream().anyMatch(b -> uses(b.fallback())
          || b.rules().stream().anyMatch(r -> uses(r.text())));
    }

    private static boolean uses(Template t) {
      return t != null && (t.uses("expiringPoints") || t.uses("expiringDate"));
    }

    /** The message text; {@code expiring} may be null when {@link #needsExpiring()} is false. */
    public String render(Profile p, Points.Expiring expiring) {
      Map<String, String> values = values(p, expiring);
      return template.render(values, props.fallbacks(), name -> block(blocks.get(name), p, values));
    }

    private String block(CompiledBlock b, Profile p, Map<String, String> values) {
      if (b == null) {
        return "";
      }
      for (CompiledRule r : b.rules()) {
        if (p.tags().containsAll(r.tags()) && (r.when() == null || r.when().test(p))) {
          return r.text().render(values, props.fallbacks(), n -> "");
        }
      }
      return b.fallback() == null ? "" : b.fallback().render(values, props.fallbacks(), n -> "");
    }
  }

  /** Compiles a definition that passed {@link CampaignValidator}; invalid content throws. */
  public Compiled compile(Campaign.Definition d) {
    Template t = Template.parse(d.content().template(), true);
    Map<String, CompiledBlock> blocks = new LinkedHashMap<>();
    d.content().blocks().forEach((name, b) -> {
      List<Campaign.Rule> rules = b.rules();
      String fallback = b.fallback();
      if (b.table() != null && !b.table().isBlank()) {
        CampaignProperties.Table table = props.tables().get(b.table());
        rules = table.rules();
        fallback = table.fallback();
      }
      List<CompiledRule> compiled = rules.stream().map(r -> new CompiledRule(r.whenTags(),
          r.when() == null || r.when().isBlank() ? null : Expressions.parse(r.when()),
          Template.parse(r.text(), false))).toList();
      blocks.put(name, new CompiledBlock(compiled,
          fallback == null || fallback.isBlank() ? null : Template.parse(fallback, false)));
    });
    return new Compiled(t, blocks);
  }

  /** Placeholder values; null = missing (the fallback applies). */
  Map<String, String> values(Profile p, Points.Expiring expiring) {
    Map<String, String> v = new HashMap<>();
    v.put("name", p.name());
    v.put("level", Integer.toString(p.level()));
    v.put("points", Integer.toString(p.points()));
    boolean expires = expiring != null && expiring.points() > 0 && expiring.earliest() != null;
    v.put("expiringPoints", expires ? Long.toString(expiring.points()) : null);
    v.put("expiringDate", expires ? dateFormat.format(expiring.earliest().atZone(zone)) : null);
    v.put("stage", p.stage() == null ? null : props.stageNames().getOrDefault(p.stage(), p.stage()));
    v.put("owner", p.ownerUserId());
    return v;
  }
}

package io.siyu.campaign;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Built-in campaigns: triggered campaigns defined in configuration (the journey's reminders), created once
 * across instances at start-up ({@link CampaignBuiltins}). A definition has the fields of the admin API's
 * create request; the schedule is always triggered. Each is checked by {@link CampaignValidator} at
 * start-up: a problem stops the server naming {@code siyu.campaign.builtins.campaigns.<id>.<field>}.
 *
 * <pre>
 * siyu:
 *   campaign:
 *     builtins:
 *       enabled: true
 *       campaigns:
 *         journey-questionnaire:
 *           name: 问卷提醒
 *           goal: {text: 完成问卷, conversion-kind: questionnaire, conversion-window: 7d}
 *           audience: {segment: followers}
 *           content: {template: "{name|亲爱的顾客}您好，花 1 分钟完成肌肤小问卷吧～"}
 *           schedule: {event-type: interaction, kind: follow, delay: 24h, condition: "counts['questionnaire'] == 0"}
 *           caps: {per-person: 1}
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.campaign.builtins")
public record BuiltinsProperties(@DefaultValue("true") boolean enabled, @DefaultValue Map<String, Builtin> campaigns) {

  public BuiltinsProperties {
    campaigns = campaigns == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(campaigns));
  }

  /** A campaign definition as in {@code POST /api/v1/campaigns}, with a triggered schedule. */
  public record Builtin(String name, Campaign.Goal goal, Campaign.Audience audience, Campaign.Content content,
                        List<String> channels, Trigger schedule, Campaign.Caps caps) {

    Campaign.Definition definition() {
      return new Campaign.Definition(name, goal, audience, content, channels,
          schedule == null ? null : new Campaign.Triggered(schedule.eventType(), schedule.kind(), schedule.delay(),
              schedule.condition()), caps);
    }
  }

  /** {@link Campaign.Triggered}'s fields. */
  public record Trigger(String eventType, String kind, Duration delay, String condition) {}
}

package io.siyu.journey;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The onboarding journey: its steps, their draws and messages, channel variants and which group chats
 * count. Growth value and points of a completed step come from the growth kinds ({@code siyu.growth.kinds}:
 * follow, questionnaire, group_joined, draw), the one source for them. Placeholders in messages: {@code {name} {prize} {questionnaireLink} {couponCode}}.
 *
 * <pre>
 * siyu:
 *   journey:
 *     contact-app: contact                 # WeCom app for externalcontact/get and groupchat/get
 *     no-prize-text: 一份神秘好礼          # {prize} when the draw gave nothing (out of stock, blacklisted)
 *     pending-add-ttl: 7d                 # how long an add_half_external_contact waits for confirmation
 *     reconcile-join-window: 5m           # groupchat/get members who joined this close to the event count
 *     steps:
 *       follow:
 *         enabled: true
 *         pool: follow                    # blind-box pool of the step's draw (siyu.blindbox.pools)
 *  *         message: "{name}，欢迎！你抽中了{prize}。填写问卷再抽一次：{questionnaireLink}"
 *       questionnaire: { enabled: true, pool: questionnaire, message: "感谢填写！你抽中了{prize}" }
 *       join-group:    { enabled: true, pool: join_group, message: "欢迎入群！你抽中了{prize}" }
 *     channels:                           # first matching State prefix wins
 *       - state-prefix: poster-
 *         welcome: "{name}，感谢扫码海报！你抽中了{prize}。{questionnaireLink}"
 *     groups:
 *       all: true                         # or false with chat-ids and/or owners
 *       chat-ids: []
 *       owners: []
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.journey")
public record JourneyProperties(
    @DefaultValue("contact") @NotBlank String contactApp,
    @DefaultValue("一份神秘好礼") @NotNull String noPrizeText,
    @DefaultValue("7d") @NotNull Duration pendingAddTtl,
    @DefaultValue("5m") @NotNull Duration reconcileJoinWindow,
    @Valid @DefaultValue Steps steps,
    @DefaultValue List<@Valid Channel> channels,
    @Valid @DefaultValue Groups groups) {

  static final Set<String> PLACEHOLDERS = Set.of("name", "prize", "questionnaireLink", "couponCode");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

  public JourneyProperties {
    channels = channels == null ? List.of() : List.copyOf(channels);
  }

  /** Each step falls back, key by key, to its documented default. */
  public record Steps(@Valid StepConfig follow, @Valid StepConfig questionnaire, @Valid StepConfig joinGroup) {

    static final StepConfig FOLLOW_DEFAULT = new StepConfig(true, "follow",
        "{name}，欢迎加入！送你一次盲盒抽奖：你抽中了{prize}。填写一份小问卷还能再抽一次：{questionnaireLink}");
    static final StepConfig QUESTIONNAIRE_DEFAULT = new StepConfig(true, "questionnaire",
        "感谢填写问卷！第二次盲盒抽中了{prize}。加入社群还能再抽一次哦。");
    static final StepConfig JOIN_GROUP_DEFAULT = new StepConfig(true, "join_group",
        "欢迎加入社群！第三次盲盒抽中了{prize}。");

    public Steps {
      follow = StepConfig.merge(follow, FOLLOW_DEFAULT);
      questionnaire = StepConfig.merge(questionnaire, QUESTIONNAIRE_DEFAULT);
      joinGroup = StepConfig.merge(joinGroup, JOIN_GROUP_DEFAULT);
    }

    public StepConfig of(Step step) {
      return switch (step) {
        case FOLLOW -> follow;
        case QUESTIONNAIRE -> questionnaire;
        case JOIN_GROUP -> joinGroup;
      };
    }
  }

  /**
   * @param pool    blind-box pool of the step's draw (required while the step is enabled)
   * @param message the chat message queued when the step completes
   */
  public record StepConfig(Boolean enabled, String pool, String message) {

    static StepConfig merge(StepConfig given, StepConfig dflt) {
      if (given == null) {
        return dflt;
      }
      return new StepConfig(given.enabled == null ? dflt.enabled : given.enabled,
          given.pool == null ? dflt.pool : given.pool,
          given.message == null ? dflt.message : given.message);
    }

    public boolean isEnabled() {
      return Boolean.TRUE.equals(enabled);
    }

    @AssertTrue(message = "pool must be set while the step is enabled")
    boolean isPoolSet() {
      return !isEnabled() || (pool != null && !pool.isBlank());
    }

    @AssertTrue(message = "message must not be blank")
    boolean isMessageSet() {
      return message != null && !message.isBlank();
    }

    @AssertTrue(message = "message uses an unknown placeholder; known: {name} {prize} {questionnaireLink} {couponCode}")
    boolean isMessageKnown() {
      return placeholdersKnown(message);
    }
  }

  /** Another welcome text for customers who came through a channel (the add event's State). */
  public record Channel(@NotBlank @Size(max = 30) String statePrefix, @NotBlank String welcome) {

    @AssertTrue(message = "welcome uses an unknown placeholder; known: {name} {prize} {questionnaireLink} {couponCode}")
    boolean isWelcomeKnown() {
      return placeholdersKnown(welcome);
    }
  }

  /** Which customer group chats count for the join_group step. */
  public record Groups(@DefaultValue("true") boolean all, @DefaultValue List<@NotBlank String> chatIds,
                       @DefaultValue List<@NotBlank String> owners) {

    public Groups {
      chatIds = chatIds == null ? List.of() : List.copyOf(chatIds);
      owners = owners == null ? List.of() : List.copyOf(owners);
    }

    @AssertTrue(message = "set all: true, or list chat-ids and/or owners")
    boolean isSomeChatSelected() {
      return all || !chatIds.isEmpty() || !owners.isEmpty();
    }
  }

  /** The welcome text for a customer who came through {@code state}. */
  String welcomeFor(String state) {
    if (state != null && !state.isEmpty()) {
      for (Channel c : channels) {
        if (state.startsWith(c.statePrefix())) {
          return c.welcome();
        }
      }
    }
    return steps.follow().message();
  }

  static boolean placeholdersKnown(String text) {
    if (text == null) {
      return true;
    }
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      if (!PLACEHOLDERS.contains(m.group(1))) {
        return false;
      }
    }
    return true;
  }
}

package io.siyu.journey;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The questionnaire (journey step {@code questionnaire}): its questions, the signed H5 link, the chat
 * flow in WeChat customer service and every customer-facing text. Checked at start-up; an error names
 * the key, e.g. {@code siyu.journey.questionnaire.questions[1].options: a single question needs options}.
 *
 * <pre>
 * siyu:
 *   journey:
 *     questionnaire:
 *       title: 肌肤小测试
 *       intro: 回答 3 个小问题，领取第二个盲盒
 *       link-ttl: 7d                          # links are &lt;siyu.links.base-url&gt;/q/&lt;signed token&gt;
 *       contact-app: contact                  # app that calls externalcontact/mark_tag
 *       kf-app: kf                            # app whose customer-service messages run the chat flow
 *       chat:
 *         keywords: [问卷]
 *         enter-session-scenes: [questionnaire]
 *       questions:
 *         - id: skin
 *           text: 你的肤质是？
 *           type: single                      # single | multi | text
 *           required: true
 *           options:
 *             - { id: oily, label: 油性, tag: "skin:oily" }
 *         - id: nickname
 *           text: 怎么称呼你？
 *           type: text
 *           max-length: 20
 *       tag-mapping:                          # option tag → WeCom tag id for mark_tag
 *         "[skin:oily]": etSkinOily
 *       texts: { thanks: "感谢填写！你获得了：{prize}" }
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.journey.questionnaire")
public record QuestionnaireProperties(
    @DefaultValue("问卷") @NotBlank String title,
    @DefaultValue("") String intro,
    @DefaultValue("7d") @NotNull Duration linkTtl,
    @DefaultValue("contact") @NotBlank String contactApp,
    @DefaultValue("kf") @NotBlank String kfApp,
    @Valid @DefaultValue Chat chat,
    @NotEmpty List<@Valid Question> questions,
    Map<String, String> tagMapping,
    @Valid @DefaultValue Texts texts) {

  private static final String KEY = "siyu.journey.questionnaire";
  /** Ids travel in form field names, menu ids ({@code q:<question>:<option>}) and Lua arguments. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  /** Options per question; the chat flow pages them in menus of at most 10 items (WeCom's limit). */
  static final int MAX_OPTIONS = 30;

  public enum Type { SINGLE, MULTI, TEXT }

  public QuestionnaireProperties {
    tagMapping = tagMapping == null ? Map.of() : Map.copyOf(tagMapping);
    questions = questions == null ? List.of() : List.copyOf(questions);
    check(questions, tagMapping, linkTtl);
  }

  /**
   * @param maxLength for text questions: the longest answer accepted (characters)
   */
  public record Question(@NotBlank String id, @NotBlank String text, @NotNull Type type,
                         @DefaultValue("false") boolean required, List<@Valid Option> options,
                         @DefaultValue("100") @Min(1) int maxLength) {
    public Question {
      options = options == null ? List.of() : List.copyOf(options);
    }

    Optional<Option> option(String optionId) {
      return options.stream().filter(o -> o.id().equals(optionId)).findFirst();
    }
  }

  /** @param tag the person's tag when chosen, e.g. {@code constellation:leo} (optional) */
  public record Option(@NotBlank String id, @NotBlank String label, String tag) {}

  /**
   * @param keywords           a customer text equal to one of these (trimmed) starts the chat flow
   * @param enterSessionScenes an {@code enter_session} event with one of these scenes starts it too
   */
  public record Chat(@DefaultValue("问卷") List<String> keywords, @DefaultValue("questionnaire") List<String> enterSessionScenes) {}

  /** Customer-facing texts; {@code {prize}} is replaced by the prize name, {@code {max}} by a length. */
  public record Texts(
      @DefaultValue("提交") @NotBlank String submit,
      @DefaultValue("感谢填写！你获得了：{prize}") @NotBlank String thanks,
      @DefaultValue("盲盒已抽完，感谢你的参与！") @NotBlank String noPrize,
      @DefaultValue("你已经填写过问卷啦，奖品：{prize}") @NotBlank String alreadyCompleted,
      @DefaultValue("已收到你的答案，奖品正在准备中，请稍后刷新本页。") @NotBlank String processing,
      @DefaultValue("链接已过期，请在聊天中回复“问卷”获取新的链接。") @NotBlank String expiredLink,
      @DefaultValue("链接无效，请使用我们发给你的完整链接。") @NotBlank String invalidLink,
      @DefaultValue("请检查标红的问题后再提交。") @NotBlank String formHasErrors,
      @DefaultValue("此题必答") @NotBlank String required,
      @DefaultValue("最多 {max} 个字") @NotBlank String tooLong,
      @DefaultValue("选项无效，请重新选择") @NotBlank String unknownOption,
      @DefaultValue("问卷内容已更新，请刷新页面后重新填写") @NotBlank String unknownQuestion,
      @DefaultValue("（点击选项作答）") @NotBlank String chatChoiceHint,
      @DefaultValue("（可多选，选好后点“完成”）") @NotBlank String chatMultiHint,
      @DefaultValue("（请直接回复文字）") @NotBlank String chatTextHint,
      @DefaultValue("完成") @NotBlank String chatDone,
      @DefaultValue("跳过") @NotBlank String chatSkip,
      @DefaultValue("更多选项 »") @NotBlank String chatMore,
      @DefaultValue("已选：") @NotBlank String chatSelected,
      @DefaultValue("你好，暂时没有找到你的信息，请先添加我们的企业微信，再来参与问卷哦。") @NotBlank String chatUnknownCustomer) {}

  Optional<Question> question(String id) {
    return questions.stream().filter(q -> q.id().equals(id)).findFirst();
  }

  /** The WeCom tag ids mapped from these person tags (unmapped tags are ours only). */
  List<String> wecomTagIds(Iterable<String> tags) {
    List<String> ids = new ArrayList<>();
    for (String tag : tags) {
      String id = tagMapping.get(tag);
      if (id != null && !ids.contains(id)) {
        ids.add(id);
      }
    }
    return ids;
  }

  private static void check(List<Question> questions, Map<String, String> tagMapping, Duration linkTtl) {
    if (linkTtl != null && (linkTtl.isNegative() || linkTtl.isZero())) {
      throw new IllegalArgumentException(KEY + ".link-ttl: must be positive");
    }
    Set<String> ids = new HashSet<>();
    Set<String> tags = new HashSet<>();
    for (int i = 0; i < questions.size(); i++) {
      Question q = questions.get(i);
      String key = KEY + ".questions[" + i + "]";
      if (q == null || q.id() == null || q.type() == null) {
        continue; // bean validation reports the missing values with their keys
      }
      if (!ID.matcher(q.id()).matches()) {
        throw new IllegalArgumentException(key + ".id: '" + q.id() + "' must be 1-32 of A-Z a-z 0-9 _ -");
      }
      if (!ids.add(q.id())) {
        throw new IllegalArgumentException(key + ".id: duplicate question id '" + q.id() + "'");
      }
      if (q.type() == Type.TEXT) {
        if (!q.options().isEmpty()) {
          throw new IllegalArgumentException(key + ".options: a text question has no options");
        }
        continue;
      }
      if (q.options().isEmpty()) {
        throw new IllegalArgumentException(key + ".options: a " + q.type().name().toLowerCase() + " question needs options");
      }
      if (q.options().size() > MAX_OPTIONS) {
        throw new IllegalArgumentException(key + ".options: at most " + MAX_OPTIONS + " options");
      }
      Set<String> optionIds = new HashSet<>();
      for (int j = 0; j < q.options().size(); j++) {
        Option o = q.options().get(j);
        String okey = key + ".options[" + j + "]";
        if (o == null || o.id() == null) {
          continue;
        }
        if (!ID.matcher(o.id()).matches() || o.id().startsWith("_")) {
          throw new IllegalArgumentException(okey + ".id: '" + o.id() + "' must be 1-32 of A-Z a-z 0-9 _ - not starting with _");
        }
        if (!optionIds.add(o.id())) {
          throw new IllegalArgumentException(okey + ".id: duplicate option id '" + o.id() + "' in question '" + q.id() + "'");
        }
        if (o.tag() != null) {
          if (o.tag().isBlank() || o.tag().chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(okey + ".tag: must be non-blank without spaces");
          }
          tags.add(o.tag());
        }
      }
    }
    for (var e : tagMapping.entrySet()) {
      if (!tags.contains(e.getKey())) {
        throw new IllegalArgumentException(KEY + ".tag-mapping[" + e.getKey() + "]: no option has this tag");
      }
      if (e.getValue() == null || e.getValue().isBlank()) {
        throw new IllegalArgumentException(KEY + ".tag-mapping[" + e.getKey() + "]: WeCom tag id is blank");
      }
    }
  }
}

package io.siyu.journey;

import static org.springframework.web.util.HtmlUtils.htmlEscape;

import io.siyu.journey.QuestionnaireProperties.Option;
import io.siyu.journey.QuestionnaireProperties.Question;
import java.util.List;
import java.util.Map;

/**
 * The questionnaire page as server-rendered HTML. Hand-built with {@code HtmlUtils.htmlEscape} on every
 * value rather than a template engine: two small pages do not justify a new dependency. Mobile first:
 * one column, 48 px touch targets, no script.
 */
final class QuestionnaireHtml {

  private static final String STYLE = """
      *{box-sizing:border-box}body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;\
      background:#f6f6f6;color:#222}main{max-width:640px;margin:0 auto;padding:16px}h1{font-size:22px;margin:8px 0 4px}\
      .intro{color:#666;margin:0 0 16px}fieldset{border:0;background:#fff;border-radius:12px;margin:0 0 12px;padding:12px 16px}\
      legend{font-weight:600;padding:0;float:left;width:100%;margin-bottom:8px}.req{color:#d33}\
      label.opt{display:flex;align-items:center;min-height:48px;padding:0 12px;margin:6px 0;border:1px solid #ddd;\
      border-radius:10px;clear:both}label.opt input{width:22px;height:22px;margin:0 12px 0 0}\
      input[type=text]{width:100%;min-height:48px;font-size:16px;padding:0 12px;border:1px solid #ddd;border-radius:10px;clear:both}\
      .err{color:#d33;font-size:14px;margin:6px 0 0;clear:both}fieldset.bad{outline:2px solid #f3b5b5}\
      .banner{background:#fdecec;color:#a11;padding:12px 16px;border-radius:12px;margin:0 0 12px}\
      button{width:100%;min-height:52px;font-size:18px;border:0;border-radius:12px;background:#07c160;color:#fff;margin:8px 0 24px}\
      .msg{background:#fff;border-radius:12px;padding:32px 16px;text-align:center;font-size:18px;margin-top:24px}""";

  private QuestionnaireHtml() {}

  /** The form, pre-filled with {@code values}, with {@code errors} by question id (see {@link QuestionnaireForm}). */
  static String form(QuestionnaireProperties props, String action, Map<String, List<String>> values,
                     Map<String, String> errors) {
    StringBuilder b = head(props.title());
    b.append("<h1>").append(htmlEscape(props.title())).append("</h1>");
    if (!props.intro().isBlank()) {
      b.append("<p class=\"intro\">").append(htmlEscape(props.intro())).append("</p>");
    }
    if (!errors.isEmpty()) {
      String banner = errors.getOrDefault(QuestionnaireForm.FORM, props.texts().formHasErrors());
      b.append("<div class=\"banner\" role=\"alert\">").append(htmlEscape(banner)).append("</div>");
    }
    b.append("<form method=\"post\" action=\"").append(htmlEscape(action))
        .append("\" accept-charset=\"UTF-8\">");
    int n = 0;
    for (Question q : props.questions()) {
      n++;
      List<String> chosen = values.getOrDefault(q.id(), List.of());
      String error = errors.get(q.id());
      String field = QuestionnaireForm.FIELD_PREFIX + q.id();
      b.append("<fieldset id=\"").append(htmlEscape(field)).append('"')
          .append(error == null ? "" : " class=\"bad\"").append("><legend>").append(n).append(". ")
          .append(htmlEscape(q.text()));
      if (q.required()) {
        b.append(" <span class=\"req\">*</span>");
      }
      b.append("</legend>");
      switch (q.type()) {
        case SINGLE, MULTI -> {
          String type = q.type() == QuestionnaireProperties.Type.SINGLE ? "radio" : "checkbox";
          for (Option o : q.options()) {
            b.append("<label class=\"opt\"><input type=\"").append(type).append("\" name=\"")
                .append(htmlEscape(field)).append("\" value=\"").append(htmlEscape(o.id())).append('"')
                .append(chosen.contains(o.id()) ? " checked" : "").append('>')
                .append(htmlEscape(o.label())).append("</label>");
          }
        }
        case TEXT -> b.append("<input type=\"text\" name=\"").append(htmlEscape(field)).append("\" maxlength=\"")
            .append(q.maxLength()).append("\" value=\"").append(htmlEscape(chosen.isEmpty() ? "" : chosen.get(0)))
            .append("\">");
      }
      if (error != null) {
        b.append("<p class=\"err\">").append(htmlEscape(error)).append("</p>");
      }
      b.append("</fieldset>");
    }
    b.append("<button type=\"submit\">").append(htmlEscape(props.texts().submit())).append("</button></form>");
    return tail(b);
  }

  /** A page with one message: thanks, already completed, expired or invalid link. */
  static String message(QuestionnaireProperties props, String text) {
    StringBuilder b = head(props.title());
    b.append("<h1>").append(htmlEscape(props.title())).append("</h1><p class=\"msg\">").append(htmlEscape(text))
        .append("</p>");
    return tail(b);
  }

  private static StringBuilder head(String title) {
    return new StringBuilder(4096).append("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<meta name=\"referrer\" content=\"no-referrer\">")
        .append("<title>").append(htmlEscape(title)).append("</title><style>").append(STYLE)
        .append("</style></head><body><main>");
  }

  private static String tail(StringBuilder b) {
    return b.append("</main></body></html>").toString();
  }
}

package io.siyu.wecom;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Callback fields WxJava 4.7.7 parses wrongly, read from its raw field map instead. */
public final class CallbackFields {

  private CallbackFields() {}

  /**
   * The external user ids of {@code <MemChangeList><Item>…</Item>…</MemChangeList>} in a
   * {@code change_external_chat} event. WxJava 4.7.7's {@code getMemChangeList()} returns ""
   * (wecom-reference §2); its field map holds {@code Item} → a list (one element or many), or an empty
   * string for an empty list.
   *
   * @param fields {@code WxCpXmlMessage.getAllFieldsMap()}
   */
  public static List<String> memChangeList(Map<String, Object> fields) {
    List<String> out = new ArrayList<>();
    Object list = fields == null ? null : fields.get("MemChangeList");
    if (list instanceof Map<?, ?> m) {
      Object items = m.get("Item");
      if (items instanceof List<?> l) {
        l.forEach(i -> addId(out, i));
      } else {
        addId(out, items);
      }
    }
    return out;
  }

  private static void addId(List<String> out, Object item) {
    if (item instanceof String s && !s.isBlank()) {
      out.add(s.trim());
    }
  }
}

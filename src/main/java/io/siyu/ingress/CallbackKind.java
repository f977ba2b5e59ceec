package io.siyu.ingress;

import java.util.List;
import java.util.Locale;

/** The inbox routing kind of a decrypted callback: {@code event:<Event>[:<ChangeType>]} or {@code msg:<MsgType>}. */
final class CallbackKind {

  private CallbackKind() {}

  /** The kind, or null when MsgType (or Event, for an event) is missing. */
  static String of(List<CallbackXml.Leaf> leaves) {
    String msgType = CallbackXml.topLevel(leaves, "MsgType");
    if (msgType == null || msgType.isBlank()) {
      return null;
    }
    msgType = msgType.trim().toLowerCase(Locale.ROOT);
    if (!msgType.equals("event")) {
      return "msg:" + msgType;
    }
    String event = CallbackXml.topLevel(leaves, "Event");
    if (event == null || event.isBlank()) {
      return null;
    }
    String kind = "event:" + event.trim().toLowerCase(Locale.ROOT);
    String changeType = CallbackXml.topLevel(leaves, "ChangeType");
    return changeType == null || changeType.isBlank() ? kind : kind + ":" + changeType.trim().toLowerCase(Locale.ROOT);
  }
}

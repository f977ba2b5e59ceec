package io.siyu.sandbox;

import java.util.List;

/** A customer group chat. Member {@code type}: 1 staff, 2 customer; {@code joinScene}: 1 invited directly, 2 link, 3 QR code. */
public record SandboxGroup(String chatId, String name, String owner, long createTime, List<Member> members) {

  public SandboxGroup {
    members = members == null ? List.of() : List.copyOf(members);
  }

  public record Member(String userId, int type, String unionid, long joinTime, int joinScene, String invitor,
      String state) {}
}

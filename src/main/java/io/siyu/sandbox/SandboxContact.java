package io.siyu.sandbox;

import java.util.List;

/**
 * A customer (external contact) in the sandbox corp and the staff members who have added them.
 * {@code gender}: 0 unknown, 1 male, 2 female, as WeCom.
 */
public record SandboxContact(String externalUserId, String name, String avatar, int gender, String unionid,
    List<Follow> follows) {

  public SandboxContact {
    follows = follows == null ? List.of() : List.copyOf(follows);
  }

  /** One staff member's relationship to the customer ({@code createtime} in epoch seconds). */
  public record Follow(String userId, String remark, List<String> tags, long createTime, String state) {
    public Follow {
      tags = tags == null ? List.of() : List.copyOf(tags);
    }
  }

  public boolean followedBy(String userId) {
    return follows.stream().anyMatch(f -> f.userId().equals(userId));
  }
}

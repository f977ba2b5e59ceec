package io.siyu.growth;

import java.util.regex.Pattern;

/**
 * The TaskId of a template card Siyu sends about a person: {@code siyu@<personId>@<anything>}. A member's
 * click on such a card is a {@code template_card_click} of that person (see
 * {@code TemplateCardClickHandler}); every feature that sends cards about a person (KOC cards…) builds
 * its TaskIds here.
 *
 * <p>'@' separates the parts because WeCom accepts only letters, digits and {@code _-@} in a task_id
 * (at most 128 bytes, unique per app), and person ids (unionid / external_userid) never contain '@'.
 * The dotted form {@code siyu.<personId>.<anything>} is also read, since it was the first draft of this
 * convention, but WeCom refuses it when sending.
 */
public final class CardTasks {

  public static final int MAX_LENGTH = 128;
  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9_\\-@]+");

  private CardTasks() {}

  /**
   * The TaskId of a card about {@code personId}; {@code suffix} tells the cards apart (letters, digits,
   * {@code _-@}). Throws IllegalArgumentException when the result is not a valid WeCom task_id.
   */
  public static String taskId(String personId, String suffix) {
    String id = "siyu@" + personId + "@" + suffix;
    if (personId == null || personId.isEmpty() || personId.indexOf('@') >= 0 || suffix == null || suffix.isEmpty()
        || id.length() > MAX_LENGTH || !ALLOWED.matcher(id).matches()) {
      throw new IllegalArgumentException("not a valid card task id for the person and suffix given (letters, digits, "
          + "_-@, at most " + MAX_LENGTH + " characters)");
    }
    return id;
  }

  /** The person a TaskId of Siyu's form is about, or null for any other TaskId. */
  public static String personOf(String taskId) {
    if (taskId == null || taskId.length() < 6 || !taskId.startsWith("siyu")) {
      return null;
    }
    char sep = taskId.charAt(4);
    if (sep != '@' && sep != '.') {
      return null;
    }
    int end = taskId.indexOf(sep, 5);
    if (end <= 5 || end == taskId.length() - 1) {
      return null;
    }
    return taskId.substring(5, end);
  }
}

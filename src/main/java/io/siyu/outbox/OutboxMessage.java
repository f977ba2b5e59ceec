package io.siyu.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One message to a customer (or a staff member), handed to the outbox, the only path by which Siyu
 * messages people. {@code key} is the idempotency key: the outbox never sends one key twice.
 *
 * @param key      natural idempotency key, e.g. {@code journey:<personId>:follow:welcome}
 * @param personId the customer's person id (null for a staff-only notice)
 * @param to       who receives it and through which relationship
 * @param content  what to send
 * @param priority higher first (0 default)
 * @param deadline after this the message is dropped as expired (null: no deadline)
 * @param source   what produced it (journey, campaign, koc, …) for status and metrics
 * @param channels the channels the worker may use, in the order it tries them (outbox channel ids: welcome, kf,
 *                 template, staff); null = all, in the default order. Each channel's own rules still apply.
 * @param feedback what to count the delivery outcomes under (a campaign run), or null: not counted
 */
public record OutboxMessage(String key, String personId, Recipient to, Content content, int priority, Instant deadline,
                            String source, List<String> channels, Feedback feedback) {

  public OutboxMessage {
    channels = channels == null ? null : List.copyOf(channels);
  }

  /** Without feedback counting. */
  public OutboxMessage(String key, String personId, Recipient to, Content content, int priority, Instant deadline,
                       String source, List<String> channels) {
    this(key, personId, to, content, priority, deadline, source, channels, null);
  }

  /** Every channel, in the default order. */
  public OutboxMessage(String key, String personId, Recipient to, Content content, int priority, Instant deadline,
                       String source) {
    this(key, personId, to, content, priority, deadline, source, null);
  }

  /**
   * @param externalUserId the customer's external_userid (null for a staff notice)
   * @param ownerUserId    the staff member who owns the relationship (sender of 1-on-1 tasks, to-do recipient)
   * @param welcomeCode    the add event's WelcomeCode, usable once within 20 s of {@code welcomeCodeAt}
   * @param openKfId       the customer-service account the customer talks to, when known
   */
  public record Recipient(String externalUserId, String ownerUserId, String welcomeCode, Instant welcomeCodeAt,
                          String openKfId) {}

  /** Text (with optional link attachments), or a customer-service menu (sent only through kf). */
  public record Content(String text, List<Link> links, Menu menu) {
    public static Content text(String text) {
      return new Content(text, List.of(), null);
    }
  }

  public record Link(String title, String url, String description, String picUrl) {}

  /** A kf {@code msgmenu}: head, up to 10 click items, tail. */
  public record Menu(String head, List<MenuItem> items, String tail) {}

  public record MenuItem(String id, String content) {}

  /**
   * Per-run feedback: the outbox counts this message's outcomes into the run's feedback hash and, once sent,
   * records a touch on the person so replies and conversions within {@code window} can be attributed.
   *
   * @param runId  the campaign run ({@code <campaignId>:<fire millis>} or {@code <campaignId>:triggered})
   * @param window how long after the send a reply or the goal event counts for the run
   * @param goal   the conversion event kind (an interaction kind or {@code level_up}); null: no conversions
   * @param labels breakdown labels ({@code stage:<stage>}, {@code s:<segment>}); no whitespace or commas
   */
  public record Feedback(String runId, Duration window, String goal, List<String> labels) {
    public Feedback {
      labels = labels == null ? List.of() : List.copyOf(labels);
    }
  }
}

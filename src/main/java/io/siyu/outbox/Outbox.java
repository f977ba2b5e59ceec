package io.siyu.outbox;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The delivery pipeline: the one path by which Siyu messages a customer or a staff member.
 *
 * <p>{@link #enqueue} records a message once per key (one script: the entry hash and its place in the
 * due set); {@link #enqueueAll} does so for many messages with the same script. {@link OutboxWorker}s on every instance claim due entries under a lease and deliver them
 * through the first channel that can take them (welcome code, kf session, add_msg_template, staff
 * to-do), honouring per-person caps, quiet hours, the shared WeCom rate limits and retries.
 *
 * <p>Status values: {@code queued} (waiting, possibly deferred or retried), {@code sending} (leased by a
 * worker), {@code sent}, {@code dead} (permanent error or no channel; reason in {@code lastError}),
 * {@code expired} (past its deadline).
 */
@Component
public class Outbox {

  private static final Logger log = LoggerFactory.getLogger(Outbox.class);
  static final int MAX_KEY_LENGTH = 200;
  static final int MAX_LINKS = 9;
  static final int MAX_MENU_ITEMS = 10;
  static final int MAX_FEEDBACK_LABELS = 21;
  static final List<String> STATUSES = List.of("queued", "sending", "sent", "dead", "expired");

  /** What {@link #enqueue} did: {@code first} false when the key was already known (nothing new queued). */
  public record Receipt(String key, boolean first, String status) {}

  /**
   * An entry's delivery state.
   *
   * @param status    queued | sending | sent | dead | expired
   * @param channel   the channel that sent it (welcome, kf, template, staff), or null
   * @param attempts  deliveries that reached WeCom
   * @param lastError the latest failure or deferral reason (errcodes, no personal data)
   * @param doneAt    when it became sent, dead or expired
   */
  public record Status(String key, String status, String channel, int attempts, String lastError, String source,
                       String personId, Instant createdAt, Instant updatedAt, Instant dueAt, Instant doneAt) {}

  /**
   * Counts: {@code byStatus} for queued and sending are current; sent, dead and expired count entries that
   * ever ended so (also after their retention); {@code sentByChannel} likewise.
   */
  public record Stats(Map<String, Long> byStatus, Map<String, Long> sentByChannel, long due, long inFlight,
                      long redelivered) {}

  private final OutboxStore store;
  private final Clock clock;

  Outbox(OutboxStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Queues {@code message} unless its key is known. Invalid input fails with {@link IllegalArgumentException}
   * (nothing written).
   */
  public Mono<Receipt> enqueue(OutboxMessage message) {
    return enqueueAll(List.of(message)).map(r -> r.get(0));
  }

  /**
   * {@link #enqueue} for many messages in one script (the campaign planner's batches): receipts in the order
   * of {@code messages}. One invalid message refuses them all (nothing written).
   */
  public Mono<List<Receipt>> enqueueAll(List<OutboxMessage> messages) {
    List<OutboxMessage> normalized = new java.util.ArrayList<>(messages.size());
    for (OutboxMessage message : messages) {
      try {
        validate(message);
      } catch (IllegalArgumentException e) {
        log.warn("outbox message refused: {}", e.getMessage());
        return Mono.error(e);
      }
      normalized.add(message.source() == null || message.source().isBlank()
          ? new OutboxMessage(message.key(), message.personId(), message.to(), message.content(), message.priority(),
              message.deadline(), "unknown", message.channels(), message.feedback())
          : message);
    }
    return store.enqueueAll(normalized, clock.instant());
  }

  /**
   * Stops every entry of {@code source} that is still queued (waiting, deferred or retried): each ends as
   * {@code expired} ("source cancelled") when a worker next claims it, one check inside the claim script.
   * Entries being sent at that moment, or already sent, are not affected. Irreversible for the source.
   */
  public Mono<Void> cancelSource(String source) {
    return store.cancelSource(source);
  }

  /** The entry's delivery state; empty when the key is unknown (never queued, or past its retention). */
  public Mono<Status> status(String key) {
    return store.status(key);
  }

  public Mono<Stats> stats() {
    return store.stats();
  }

  /** Messages name only fields, never values: the WARN log must not carry personal data. */
  static void validate(OutboxMessage m) {
    require(m != null, "message is required");
    require(m.key() != null && !m.key().isBlank() && m.key().length() <= MAX_KEY_LENGTH,
        "key must be 1 to " + MAX_KEY_LENGTH + " characters");
    require(m.key().chars().noneMatch(Character::isWhitespace), "key must not contain whitespace");
    require(m.source() == null || m.source().length() <= 64, "source must be at most 64 characters");
    if (m.channels() != null) {
      require(!m.channels().isEmpty(), "channels, when given, must name at least one channel");
      for (String ch : m.channels()) {
        require(Channel.of(ch) != null, "channels must be among welcome, kf, template, staff");
      }
      require(m.channels().stream().distinct().count() == m.channels().size(), "channels must not repeat");
    }
    if (m.feedback() != null) {
      OutboxMessage.Feedback f = m.feedback();
      require(f.runId() != null && !f.runId().isBlank() && f.runId().length() <= MAX_KEY_LENGTH
          && f.runId().chars().noneMatch(ch -> Character.isWhitespace(ch) || ch == '|'),
          "feedback.runId must be 1 to " + MAX_KEY_LENGTH + " characters without whitespace or '|'");
      require(f.window() != null && !f.window().isNegative() && !f.window().isZero(), "feedback.window must be positive");
      require(f.goal() == null || f.goal().chars().noneMatch(ch -> Character.isWhitespace(ch) || ch == '|'),
          "feedback.goal must not contain whitespace or '|'");
      require(f.labels().size() <= MAX_FEEDBACK_LABELS, "at most " + MAX_FEEDBACK_LABELS + " feedback labels");
      for (String l : f.labels()) {
        require(l != null && !l.isBlank() && l.chars().noneMatch(ch -> Character.isWhitespace(ch) || ch == ','
            || ch == '|'), "feedback labels must be non-blank without whitespace, ',' or '|'");
      }
    }
    OutboxMessage.Recipient to = m.to();
    require(to != null, "recipient is required");
    OutboxMessage.Content c = m.content();
    require(c != null, "content is required");
    boolean hasText = c.text() != null && !c.text().isBlank();
    require(hasText || c.menu() != null, "content needs a text or a menu");
    if (c.links() != null) {
      require(c.links().size() <= MAX_LINKS, "at most " + MAX_LINKS + " links");
      for (OutboxMessage.Link l : c.links()) {
        require(l != null && notBlank(l.title()) && notBlank(l.url()), "every link needs a title and a url");
      }
    }
    boolean customer = notBlank(to.externalUserId());
    if (c.menu() != null) {
      require(customer && notBlank(to.openKfId()),
          "a menu needs a kf-capable recipient (externalUserId and openKfId)");
      List<OutboxMessage.MenuItem> items = c.menu().items();
      require(items != null && !items.isEmpty() && items.size() <= MAX_MENU_ITEMS,
          "a menu needs 1 to " + MAX_MENU_ITEMS + " items");
      for (OutboxMessage.MenuItem i : items) {
        require(i != null && notBlank(i.id()) && notBlank(i.content()), "every menu item needs an id and a content");
      }
    }
    boolean welcome = customer && notBlank(to.welcomeCode()) && to.welcomeCodeAt() != null;
    require(welcome || notBlank(to.ownerUserId()) || (customer && notBlank(to.openKfId())),
        "recipient needs an ownerUserId, a welcome code or a kf account: no channel could deliver it");
    require(notBlank(to.welcomeCode()) == (to.welcomeCodeAt() != null),
        "welcomeCode and welcomeCodeAt go together");
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("invalid outbox message: " + what);
    }
  }
}

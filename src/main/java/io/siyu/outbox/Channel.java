package io.siyu.outbox;

/** Delivery channels in the order the workers try them. */
enum Channel {
  /** externalcontact/send_welcome_msg with the add event's WelcomeCode, while fresh. */
  WELCOME("welcome"),
  /** kf/send_msg while the customer's customer-service session allows it. */
  KF("kf"),
  /** externalcontact/add_msg_template, single chat, as the owning staff member (who confirms it). */
  TEMPLATE("template"),
  /** message/send to the owning staff member: a task listing what to send (or a staff notice). */
  STAFF("staff");

  private final String id;

  Channel(String id) {
    this.id = id;
  }

  String id() {
    return id;
  }

  /** The channel with this id, or null. */
  static Channel of(String id) {
    for (Channel c : values()) {
      if (c.id.equals(id)) {
        return c;
      }
    }
    return null;
  }

  /** The channels a message may use, in the order they are tried: its own list, else all in the default order. */
  static Channel[] order(OutboxMessage m) {
    if (m.channels() == null) {
      return values();
    }
    return m.channels().stream().map(Channel::of).filter(java.util.Objects::nonNull).toArray(Channel[]::new);
  }
}

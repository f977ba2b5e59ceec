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
}

package io.siyu.outbox;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The outbox: delivery workers, per-person caps, quiet hours and the channel rules.
 *
 * <pre>
 * siyu:
 *   outbox:
 *     enabled: true            # false: this instance enqueues but runs no delivery workers
 *     poll-interval: 1s        # how often a worker claims due entries
 *     batch: 64                # entries claimed per poll
 *     concurrency: 16          # deliveries in flight per instance
 *     lease: 120s              # a claimed entry is redelivered by another instance after this
 *     retention: 30d           # finished entries (and their key's idempotency) are kept this long
 *     retry: {attempts: 5, initial-backoff: 30s, max-backoff: 30m}   # transient WeCom errors
 *     caps: {per-day: 3, per-week: 10}   # messages per person across all sources, 0 = no cap
 *     quiet-hours: {start: "22:00", end: "08:00"}   # in siyu.zone; equal times = no quiet hours
 *     exempt-sources: [journey-welcome]   # sources sent during quiet hours
 *     welcome: {window: 20s, margin: 3s}  # send_welcome_msg until window - margin after the add event
 *     kf: {window: 48h, max-messages: 5}  # kf/send_msg after the customer's last message
 *     template: {per-customer: 1, period: 1d}   # add_msg_template receipts per customer, 0 = not tracked
 *       # confirm-check: 10m  how often get_groupmsg_send_result is asked whether campaign tasks were sent
 *       # confirm-for: 7d     a task not confirmed after this counts as unconfirmed and is no longer asked
 *     apps: {contact: contact, kf: kf, staff: app}
 *     texts:
 *       staff-task: "请将以下内容发送给客户 {customer}：\n{text}"
 *       link: "{title} {url}"
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.outbox")
public record OutboxProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("1s") @NotNull Duration pollInterval,
    @DefaultValue("64") @Min(1) @Max(1000) int batch,
    @DefaultValue("16") @Min(1) @Max(1000) int concurrency,
    @DefaultValue("120s") @NotNull Duration lease,
    @DefaultValue("30d") @NotNull Duration retention,
    @Valid @DefaultValue Retry retry,
    @Valid @DefaultValue Caps caps,
    @Valid @DefaultValue QuietHours quietHours,
    @DefaultValue("journey-welcome") List<String> exemptSources,
    @Valid @DefaultValue Welcome welcome,
    @Valid @DefaultValue Kf kf,
    @Valid @DefaultValue Template template,
    @Valid @DefaultValue Apps apps,
    @Valid @DefaultValue Texts texts) {

  public OutboxProperties {
    exemptSources = exemptSources == null ? List.of() : List.copyOf(exemptSources);
    if (lease != null && lease.compareTo(Duration.ofSeconds(5)) < 0) {
      throw new IllegalArgumentException("siyu.outbox.lease must be at least 5s (it must outlast a WeCom call)");
    }
  }

  /** Transient WeCom failures: deliveries in all, and the backoff between them (doubling). */
  public record Retry(
      @DefaultValue("5") @Min(1) @Max(100) int attempts,
      @DefaultValue("30s") @NotNull Duration initialBackoff,
      @DefaultValue("30m") @NotNull Duration maxBackoff) {}

  /** Messages per person across all sources, in the brand's days and ISO weeks; 0 = no cap. */
  public record Caps(
      @DefaultValue("3") @Min(0) int perDay,
      @DefaultValue("10") @Min(0) int perWeek) {}

  /** Local times in {@code siyu.zone}; a start after the end spans midnight; equal = none. */
  public record QuietHours(
      @DefaultValue("22:00") @NotBlank String start,
      @DefaultValue("08:00") @NotBlank String end) {

    public QuietHours {
      startTime(start);
      startTime(end);
    }

    LocalTime startTime() {
      return startTime(start);
    }

    LocalTime endTime() {
      return startTime(end);
    }

    private static LocalTime startTime(String value) {
      try {
        return LocalTime.parse(value);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("siyu.outbox.quiet-hours: '" + value + "' is not a time like 22:00", e);
      }
    }
  }

  /** send_welcome_msg is tried until {@code window - margin} after the add event (the call needs time). */
  public record Welcome(
      @DefaultValue("20s") @NotNull Duration window,
      @DefaultValue("3s") @NotNull Duration margin) {}

  /** kf/send_msg: within {@code window} of the customer's last message, at most {@code maxMessages} since. */
  public record Kf(
      @DefaultValue("48h") @NotNull Duration window,
      @DefaultValue("5") @Min(1) int maxMessages) {}

  /** add_msg_template receipts per customer per period, tracked so the task is not wasted; 0 = not tracked. */
  public record Template(
      @DefaultValue("1") @Min(0) int perCustomer,
      @DefaultValue("1d") @NotNull Duration period,
      @DefaultValue("10m") @NotNull Duration confirmCheck,
      @DefaultValue("7d") @NotNull Duration confirmFor) {
    public Template {
      if (confirmCheck != null && confirmCheck.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("siyu.outbox.template.confirm-check must be at least 1s");
      }
    }
  }

  /** Which configured WeCom app (siyu.wecom.apps) each channel uses. */
  public record Apps(
      @DefaultValue("contact") @NotBlank String contact,
      @DefaultValue("kf") @NotBlank String kf,
      @DefaultValue("app") @NotBlank String staff) {}

  /** Texts staff members read. Placeholders: {customer}, {person}, {text}; in link lines {title}, {url}. */
  public record Texts(
      @DefaultValue("请通过企业微信将以下内容发送给客户 {customer}：\n{text}") @NotBlank String staffTask,
      @DefaultValue("{title} {url}") @NotBlank String link) {}
}

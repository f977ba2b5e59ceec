package io.siyu.sandbox;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The WeCom sandbox (only active when no real WeCom credentials are configured). Limits marked
 * unconfirmed in the WeCom reference are settings here.
 *
 * <pre>
 * siyu:
 *   sandbox:
 *     token-ttl: 7200s               # access_token lifetime
 *     welcome-code-ttl: 20s          # send_welcome_msg / send_msg_on_event deadline after the event
 *     kf-token-ttl: 10m              # kf_msg_or_event Token lifetime for kf/sync_msg
 *     kf-reply-window: 48h           # kf/send_msg allowed this long after the customer's last message
 *     kf-max-replies: 5              # kf/send_msg messages allowed per customer message
 *     sync-page-size: 1000           # kf/sync_msg page size cap (the request's limit is capped by it)
 *     msg-template-limit: 1          # add_msg_template messages one customer may receive ...
 *     msg-template-period: 1d        # ... per this period (unconfirmed: 1/day or 4/month)
 *     message-per-member-per-minute: 30   # message/send: excess silently dropped
 *     default-rate-limit: 10000      # calls per API per minute (unconfirmed) before 45009
 *     rate-limits: {message/send: 10000}  # per-API overrides
 *     call-log-size: 2000
 *     callback:
 *       base-url:                    # empty: this server, http://127.0.0.1:${local.server.port}
 *       timeout: 5s
 *       attempts: 3
 *       contact-app: contact
 *       kf-app: kf
 *       message-app: app
 *     seed:
 *       users: [zhangsan, lisi, wangwu]
 *       contacts:
 *         - external-user-id: wmSeedCustomer001
 *           name: Seed Customer
 *           unionid: oSeedUnion001
 *           follow-users: [zhangsan]
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.sandbox")
public record SandboxProperties(
    @DefaultValue("7200s") @NotNull Duration tokenTtl,
    @DefaultValue("20s") @NotNull Duration welcomeCodeTtl,
    @DefaultValue("10m") @NotNull Duration kfTokenTtl,
    @DefaultValue("48h") @NotNull Duration kfReplyWindow,
    @DefaultValue("5") @Min(1) int kfMaxReplies,
    @DefaultValue("1000") @Min(1) @Max(1000) int syncPageSize,
    @DefaultValue("1") @Min(1) int msgTemplateLimit,
    @DefaultValue("1d") @NotNull Duration msgTemplatePeriod,
    @DefaultValue("30") @Min(1) int messagePerMemberPerMinute,
    @DefaultValue("10000") @Min(1) int defaultRateLimit,
    Map<String, Integer> rateLimits,
    @DefaultValue("2000") @Min(10) int callLogSize,
    @Valid @DefaultValue Callback callback,
    @Valid @DefaultValue Seed seed) {

  public SandboxProperties {
    rateLimits = rateLimits == null ? Map.of() : Map.copyOf(rateLimits);
  }

  /** How the callback simulator delivers, modelled on WeCom: 5 s timeout, 3 attempts, only 200 counts. */
  public record Callback(
      String baseUrl,
      @DefaultValue("5s") @NotNull Duration timeout,
      @DefaultValue("3") @Min(1) int attempts,
      @DefaultValue("contact") String contactApp,
      @DefaultValue("kf") String kfApp,
      @DefaultValue("app") String messageApp) {}

  /** Staff members and customers present after start-up and after {@code POST /sandbox/reset}. */
  public record Seed(
      @DefaultValue({"zhangsan", "lisi", "wangwu"}) List<String> users,
      List<@Valid SeedContact> contacts) {
    public Seed {
      users = users == null ? List.of() : List.copyOf(users);
      contacts = contacts == null ? List.of() : List.copyOf(contacts);
    }
  }

  public record SeedContact(
      @NotNull String externalUserId, String name, String unionid,
      @DefaultValue("0") int gender, List<String> followUsers) {
    public SeedContact {
      followUsers = followUsers == null ? List.of() : List.copyOf(followUsers);
    }
  }
}

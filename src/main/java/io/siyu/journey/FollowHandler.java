package io.siyu.journey;

import io.siyu.audience.PersonStore;
import io.siyu.growth.Referrals;
import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomClient;
import java.time.Instant;
import me.chanjar.weixin.cp.bean.message.WxCpXmlMessage;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The follow step. {@code add_external_contact}: fetch the contact ({@code externalcontact/get}), upsert
 * the person, complete FOLLOW (draw #1) and queue the welcome with the event's WelcomeCode, all without
 * waits so the welcome can use the code's 20 s window.
 *
 * <p>{@code add_half_external_contact} (the customer added a staff member who has not confirmed yet) only
 * records the pending add: the step completes when the staff member confirms and WeCom sends
 * {@code add_external_contact} for the same pair, whose State falls back to the pending add's.
 * A referral State ({@code siyu.growth.referral-state-prefix}) also credits the referrer ({@link Referrals}).
 */
@Component
class FollowHandler implements InboxHandler {

  static final String ADD = "event:change_external_contact:add_external_contact";
  static final String ADD_HALF = "event:change_external_contact:add_half_external_contact";

  private final WecomClient wecom;
  private final PersonStore persons;
  private final Journey journey;
  private final JourneyProperties props;
  private final ReactiveStringRedisTemplate redis;
  private final Referrals referrals;

  FollowHandler(WecomClient wecom, PersonStore persons, Journey journey, JourneyProperties props,
                ReactiveStringRedisTemplate redis, Referrals referrals) {
    this.referrals = referrals;
    this.wecom = wecom;
    this.persons = persons;
    this.journey = journey;
    this.props = props;
    this.redis = redis;
  }

  @Override
  public String name() {
    return "journey-follow";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return ADD.equals(event.kind()) || ADD_HALF.equals(event.kind());
  }

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> WxCpXmlMessage.fromXml(event.payload(), null)).flatMap(xml -> {
      String userId = xml.getUserId();
      String ext = xml.getExternalUserId();
      if (blank(userId) || blank(ext)) {
        return Mono.error(new IllegalArgumentException("contact event without UserID or ExternalUserID"));
      }
      String pendingKey = RedisKeys.journeyPendingAdd(ext, userId);
      if (ADD_HALF.equals(event.kind())) {
        return redis.opsForValue().set(pendingKey, nz(xml.getState()), props.pendingAddTtl()).then();
      }
      Instant createdAt = xml.getCreateTime() == null ? event.receivedAt() : Instant.ofEpochSecond(xml.getCreateTime());
      Mono<String> state = blank(xml.getState())
          ? redis.opsForValue().get(pendingKey).defaultIfEmpty("") : Mono.just(xml.getState());
      return state.zipWith(wecom.call(props.contactApp(), "externalcontact/get",
              s -> s.getExternalContactService().getContactDetail(ext, null)))
          .flatMap(t -> persons.upsert(t.getT2(), userId, t.getT1())
              .flatMap(personId -> journey.complete(personId, Step.FOLLOW,
                      new Journey.Delivery(ext, userId, blank(xml.getWelcomeCode()) ? null : xml.getWelcomeCode(), createdAt))
                  .then(referrals.followed(personId, t.getT1()))))
          .then(redis.delete(pendingKey))
          .then();
    });
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}

package io.siyu.journey;

import io.micrometer.core.instrument.MeterRegistry;
import io.siyu.audience.PersonStore;
import io.siyu.blindbox.BlindBox;
import io.siyu.blindbox.DrawResult;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.RecordingOutbox;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * Spies over the real journey and outbox (everything runs for real: Redis, blind box, outbox, sandbox):
 * {@link RecordingJourney} counts completeStep calls, {@link RecordingOutbox} keeps queued messages'
 * content. Persons are created for real with {@link #addPerson}.
 */
@TestConfiguration(proxyBeanMethods = false)
@Import(RecordingOutbox.Config.class)
class QuestionnaireDoubles {

  private static final Duration T = Duration.ofSeconds(15);

  @Bean
  @Primary
  RecordingJourney recordingJourney(ReactiveStringRedisTemplate redis, BlindBox blindBox, Outbox outbox,
                                    JourneyProperties props, QuestionnaireLinks links,
                                    io.siyu.growth.Interactions interactions, Clock clock, MeterRegistry meters) {
    return new RecordingJourney(redis, blindBox, outbox, props, links, interactions, clock, meters);
  }

  /** Stores a person as {@code externalcontact/get} would describe them (unionid = {@code personId}). */
  static void addPerson(PersonStore persons, String personId, String externalUserId, String owner) {
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"" + externalUserId + "\",\"name\":\"顾客\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + personId + "\"},\"follow_user\":[{\"userid\":\"" + owner + "\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]}");
    String id = persons.upsert(info, owner, "").block(T);
    if (!personId.equals(id)) {
      throw new IllegalStateException("stored as " + id);
    }
  }

  /** The text the questionnaire shows for a draw: the prize name, with the coupon code when there is one. */
  static String prizeLabel(DrawResult draw) {
    return draw.couponCode() == null ? draw.prizeName() : draw.prizeName() + "（券码 " + draw.couponCode() + "）";
  }

  /** Counts completeStep calls per (person, step), then completes the step for real. */
  static class RecordingJourney extends Journey {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    RecordingJourney(ReactiveStringRedisTemplate redis, BlindBox blindBox, Outbox outbox, JourneyProperties props,
                     QuestionnaireLinks links, io.siyu.growth.Interactions interactions, Clock clock,
                     MeterRegistry meters) {
      super(redis, blindBox, outbox, props, links, interactions, clock, meters);
    }

    @Override
    public Mono<StepOutcome> completeStep(String personId, Step step) {
      return Mono.defer(() -> {
        calls.computeIfAbsent(personId + ":" + step.id(), k -> new AtomicInteger()).incrementAndGet();
        return super.completeStep(personId, step);
      });
    }

    int calls(String personId) {
      AtomicInteger n = calls.get(personId + ":" + Step.QUESTIONNAIRE.id());
      return n == null ? 0 : n.get();
    }

    /** The person's questionnaire draw as stored by the journey. */
    DrawResult questionnaireDraw(String personId) {
      return steps(personId).block(T).stream().filter(s -> s.step() == Step.QUESTIONNAIRE).findFirst()
          .orElseThrow().draw();
    }
  }
}

package io.siyu.campaign;

import io.siyu.admin.Problem;
import io.siyu.infra.SiyuProperties;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Campaign definitions and their lifecycle. Every write is one compare-and-set on the stored version, so
 * two operators (or an operator and the planner) racing on one campaign get exactly one winner; the loser
 * re-reads and gets the problem its action now deserves (e.g. {@code invalid-transition} from scheduled).
 */
@Component
public class Campaigns {

  private static final Logger log = LoggerFactory.getLogger(Campaigns.class);
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
  private static final String ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
  private static final int MAX_ATTEMPTS = 3;

  private final CampaignStore store;
  private final CampaignValidator validator;
  private final io.siyu.outbox.Outbox outbox;
  private final Clock clock;
  private final ZoneId zone;

  Campaigns(CampaignStore store, CampaignValidator validator, io.siyu.outbox.Outbox outbox, Clock clock,
            SiyuProperties siyu) {
    this.store = store;
    this.outbox = outbox;
    this.validator = validator;
    this.clock = clock;
    this.zone = siyu.zone();
  }

  public Mono<Campaign> find(String id) {
    return store.find(id);
  }

  Mono<Campaign> get(String id) {
    return store.find(id).switchIfEmpty(Mono.error(() -> notFound(id)));
  }

  /** Newest first; {@code state} null for all. */
  public Flux<Campaign> list(Campaign.State state, int limit) {
    return store.list(limit).filter(c -> state == null || c.state() == state);
  }

  /** A valid definition with defaults filled in, or an {@code invalid-campaign} problem. */
  Mono<Campaign.Definition> validated(Campaign.Definition d) {
    Campaign.Definition full = validator.withDefaults(d);
    return validator.validate(full).flatMap(errors -> errors.isEmpty() ? Mono.just(full)
        : Mono.error(invalid(errors)));
  }

  Mono<Campaign> create(Campaign.Definition d, String operator) {
    return validated(d).flatMap(full -> {
      Instant now = clock.instant();
      Campaign c = new Campaign(newId(now), full, Campaign.State.DRAFT, operator, operator, now, now, 1, null);
      return store.create(c).flatMap(ok -> ok ? Mono.just(c)
          : Mono.error(new IllegalStateException("campaign id collision"))); // 32^8 ids per day: retried by the caller
    }).retryWhen(retries(2, IllegalStateException.class::isInstance));
  }

  Mono<Campaign> update(String id, Campaign.Definition d, String operator) {
    return validated(d).flatMap(full -> write(id, current -> {
      if (current.state() != Campaign.State.DRAFT) {
        return Mono.error(new Problem(HttpStatus.CONFLICT, "campaign-not-editable", "Campaign not editable",
            "only a draft can be edited; this campaign is " + current.state().id()
                + ": clone it (POST /api/v1/campaigns/" + id + "/clone) and edit the copy")
            .with("state", current.state().id()));
      }
      return Mono.just(current.with(full, Campaign.State.DRAFT, operator, clock.instant(), null));
    }));
  }

  /** draft → scheduled; the definition is validated again (a segment may have gone) and the next run computed. */
  public Mono<Campaign> launch(String id, String operator) {
    return write(id, c -> {
      requireTransition(c, Campaign.State.SCHEDULED);
      return validated(c.definition()).flatMap(d -> {
        Instant now = clock.instant();
        List<CampaignValidator.FieldError> late = validator.checkLaunch(d, now);
        if (!late.isEmpty()) {
          return Mono.error(invalid(late));
        }
        return Mono.just(c.with(d, Campaign.State.SCHEDULED, operator, now, Schedules.next(d.schedule(), now, zone)));
      });
    });
  }

  /** Moves a campaign along the lifecycle (pause, resume, cancel; the planner's start and complete). */
  public Mono<Campaign> transition(String id, Campaign.State to, String operator) {
    if (to == Campaign.State.SCHEDULED) {
      return launch(id, operator);
    }
    Mono<Campaign> written = write(id, c -> {
      requireTransition(c, to);
      Instant next = to == Campaign.State.COMPLETED || to == Campaign.State.CANCELLED ? null : c.nextRunAt();
      return Mono.just(c.with(c.definition(), to, operator, clock.instant(), next));
    });
    // Cancelled: what its runs queued and the outbox has not sent yet expires (the planner stops by itself).
    return to != Campaign.State.CANCELLED ? written
        : written.flatMap(c -> outbox.cancelSource(CampaignPlanner.source(c.id())).thenReturn(c));
  }

  /** paused → running only (scheduled → running is the planner's start, not an operator's resume). */
  public Mono<Campaign> resume(String id, String operator) {
    return write(id, c -> {
      if (c.state() != Campaign.State.PAUSED) {
        requireTransition(c, Campaign.State.RUNNING, false);
      }
      return Mono.just(c.with(c.definition(), Campaign.State.RUNNING, operator, clock.instant(), c.nextRunAt()));
    });
  }

  /** A new draft with the same definition. */
  Mono<Campaign> cloneOf(String id, String operator) {
    return get(id).flatMap(c -> {
      Instant now = clock.instant();
      Campaign copy = new Campaign(newId(now), c.definition(), Campaign.State.DRAFT, operator, operator, now, now, 1,
          null);
      return store.create(copy).flatMap(ok -> ok ? Mono.just(copy)
          : Mono.error(new IllegalStateException("campaign id collision")));
    }).retryWhen(retries(2, IllegalStateException.class::isInstance));
  }

  /** Deletes a draft or a cancelled campaign. */
  Mono<Void> delete(String id) {
    return Mono.defer(() -> get(id).flatMap(c -> {
      if (c.state() != Campaign.State.DRAFT && c.state() != Campaign.State.CANCELLED) {
        return Mono.error(new Problem(HttpStatus.CONFLICT, "campaign-not-deletable", "Campaign not deletable",
            "only a draft or a cancelled campaign can be deleted; this one is " + c.state().id())
            .with("state", c.state().id()));
      }
      return store.delete(c.version(), id).flatMap(r -> r == CampaignStore.Cas.CONFLICT
          ? Mono.error(new Conflict()) : Mono.empty());
    })).retryWhen(retries(MAX_ATTEMPTS - 1, Conflict.class::isInstance)).then();
  }

  /** Read, decide, compare-and-set; on a lost race decide again on what the winner wrote. */
  private Mono<Campaign> write(String id, java.util.function.Function<Campaign, Mono<Campaign>> decide) {
    return Mono.defer(() -> get(id).flatMap(current -> decide.apply(current).flatMap(next ->
            store.replace(current.version(), next).flatMap(r -> switch (r) {
              case DONE -> Mono.just(next);
              case CONFLICT -> Mono.<Campaign>error(new Conflict());
              case MISSING -> Mono.<Campaign>error(notFound(id));
            }))))
        .retryWhen(retries(MAX_ATTEMPTS - 1, Conflict.class::isInstance))
        .onErrorMap(Conflict.class::isInstance, e -> new Problem(HttpStatus.CONFLICT, "campaign-conflict",
            "Campaign changed meanwhile", "the campaign kept changing while this request ran; reload and retry"));
  }

  /** Immediate retries of what {@code what} names; the last failure itself when they run out. */
  private static reactor.util.retry.Retry retries(int n, java.util.function.Predicate<Throwable> what) {
    return reactor.util.retry.Retry.max(n).filter(what).onRetryExhaustedThrow((spec, signal) -> signal.failure());
  }

  /** A lost compare-and-set (internal; retried). */
  private static final class Conflict extends RuntimeException {
    Conflict() {
      super("campaign version changed", null, false, false);
    }
  }

  private static void requireTransition(Campaign c, Campaign.State to) {
    requireTransition(c, to, c.state().canMoveTo(to));
  }

  private static void requireTransition(Campaign c, Campaign.State to, boolean allowed) {
    if (!allowed) {
      log.warn("campaign transition refused: {} -> {}", c.state().id(), to.id());
      throw new Problem(HttpStatus.CONFLICT, "invalid-transition", "Invalid transition",
          "a " + c.state().id() + " campaign cannot become " + to.id())
          .with("from", c.state().id()).with("to", to.id());
    }
  }

  static Problem invalid(List<CampaignValidator.FieldError> errors) {
    log.warn("campaign definition refused: {}", errors.stream().map(CampaignValidator.FieldError::field).toList());
    return new Problem(HttpStatus.BAD_REQUEST, "invalid-campaign", "Invalid campaign",
        errors.size() + " problem(s) in the campaign definition, see errors").with("errors", errors);
  }

  static Problem notFound(String id) {
    return new Problem(HttpStatus.NOT_FOUND, "campaign-not-found", "Campaign not found", "no campaign " + id);
  }

  private String newId(Instant now) {
    StringBuilder sb = new StringBuilder("c-").append(DAY.format(now.atZone(zone))).append('-');
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = 0; i < 8; i++) {
      sb.append(ID_ALPHABET.charAt(r.nextInt(ID_ALPHABET.length())));
    }
    return sb.toString();
  }
}

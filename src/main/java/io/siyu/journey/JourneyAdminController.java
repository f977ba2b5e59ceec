package io.siyu.journey;

import io.siyu.admin.Problem;
import io.siyu.audience.Person;
import io.siyu.audience.PersonStore;
import io.siyu.blindbox.DrawResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A person's journey and the journey funnel (viewer or operator; enforced centrally). */
@RestController
@RequestMapping("/api/v1/journey")
class JourneyAdminController {

  record PersonJourney(Person person, List<PersonStore.Follow> follows, List<Journey.StepRecord> steps,
                       List<DrawResult> draws) {}

  /**
   * @param rateFromPrevious this step's count over the previous step's (null for the first step or when
   *                         the previous count is 0)
   * @param rateFromFollowed this step's count over the followed count
   */
  record FunnelStep(String step, long count, Double rateFromPrevious, Double rateFromFollowed) {}

  record Funnel(String state, List<FunnelStep> steps) {}

  record FunnelReport(Funnel overall, List<Funnel> channels) {}

  private final PersonStore persons;
  private final Journey journey;

  JourneyAdminController(PersonStore persons, Journey journey) {
    this.persons = persons;
    this.journey = journey;
  }

  @GetMapping("/persons/{personId}")
  Mono<PersonJourney> person(@PathVariable String personId) {
    return persons.find(personId)
        .switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.NOT_FOUND, "person-not-found", "Person not found",
            "no person with this id")))
        .flatMap(p -> Mono.zip(persons.follows(personId).collectList(), journey.steps(personId))
            .map(t -> new PersonJourney(p, t.getT1(), t.getT2(),
                t.getT2().stream().map(Journey.StepRecord::draw).filter(d -> d != null).toList())));
  }

  /** Overall and per channel (add-event State); {@code state} restricts the channels to one. */
  @GetMapping("/funnel")
  Mono<FunnelReport> funnel(@RequestParam(required = false) String state) {
    Mono<List<String>> states = state == null ? journey.funnelStates() : Mono.just(List.of(state));
    return Mono.zip(funnelOf(null), states.flatMapMany(Flux::fromIterable).concatMap(this::funnelOf).collectList())
        .map(t -> new FunnelReport(t.getT1(), t.getT2()));
  }

  private Mono<Funnel> funnelOf(String state) {
    return journey.funnelCounts(state).map(counts -> {
      List<FunnelStep> steps = new ArrayList<>();
      long followed = counts.getOrDefault(Step.FOLLOW, 0L);
      Long previous = null;
      for (Map.Entry<Step, Long> e : counts.entrySet()) {
        long n = e.getValue();
        steps.add(new FunnelStep(e.getKey().id(), n, previous == null ? null : rate(n, previous),
            rate(n, followed)));
        previous = n;
      }
      return new Funnel(state, steps);
    });
  }

  private static Double rate(long n, long of) {
    return of == 0 ? null : Math.round(10_000.0 * n / of) / 10_000.0;
  }
}

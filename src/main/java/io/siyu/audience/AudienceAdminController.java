package io.siyu.audience;

import io.siyu.admin.Operators;
import io.siyu.admin.Problem;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Profiles, scores and segments under {@code /api/v1} (GET for viewers, the rest for operators;
 * enforced centrally for that prefix).
 * An invalid expression is a 400 problem {@code invalid-expression} with {@code position} (0-based).
 */
@RestController
@RequestMapping("/api/v1")
class AudienceAdminController {

  private static final Logger log = LoggerFactory.getLogger(AudienceAdminController.class);
  private static final int MAX_SAMPLE = 1000;

  private final SegmentDefinitions definitions;
  private final Segments segments;
  private final AudienceEvaluator evaluator;
  private final AudienceRebuilds rebuilds;

  AudienceAdminController(SegmentDefinitions definitions, Segments segments, AudienceEvaluator evaluator,
                          AudienceRebuilds rebuilds) {
    this.definitions = definitions;
    this.segments = segments;
    this.evaluator = evaluator;
    this.rebuilds = rebuilds;
  }

  /** The read model with its stored scores, and the segments whose flag is set. */
  record PersonProfile(Profile profile, List<String> segments, String scoredVersion, String version) {}

  record SegmentView(String name, String expression, String description, String source, Long updatedAt,
                     String updatedBy, long size) {}

  record SegmentRequest(@NotBlank @Size(max = 2000) String expression, @Size(max = 500) String description) {}

  record PreviewRequest(@NotBlank @Size(max = 2000) String expression, @Min(0) @Max(MAX_SAMPLE) Integer sample) {}

  record Preview(long size, List<String> sample) {}

  record Members(String segment, long size, List<String> sample) {}

  @ExceptionHandler(InvalidExpressionException.class)
  org.springframework.web.ErrorResponse invalidExpression(InvalidExpressionException e) {
    log.warn("invalid segment expression refused at position {}", e.position());
    return new Problem(HttpStatus.BAD_REQUEST, "invalid-expression", "Invalid expression", e.getMessage())
        .with("position", e.position());
  }

  @GetMapping("/persons/{id}/profile")
  Mono<PersonProfile> profile(@PathVariable String id) {
    return evaluator.read(id).filter(h -> !h.isEmpty())
        .switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.NOT_FOUND, "person-not-found", "Person not found",
            "no person with this id")))
        .zipWith(definitions.all())
        .map(t -> {
          java.util.Map<String, String> h = t.getT1();
          return new PersonProfile(evaluator.scorerProfile(h), segmentsOf(h, t.getT2()),
              h.get(ProfileFields.SCORED_VERSION), h.get(ProfileFields.VERSION));
        });
  }

  @GetMapping("/persons/{id}/segments")
  Mono<List<String>> personSegments(@PathVariable String id) {
    return profile(id).map(PersonProfile::segments);
  }

  /**
   * The flags of defined segments: a deleted segment's flag stays in the hash until the person is next
   * evaluated (or swept), and must not be reported meanwhile.
   */
  private static List<String> segmentsOf(java.util.Map<String, String> h, List<SegmentDefinitions.Definition> defined) {
    Set<String> names = new java.util.HashSet<>();
    defined.forEach(d -> names.add(d.name()));
    Set<String> out = new TreeSet<>();
    h.keySet().forEach(k -> {
      if (k.startsWith(ProfileFields.SEGMENT_PREFIX) && names.contains(k.substring(ProfileFields.SEGMENT_PREFIX.length()))) {
        out.add(k.substring(ProfileFields.SEGMENT_PREFIX.length()));
      }
    });
    return new ArrayList<>(out);
  }

  @GetMapping("/segments")
  Flux<SegmentView> list() {
    return definitions.all().flatMapMany(Flux::fromIterable).concatMap(this::view);
  }

  @GetMapping("/segments/{name}")
  Mono<SegmentView> get(@PathVariable String name) {
    return require(name).flatMap(this::view);
  }

  /** Creates or replaces an API segment; a new or changed one is rebuilt in the background at once. */
  @PutMapping("/segments/{name}")
  Mono<ResponseEntity<SegmentView>> put(@PathVariable String name, @Valid @RequestBody SegmentRequest body) {
    return Operators.current().defaultIfEmpty("unknown")
        .flatMap(op -> definitions.put(name, body.expression(), body.description(), op))
        .flatMap(created -> {
          rebuilds.startInBackground(List.of(name));
          return require(name).flatMap(this::view)
              .map(v -> ResponseEntity.status(created ? HttpStatus.CREATED : HttpStatus.OK).body(v));
        });
  }

  @DeleteMapping("/segments/{name}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  Mono<Void> delete(@PathVariable String name) {
    return definitions.delete(name).flatMap(found -> found ? Mono.<Void>empty()
        : Mono.error(notFound(name)));
  }

  /** Size and a sample of who would match, without saving (a full pass over the profiles). */
  @PostMapping("/segments/preview")
  Mono<Preview> preview(@Valid @RequestBody PreviewRequest body) {
    Expressions.Condition c = Expressions.parseUncached(body.expression());
    int sample = body.sample() == null ? 20 : body.sample();
    AtomicLong size = new AtomicLong();
    List<String> ids = new ArrayList<>();
    return rebuilds.profiles(c::test).doOnNext(p -> {
      size.incrementAndGet();
      if (ids.size() < sample) {
        ids.add(p.id());
      }
    }).then(Mono.fromSupplier(() -> new Preview(size.get(), List.copyOf(ids))));
  }

  @PostMapping("/segments/{name}/rebuild")
  @ResponseStatus(HttpStatus.ACCEPTED)
  Mono<AudienceRebuilds.Status> rebuild(@PathVariable String name) {
    return require(name).map(d -> {
      rebuilds.startInBackground(List.of(name));
      return rebuilds.status(name);
    });
  }

  @GetMapping("/segments/{name}/rebuild")
  Mono<AudienceRebuilds.Status> rebuildStatus(@PathVariable String name) {
    return require(name).map(d -> rebuilds.status(name));
  }

  @PostMapping("/segments/rebuild")
  @ResponseStatus(HttpStatus.ACCEPTED)
  Mono<AudienceRebuilds.Status> rebuildAll() {
    rebuilds.startInBackground(null);
    return Mono.just(rebuilds.status("*"));
  }

  @GetMapping("/segments/rebuild")
  Mono<AudienceRebuilds.Status> rebuildAllStatus() {
    return Mono.just(rebuilds.status("*"));
  }

  @GetMapping("/segments/{name}/members")
  Mono<Members> members(@PathVariable String name, @RequestParam(defaultValue = "20") int sample) {
    if (sample < 0 || sample > MAX_SAMPLE) {
      return Mono.error(new Problem(HttpStatus.BAD_REQUEST, "invalid-sample", "Invalid sample",
          "sample must be between 0 and " + MAX_SAMPLE));
    }
    return require(name).flatMap(d -> Mono.zip(segments.size(name),
        segments.members(name).distinct().take(sample).collectList(), (n, s) -> new Members(name, n, s)));
  }

  /** A segment's current member count. */
  record SegmentSize(String name, long size) {}

  @GetMapping("/segments/{name}/size")
  Mono<SegmentSize> size(@PathVariable String name) {
    return require(name).flatMap(d -> segments.size(name)).map(n -> new SegmentSize(name, n));
  }

  private Mono<SegmentDefinitions.Definition> require(String name) {
    return definitions.find(name).switchIfEmpty(Mono.error(() -> notFound(name)));
  }

  private static Problem notFound(String name) {
    return new Problem(HttpStatus.NOT_FOUND, "segment-not-found", "Segment not found", "no segment '" + name + "'");
  }

  private Mono<SegmentView> view(SegmentDefinitions.Definition d) {
    return segments.size(d.name()).map(n -> new SegmentView(d.name(), d.expression(), d.description(), d.source(),
        d.updatedAt(), d.updatedBy(), n));
  }
}

package io.siyu.growth;

import io.siyu.admin.Operators;
import io.siyu.admin.Problem;
import io.siyu.growth.GrowthProperties.Kind;
import io.siyu.infra.SiyuProperties;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Growth value, levels and leaderboard (viewers), interactions and audited corrections (operators). */
@RestController
@RequestMapping("/api/v1")
class GrowthController {

  static final int MAX_LEADERBOARD = 1000;
  static final int CORRECTIONS_SHOWN = 50;

  private final Interactions interactions;
  private final Growth growth;
  private final GrowthProperties props;
  private final Clock clock;
  private final ZoneId zone;

  GrowthController(Interactions interactions, Growth growth, GrowthProperties props, Clock clock, SiyuProperties siyu) {
    this.interactions = interactions;
    this.growth = growth;
    this.props = props;
    this.clock = clock;
    this.zone = siyu.zone();
  }

  record LevelView(int level, long threshold) {}

  record LevelsView(String recipe, long dailyCap, List<LevelView> levels) {}

  @GetMapping("/levels")
  LevelsView levels() {
    LevelTable t = growth.levels();
    List<LevelView> rows = new java.util.ArrayList<>();
    for (int i = 0; i < t.levels(); i++) {
      rows.add(new LevelView(i + 1, t.thresholds().get(i)));
    }
    return new LevelsView(t.recipe(), props.dailyCap(), rows);
  }

  record TodayView(long earned, Long cap) {}

  record GrowthView(String personId, long growth, int level, LevelTable.Progress progress,
                    Map<String, TodayView> today, Map<String, Long> counts, Map<String, Map<String, Long>> windows,
                    List<Growth.Correction> corrections) {}

  @GetMapping("/persons/{id}/growth")
  Mono<GrowthView> personGrowth(@PathVariable String id) {
    return growth.profile(id)
        .filter(p -> !p.isEmpty())
        .switchIfEmpty(Mono.error(() -> GrowthProblems.map(new UnknownPersonException(id))))
        .zipWith(growth.corrections(id, CORRECTIONS_SHOWN).collectList())
        .map(t -> view(id, t.getT1(), t.getT2()));
  }

  private GrowthView view(String id, Map<String, String> p, List<Growth.Correction> corrections) {
    long g = parse(p.get("growth"));
    LevelTable.Progress progress = growth.levels().progress(g);
    Instant now = clock.instant();
    String today = Long.toString(LocalDate.ofInstant(now, zone).toEpochDay());
    Map<String, TodayView> todayView = new LinkedHashMap<>();
    todayView.put("*", new TodayView(earnedToday(p.get("gd:*"), today), props.dailyCap()));
    Map<String, Long> counts = new LinkedHashMap<>();
    for (Map.Entry<String, Kind> k : props.kinds().entrySet()) {
      todayView.put(k.getKey(), new TodayView(earnedToday(p.get("gd:" + k.getKey()), today), k.getValue().dailyCap()));
    }
    Map<String, Map<String, Long>> windows = new LinkedHashMap<>();
    for (int days : props.windowDays()) {
      windows.put(days + "d", new LinkedHashMap<>());
    }
    p.forEach((field, value) -> {
      if (field.startsWith("n:")) {
        counts.put(field.substring(2), parse(value));
      } else if (field.startsWith("w") && field.indexOf(':') > 1) {
        String days = field.substring(1, field.indexOf(':'));
        Map<String, Long> w = windows.get(days + "d");
        if (w != null) {
          w.put(field.substring(field.indexOf(':') + 1), Windows.count(value, Integer.parseInt(days), now, zone));
        }
      }
    });
    return new GrowthView(id, g, progress.level(), progress, todayView, counts, windows, corrections);
  }

  private static long earnedToday(String state, String today) {
    if (state == null) {
      return 0;
    }
    int sep = state.indexOf(':');
    return state.substring(0, sep).equals(today) ? Long.parseLong(state.substring(sep + 1)) : 0;
  }

  private static long parse(String s) {
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }

  @GetMapping("/leaderboards/growth")
  Mono<List<Growth.Ranked>> leaderboard(@RequestParam(defaultValue = "10") int limit) {
    if (limit < 1 || limit > MAX_LEADERBOARD) {
      throw new Problem(HttpStatus.BAD_REQUEST, "invalid-limit", "Invalid limit", "limit must be 1 to " + MAX_LEADERBOARD);
    }
    return growth.leaderboard(limit).collectList();
  }

  record InteractionRequest(@NotBlank @Size(max = 128) String person, @NotBlank @Size(max = 64) String kind,
                            @NotBlank @Size(max = 128) String key, Instant at,
                            @Size(max = 16) Map<String, String> attrs) {}

  @PostMapping("/interactions")
  Mono<ResponseEntity<Recorded>> record(@Valid @RequestBody InteractionRequest req) {
    return interactions.record(new Interaction(req.person(), req.kind(), req.key(), req.at(), req.attrs()))
        .onErrorMap(GrowthProblems::map)
        .map(r -> ResponseEntity.status(r.first() ? HttpStatus.CREATED : HttpStatus.OK).body(r));
  }

  record CorrectionRequest(@NotBlank @Size(max = 128) String key, @NotNull @Min(-1_000_000_000) @Max(1_000_000_000) Long delta,
                           @NotBlank @Size(max = 500) String reason) {}

  @PostMapping("/persons/{id}/growth/corrections")
  Mono<ResponseEntity<Growth.Corrected>> correct(@PathVariable String id, @Valid @RequestBody CorrectionRequest req) {
    if (req.delta() == 0) {
      throw new Problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", "delta must not be 0")
          .with("field", "delta");
    }
    return Operators.current()
        .flatMap(op -> growth.correct(id, req.key(), req.delta(), req.reason(), op))
        .onErrorMap(GrowthProblems::map)
        .map(c -> ResponseEntity.status(c.first() ? HttpStatus.CREATED : HttpStatus.OK).body(c));
  }
}

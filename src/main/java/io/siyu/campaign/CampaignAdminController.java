package io.siyu.campaign;

import io.siyu.admin.Operators;
import io.siyu.admin.Problem;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Campaigns under {@code /api/v1/campaigns} (GET for viewers, the rest for operators; enforced centrally).
 * Problems: {@code invalid-campaign} (400, {@code errors: [{field, message, position?}]}),
 * {@code campaign-not-found} (404), {@code invalid-transition} (409, {@code from}, {@code to}),
 * {@code campaign-not-editable} (409: clone it), {@code campaign-not-deletable} (409),
 * {@code campaign-conflict} (409: kept changing meanwhile), {@code invalid-state} (400, list filter),
 * {@code run-not-found} (404).
 */
@RestController
@RequestMapping("/api/v1/campaigns")
class CampaignAdminController {

  private static final int MAX_LIST = 500;

  private final Campaigns campaigns;
  private final CampaignPreviewer previewer;
  private final CampaignProperties props;
  private final CampaignRuns runs;

  CampaignAdminController(Campaigns campaigns, CampaignPreviewer previewer, CampaignProperties props,
                          CampaignRuns runs) {
    this.campaigns = campaigns;
    this.runs = runs;
    this.previewer = previewer;
    this.props = props;
  }

  /** Creates a draft (the server fills in id, state, default channels and caps). */
  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  Mono<Campaign> create(@RequestBody Campaign.Definition definition) {
    return Operators.current().flatMap(op -> campaigns.create(definition, op));
  }

  /** Newest first; {@code state} filters (draft, scheduled, running, paused, completed, cancelled). */
  @GetMapping
  Mono<List<Campaign>> list(@RequestParam(required = false) String state,
                            @RequestParam(defaultValue = "100") int limit) {
    Campaign.State s;
    try {
      s = state == null || state.isBlank() ? null : Campaign.State.of(state);
    } catch (IllegalArgumentException e) {
      return Mono.error(new Problem(HttpStatus.BAD_REQUEST, "invalid-state", "Invalid state",
          "state must be one of draft, scheduled, running, paused, completed, cancelled"));
    }
    return campaigns.list(s, Math.max(1, Math.min(limit, MAX_LIST))).collectList();
  }

  @GetMapping("/{id}")
  Mono<Campaign> get(@PathVariable String id) {
    return campaigns.get(id);
  }

  /** Replaces a draft's definition; any other state is {@code campaign-not-editable}. */
  @PutMapping("/{id}")
  Mono<Campaign> update(@PathVariable String id, @RequestBody Campaign.Definition definition) {
    return Operators.current().flatMap(op -> campaigns.update(id, definition, op));
  }

  @DeleteMapping("/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  Mono<Void> delete(@PathVariable String id) {
    return campaigns.delete(id);
  }

  /** draft → scheduled: validates again, refuses a once time in the past, computes {@code nextRunAt}. */
  @PostMapping("/{id}/launch")
  Mono<Campaign> launch(@PathVariable String id) {
    return Operators.current().flatMap(op -> campaigns.launch(id, op));
  }

  @PostMapping("/{id}/pause")
  Mono<Campaign> pause(@PathVariable String id) {
    return Operators.current().flatMap(op -> campaigns.transition(id, Campaign.State.PAUSED, op));
  }

  @PostMapping("/{id}/resume")
  Mono<Campaign> resume(@PathVariable String id) {
    return Operators.current().flatMap(op -> campaigns.resume(id, op));
  }

  @PostMapping("/{id}/cancel")
  Mono<Campaign> cancel(@PathVariable String id) {
    return Operators.current().flatMap(op -> campaigns.transition(id, Campaign.State.CANCELLED, op));
  }

  /** A new draft with the same definition (the way to change a launched campaign). */
  @PostMapping("/{id}/clone")
  @ResponseStatus(HttpStatus.CREATED)
  Mono<Campaign> cloneCampaign(@PathVariable String id) {
    return Operators.current().flatMap(op -> campaigns.cloneOf(id, op));
  }

  /** Audience size and {@code sample} rendered messages for real people (what a run would send now). */
  @PostMapping("/{id}/preview")
  Mono<CampaignPreviewer.Preview> preview(@PathVariable String id, @RequestParam(defaultValue = "5") int sample) {
    return campaigns.get(id).flatMap(c -> previewer.preview(c.definition(), sampleSize(sample)));
  }

  /** The same for an unsaved definition (validated first; nothing is written). */
  @PostMapping("/preview")
  Mono<CampaignPreviewer.Preview> previewDefinition(@RequestBody Campaign.Definition definition,
                                                    @RequestParam(defaultValue = "5") int sample) {
    return campaigns.validated(definition).flatMap(d -> previewer.preview(d, sampleSize(sample)));
  }

  /** Counts over the whole audience (streamed): reachable, capped, without channel, quiet hours now. */
  @PostMapping("/{id}/dry-run")
  Mono<CampaignPreviewer.DryRun> dryRun(@PathVariable String id) {
    return campaigns.get(id).flatMap(c -> previewer.dryRun(c.definition()));
  }

  @PostMapping("/dry-run")
  Mono<CampaignPreviewer.DryRun> dryRunDefinition(@RequestBody Campaign.Definition definition) {
    return campaigns.validated(definition).flatMap(previewer::dryRun);
  }

  /** The campaign's runs, newest first: state (planning, paused, planned, cancelled), counts, cursor, times. */
  @GetMapping("/{id}/runs")
  Mono<List<CampaignRuns.Run>> runs(@PathVariable String id, @RequestParam(defaultValue = "100") int limit) {
    return campaigns.get(id).flatMap(c -> runs.ofCampaign(id, Math.max(1, Math.min(limit, MAX_LIST))).collectList());
  }

  /** One run ({@code <campaignId>:<fire time epoch millis>}). */
  @GetMapping("/{id}/runs/{runId}")
  Mono<CampaignRuns.Run> run(@PathVariable String id, @PathVariable String runId) {
    return runs.find(runId).filter(r -> id.equals(r.campaignId()))
        .switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.NOT_FOUND, "run-not-found", "Run not found",
            "campaign " + id + " has no run " + runId)));
  }

  private int sampleSize(int requested) {
    if (requested < 0 || requested > props.previewSampleMax()) {
      throw new Problem(HttpStatus.BAD_REQUEST, "invalid-sample", "Invalid sample size",
          "sample must be 0 to " + props.previewSampleMax() + " (siyu.campaign.preview-sample-max)");
    }
    return requested;
  }
}

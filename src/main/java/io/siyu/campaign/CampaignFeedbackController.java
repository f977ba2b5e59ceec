package io.siyu.campaign;

import io.siyu.admin.Problem;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Per-run campaign feedback under {@code /api/v1/campaigns/{id}} (viewer role: GET only). Problems:
 * {@code campaign-not-found} (404), {@code run-not-found} (404).
 */
@RestController
@RequestMapping("/api/v1/campaigns/{id}")
class CampaignFeedbackController {

  private static final int MAX_LIST = 100;

  private final Campaigns campaigns;
  private final CampaignFeedback feedback;

  CampaignFeedbackController(Campaigns campaigns, CampaignFeedback feedback) {
    this.campaigns = campaigns;
    this.feedback = feedback;
  }

  @Operation(summary = "Feedback of one campaign run",
      description = "planned, sent (by channel), deferred/failed/expired by reason, capped, cancelled, waiting, "
          + "staff tasks pending/confirmed, replies and conversions within the window (once per person), rates "
          + "and the per-label breakdown (stage:<stage>, s:<segment>). A triggered campaign's messages aggregate "
          + "under run id <campaignId>:triggered.")
  @GetMapping("/runs/{runId}/feedback")
  Mono<CampaignFeedback.RunFeedback> run(@PathVariable String id,
                                         @Parameter(description = "<campaignId>:<fire millis> or <campaignId>:triggered")
                                         @PathVariable String runId) {
    return campaigns.get(id).flatMap(c -> feedback.of(c, runId))
        .switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.NOT_FOUND, "run-not-found", "Run not found",
            "campaign " + id + " has no run " + runId)));
  }

  @Operation(summary = "Feedback of the campaign's latest runs",
      description = "Newest first; a triggered campaign's aggregate (<campaignId>:triggered) comes first.")
  @GetMapping("/feedback")
  Mono<List<CampaignFeedback.RunFeedback>> latest(@PathVariable String id,
                                                  @Parameter(description = "runs, 1 to " + MAX_LIST)
                                                  @RequestParam(defaultValue = "10") int limit) {
    return campaigns.get(id).flatMap(c -> feedback.latest(c, Math.max(1, Math.min(limit, MAX_LIST))));
  }
}

package io.siyu.sandbox;

import io.siyu.admin.Problem;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Starts a simulated audience ({@link AudienceSimulator}) and reports its progress, e.g.
 * {@code POST /sandbox/simulate/audience {"count":1000,"seconds":60,"questionnaireRate":0.6,"joinRate":0.4}}.
 */
@RestController
@SandboxOnly
class AudienceController {

  private final AudienceSimulator simulator;

  AudienceController(AudienceSimulator simulator) {
    this.simulator = simulator;
  }

  @PostMapping("/sandbox/simulate/audience")
  @ResponseStatus(HttpStatus.ACCEPTED)
  AudienceSimulator.AudienceReport start(@RequestBody(required = false) AudienceSimulator.AudienceRequest request) {
    return simulator.start(request);
  }

  @GetMapping("/sandbox/simulate/audience")
  AudienceSimulator.AudienceReport progress() {
    return simulator.report().orElseThrow(() -> new Problem(HttpStatus.NOT_FOUND, "sandbox-audience-none",
        "No audience run", "start one with POST /sandbox/simulate/audience"));
  }
}

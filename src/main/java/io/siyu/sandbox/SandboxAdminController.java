package io.siyu.sandbox;

import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Inspecting and resetting the sandbox over HTTP: the call log and a full reset. */
@RestController
@SandboxOnly
class SandboxAdminController {

  private final SandboxWecom wecom;

  SandboxAdminController(SandboxWecom wecom) {
    this.wecom = wecom;
  }

  /** The newest {@code limit} calls (oldest first), optionally of one API such as {@code message/send}. */
  @GetMapping("/sandbox/calls")
  List<SandboxCall> calls(@RequestParam(required = false) String api,
      @RequestParam(defaultValue = "100") int limit) {
    return wecom.calls(api == null || api.isBlank() ? null : api, Math.max(0, limit));
  }

  @DeleteMapping("/sandbox/calls")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void clearCalls() {
    wecom.clearCalls();
  }

  @PostMapping("/sandbox/reset")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void reset() {
    wecom.reset();
  }
}

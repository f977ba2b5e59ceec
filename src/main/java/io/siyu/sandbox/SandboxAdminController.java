package io.siyu.sandbox;

import java.util.List;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The sandbox over HTTP: the call log, a full reset, the callback simulator and a benchmark baseline. */
@RestController
@SandboxOnly
class SandboxAdminController {

  private final SandboxWecom wecom;
  private final CallbackSimulator simulator;

  SandboxAdminController(SandboxWecom wecom, CallbackSimulator simulator) {
    this.wecom = wecom;
    this.simulator = simulator;
  }

  /**
   * Sends one WeCom callback to the ingress, e.g. {@code POST /sandbox/simulate/add_external_contact
   * {"userId":"zhangsan","state":"qr-spring"}}; answers what was sent and how each attempt ended.
   */
  @PostMapping("/sandbox/simulate/{kind}")
  Mono<CallbackSimulator.Result> simulate(@PathVariable String kind,
      @RequestBody(required = false) CallbackSimulator.Request request) {
    return simulator.simulate(kind, request);
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

  /**
   * The cheapest answer this server can give to a callback-shaped request: it reads and drops the body
   * and answers {@code success}. The ingress benchmark sends it the same requests as the callback
   * endpoint and reports callbacks/s as a ratio of this baseline.
   */
  @RequestMapping(path = "/sandbox/noop", method = {RequestMethod.GET, RequestMethod.POST})
  Mono<String> noop(ServerHttpRequest request) {
    return DataBufferUtils.join(request.getBody()).map(DataBufferUtils::release).then(Mono.just("success"));
  }

  /**
   * Adds {@code count} contacts {@code prefix + i} (i from {@code from}) who follow {@code userId}, without
   * callbacks: benchmarks seed a large audience the sandbox must know (add_msg_template checks the follow).
   */
  @PostMapping("/sandbox/contacts")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void addContacts(@RequestBody Contacts request) {
    if (request.userId() == null || request.userId().isBlank() || request.prefix() == null || request.prefix().isBlank()
        || request.count() < 1 || request.count() > 1_000_000 || request.from() < 0) {
      throw new org.springframework.web.server.ResponseStatusException(HttpStatus.BAD_REQUEST,
          "userId and prefix are required, count 1 to 1000000, from >= 0");
    }
    for (long i = request.from(); i < request.from() + request.count(); i++) {
      wecom.addFollow(request.prefix() + i, request.userId(), null);
    }
  }

  record Contacts(String userId, String prefix, long from, long count) {}

  @PostMapping("/sandbox/reset")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void reset() {
    wecom.reset();
  }
}

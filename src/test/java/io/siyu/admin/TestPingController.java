package io.siyu.admin;

import java.security.Principal;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Test-only admin endpoint: answers with the caller's operator name, read both ways controllers may. */
@RestController
@RequestMapping("/api/v1/test-ping")
class TestPingController {

  @GetMapping
  Mono<Map<String, String>> read() {
    return Operators.current().map(name -> Map.of("operator", name));
  }

  @PostMapping
  Mono<Map<String, String>> change(Principal principal) {
    return Mono.just(Map.of("operator", principal.getName()));
  }
}

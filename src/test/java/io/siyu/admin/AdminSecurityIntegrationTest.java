package io.siyu.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.AdminTokens;
import io.siyu.SiyuIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.core.userdetails.ReactiveUserDetailsService;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.test.web.reactive.server.WebTestClient;

@SiyuIntegrationTest
class AdminSecurityIntegrationTest {

  private static final String PING = "/api/v1/test-ping";

  @Autowired
  WebTestClient web;

  @Autowired
  ApplicationContext context;

  @Test
  void answersUnauthorizedProblemWithoutAToken() {
    web.get().uri(PING).exchange()
        .expectStatus().isUnauthorized()
        .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo("urn:siyu:problem:unauthorized")
        .jsonPath("$.status").isEqualTo(401);
  }

  @Test
  void answersUnauthorizedProblemForAnUnknownToken() {
    web.post().uri(PING).headers(h -> h.setBearerAuth("not-a-configured-token-at-all")).exchange()
        .expectStatus().isUnauthorized()
        .expectHeader().value(HttpHeaders.WWW_AUTHENTICATE, v -> assertThat(v).startsWith("Bearer"))
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unauthorized");
  }

  @Test
  void answersUnauthorizedForANonBearerOrEmptyAuthorizationHeader() {
    for (String header : new String[] {"Basic dGVzdDp0ZXN0", "Bearer ", "Bearer", AdminTokens.OPERATOR}) {
      web.get().uri(PING).header(HttpHeaders.AUTHORIZATION, header).exchange()
          .expectStatus().isUnauthorized()
          .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unauthorized");
    }
  }

  @Test
  void refusesATokenThatDiffersOnlyInItsLastCharacter() {
    String almost = AdminTokens.OPERATOR.substring(0, AdminTokens.OPERATOR.length() - 1) + "X";
    web.get().uri(PING).headers(h -> h.setBearerAuth(almost)).exchange().expectStatus().isUnauthorized();
  }

  @Test
  void viewerCanReadAsItsOwnOperatorName() {
    web.get().uri(PING).headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.operator").isEqualTo("test-viewer");
    web.head().uri(PING).headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isOk();
  }

  @Test
  void viewerCannotChangeAnything() {
    web.post().uri(PING).headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isForbidden()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:forbidden");
    web.delete().uri(PING).headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isForbidden();
  }

  @Test
  void operatorCanReadAndChangeAsItsOwnOperatorName() {
    web.get().uri(PING).headers(h -> h.setBearerAuth(AdminTokens.OPERATOR)).exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.operator").isEqualTo("test-operator");
    web.post().uri(PING).headers(h -> h.setBearerAuth(AdminTokens.OPERATOR)).exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.operator").isEqualTo("test-operator");
  }

  @Test
  void writesAnywhereUnderApiNeedAnOperator() {
    web.post().uri("/api/v2/something").headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isForbidden();
    web.post().uri("/api/v2/something").headers(h -> h.setBearerAuth(AdminTokens.OPERATOR)).exchange()
        .expectStatus().isNotFound();
    web.get().uri("/api/v2/something").headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isNotFound();
  }

  @Test
  void authenticatesConcurrentRequestsWithTheirOwnIdentity() {
    reactor.core.publisher.Flux.range(0, 64)
        .flatMap(i -> {
          boolean viewer = i % 2 == 0;
          return org.springframework.web.reactive.function.client.WebClient.create()
              .get().uri(baseUrl() + PING)
              .headers(h -> h.setBearerAuth(viewer ? AdminTokens.VIEWER : AdminTokens.OPERATOR))
              .retrieve().bodyToMono(java.util.Map.class)
              .map(body -> body.get("operator").equals(viewer ? "test-viewer" : "test-operator"));
        }, 16)
        .collectList()
        .as(reactor.test.StepVerifier::create)
        .assertNext(results -> assertThat(results).hasSize(64).containsOnly(true))
        .verifyComplete();
  }

  @Test
  void metricsNeedAViewerToken() {
    web.get().uri("/actuator/prometheus").exchange().expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.type").isEqualTo("urn:siyu:problem:unauthorized");
    web.get().uri("/actuator/metrics").exchange().expectStatus().isUnauthorized();
    web.get().uri("/actuator/prometheus").headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isOk();
    web.get().uri("/actuator/metrics/jvm.memory.used").headers(h -> h.setBearerAuth(AdminTokens.VIEWER)).exchange()
        .expectStatus().isOk();
  }

  @Test
  void leavesEverythingOutsideApiOpen() {
    web.get().uri("/actuator/health").exchange().expectStatus().isOk();
    web.get().uri("/sandbox/calls").exchange().expectStatus().isOk();
    // The first OpenAPI request scans every controller: slow on a busy 2-core machine.
    web.mutate().responseTimeout(java.time.Duration.ofSeconds(30)).build()
        .get().uri("/v3/api-docs").exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.components.securitySchemes.bearer.scheme").isEqualTo("bearer")
        .jsonPath("$.paths['/api/v1/test-ping']").exists();
    web.get().uri("/swagger-ui.html").exchange()
        .expectStatus().value(s -> assertThat(HttpStatus.valueOf(s).is2xxSuccessful() || HttpStatus.valueOf(s).is3xxRedirection()).isTrue());
    // Unknown customer page and an unsigned callback: their own answers, never the admin API's 401.
    web.get().uri("/q/anything").exchange()
        .expectStatus().value(s -> assertThat(s).isNotEqualTo(401))
        .expectHeader().doesNotExist(HttpHeaders.WWW_AUTHENTICATE);
    web.get().uri("/wecom/callback/contact?msg_signature=x&timestamp=1&nonce=n&echostr=e").exchange()
        .expectStatus().value(s -> assertThat(s).isNotEqualTo(401))
        .expectHeader().doesNotExist(HttpHeaders.WWW_AUTHENTICATE);
  }

  @Test
  void createsNoDefaultUserAndNoOtherSecurityChain() {
    assertThat(context.getBeanProvider(ReactiveUserDetailsService.class).getIfAvailable()).isNull();
    assertThat(context.getBeansOfType(SecurityWebFilterChain.class)).containsOnlyKeys("adminApiSecurity");
  }

  private String baseUrl() {
    return "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
  }
}

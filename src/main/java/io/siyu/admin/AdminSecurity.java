package io.siyu.admin;

import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authentication.ServerAuthenticationEntryPointFailureHandler;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.AndServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.NegatedServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Stateless bearer-token security for {@code /api/**} and the metrics endpoints: {@code GET}/{@code HEAD}
 * need a viewer or operator token, any other request an operator token. Metrics
 * ({@code /actuator/prometheus}, {@code /actuator/metrics}) need a viewer token too: they name apps,
 * handlers and error codes (Prometheus scrapes with {@code authorization: {credentials: <token>}}).
 * {@code POST /api/v1/orders} is signed with its own shared secret instead. Callbacks, the sandbox, health,
 * questionnaire pages ({@code /q/**}) and the OpenAPI pages stay open. Failures are RFC 9457 problems ({@code unauthorized} with
 * {@code WWW-Authenticate: Bearer}, {@code forbidden}).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class AdminSecurity {

  private static final Logger log = LoggerFactory.getLogger(AdminSecurity.class);

  static final String API_PATHS = "/api/**";
  private static final String[] METRICS_PATHS = {"/actuator/prometheus", "/actuator/metrics", "/actuator/metrics/**"};
  static final String ORDERS_PATH = "/api/v1/orders";
  private static final String BEARER = "Bearer ";
  /** The callback ack path: WeCom waits for it, and nothing there is routed by Spring Security. */
  private static final String CALLBACK_PREFIX = "/wecom/callback/";

  @Bean
  AdminTokenAuthenticator adminTokenAuthenticator(AdminProperties props) {
    return new AdminTokenAuthenticator(props);
  }

  @Bean
  SecurityWebFilterChain adminApiSecurity(ServerHttpSecurity http, AdminTokenAuthenticator authenticator,
      ServerCodecConfigurer codecs) {
    ProblemWriter problems = new ProblemWriter(codecs.getWriters());
    ServerAuthenticationEntryPoint unauthorized = (exchange, e) -> problems.write(exchange, HttpStatus.UNAUTHORIZED,
        "unauthorized", "Unauthorized",
        "The admin API needs an 'Authorization: Bearer <token>' header with a configured token (siyu.admin.tokens).",
        e instanceof BadCredentialsException ? "Bearer error=\"invalid_token\"" : "Bearer");
    ServerAccessDeniedHandler forbidden = (exchange, e) -> problems.write(exchange, HttpStatus.FORBIDDEN,
        "forbidden", "Forbidden", "This token's role may not do this; changes need an operator token.", null);

    AuthenticationWebFilter bearer = new AuthenticationWebFilter(authenticator);
    bearer.setServerAuthenticationConverter(AdminSecurity::bearerToken);
    bearer.setAuthenticationFailureHandler(new ServerAuthenticationEntryPointFailureHandler(unauthorized));
    bearer.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());

    return http
        // The order webhook is signed with its own shared secret (growth's OrderSignature), not a bearer token.
        .securityMatcher(new AndServerWebExchangeMatcher(ServerWebExchangeMatchers.pathMatchers(concat(API_PATHS, METRICS_PATHS)),
            new NegatedServerWebExchangeMatcher(ServerWebExchangeMatchers.pathMatchers(HttpMethod.POST, ORDERS_PATH))))
        .csrf(ServerHttpSecurity.CsrfSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
        .requestCache(c -> c.requestCache(NoOpServerRequestCache.getInstance()))
        .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
        .addFilterAt(bearer, SecurityWebFiltersOrder.AUTHENTICATION)
        .authorizeExchange(ex -> ex
            .pathMatchers(HttpMethod.GET).hasAnyRole("VIEWER", "OPERATOR")
            .pathMatchers(HttpMethod.HEAD).hasAnyRole("VIEWER", "OPERATOR")
            // Every write: operators only.
            .anyExchange().hasRole("OPERATOR"))
        .exceptionHandling(e -> e.authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden))
        .build();
  }

  /**
   * Spring Security's strict firewall for everything except the callback path, which only verifies a
   * signature and appends to the inbox: checking its URL and wrapping its headers there is pure cost.
   */
  @Bean
  ServerWebExchangeFirewall adminFirewall() {
    StrictServerWebExchangeFirewall strict = new StrictServerWebExchangeFirewall();
    return exchange -> exchange.getRequest().getPath().value().startsWith(CALLBACK_PREFIX)
        ? Mono.just(exchange) : strict.getFirewalledExchange(exchange);
  }

  private static String[] concat(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  /** {@code Authorization: Bearer <token>}; no header means anonymous (then 401), a malformed one 401. */
  private static Mono<Authentication> bearerToken(ServerWebExchange exchange) {
    String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (header == null) {
      return Mono.empty();
    }
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length()) || header.substring(BEARER.length()).isBlank()) {
      log.debug("Admin API request with a malformed Authorization header: {} {}",
          exchange.getRequest().getMethod(), exchange.getRequest().getPath());
      return Mono.error(new BadCredentialsException("Malformed Authorization header"));
    }
    String token = header.substring(BEARER.length()).trim();
    return Mono.just(UsernamePasswordAuthenticationToken.unauthenticated(null, token));
  }

  /** Writes problems with the application's codecs, as {@link ProblemHandling} does for controllers. */
  private record ProblemWriter(List<HttpMessageWriter<?>> writers) implements ServerResponse.Context {

    @Override
    public List<HttpMessageWriter<?>> messageWriters() {
      return writers;
    }

    @Override
    public List<ViewResolver> viewResolvers() {
      return List.of();
    }

    Mono<Void> write(ServerWebExchange exchange, HttpStatus status, String slug, String title, String detail,
        String wwwAuthenticate) {
      if (status == HttpStatus.UNAUTHORIZED || status == HttpStatus.FORBIDDEN) {
        log.warn("Admin API {}: {} {}", slug, exchange.getRequest().getMethod(), exchange.getRequest().getPath());
      }
      ProblemDetail pd = ProblemDetail.forStatusAndDetail(status, detail);
      pd.setType(Problem.type(slug));
      pd.setTitle(title);
      pd.setInstance(URI.create(exchange.getRequest().getPath().value()));
      ServerResponse.BodyBuilder response = ServerResponse.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON);
      if (wwwAuthenticate != null) {
        response.header(HttpHeaders.WWW_AUTHENTICATE, wwwAuthenticate);
      }
      return response.bodyValue(pd).flatMap(r -> r.writeTo(exchange, this));
    }
  }
}

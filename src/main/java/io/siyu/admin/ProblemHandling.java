package io.siyu.admin;

import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Every API error becomes an RFC 9457 problem. Spring's own exceptions (unsupported media type,
 * missing parameter, …) keep Spring's mapping but get a stable {@code urn:siyu:problem:*} type; bean
 * validation failures list their field errors.
 */
@RestControllerAdvice
class ProblemHandling extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandling.class);

  @Override
  protected Mono<ResponseEntity<Object>> handleWebExchangeBindException(
      WebExchangeBindException ex, org.springframework.http.HttpHeaders headers,
      org.springframework.http.HttpStatusCode status, ServerWebExchange exchange) {
    ProblemDetail body = ex.getBody();
    body.setType(Problem.type("invalid-request"));
    body.setTitle("Invalid request");
    List<Map<String, Object>> errors = ex.getFieldErrors().stream()
        .map(fe -> Map.<String, Object>of("field", fe.getField(),
            "message", fe.getDefaultMessage() == null ? "invalid" : fe.getDefaultMessage()))
        .toList();
    body.setProperty("errors", errors);
    return handleExceptionInternal(ex, body, headers, status, exchange);
  }

  @Override
  protected Mono<ResponseEntity<Object>> createResponseEntity(
      Object body, org.springframework.http.HttpHeaders headers,
      org.springframework.http.HttpStatusCode status, ServerWebExchange exchange) {
    if (body instanceof ProblemDetail pd && (pd.getType() == null || "about:blank".equals(pd.getType().toString()))) {
      HttpStatus resolved = HttpStatus.resolve(status.value());
      String slug = resolved == null ? "http-" + status.value()
          : resolved.name().toLowerCase().replace('_', '-');
      pd.setType(Problem.type(slug));
    }
    return super.createResponseEntity(body, headers, status, exchange);
  }

  @ExceptionHandler(Exception.class)
  Mono<ResponseEntity<ProblemDetail>> unexpected(Exception ex, ServerWebExchange exchange) {
    log.error("Unexpected error on {} {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), ex);
    ProblemDetail pd = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
        "The server could not complete the request; it has been logged.");
    pd.setType(Problem.type("internal-error"));
    pd.setTitle("Internal error");
    return Mono.just(ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(pd));
  }
}

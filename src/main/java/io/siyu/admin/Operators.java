package io.siyu.admin;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.core.context.SecurityContext;
import reactor.core.publisher.Mono;

/**
 * Who is calling the admin API, for audit fields: the {@code name} of the bearer token
 * ({@code siyu.admin.tokens[i].name}). A controller may equally take a {@link java.security.Principal}
 * argument; {@code principal.getName()} is the same name.
 *
 * <pre>
 * return Operators.current().flatMap(operator -&gt; stock.topUp(poolId, prizeId, amount, operator));
 * </pre>
 */
public final class Operators {

  private Operators() {}

  /** The token name of the current admin request; a 401 problem outside an authenticated request. */
  public static Mono<String> current() {
    return ReactiveSecurityContextHolder.getContext()
        .map(SecurityContext::getAuthentication)
        .filter(Authentication::isAuthenticated)
        .map(Authentication::getName)
        .switchIfEmpty(Mono.error(() -> new Problem(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized",
            "This operation needs an authenticated admin API caller.")));
  }
}

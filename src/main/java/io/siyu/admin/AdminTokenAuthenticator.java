package io.siyu.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import reactor.core.publisher.Mono;

/**
 * Checks a presented bearer token against the configured ones. Only SHA-256 digests are kept, and every
 * digest is compared in constant time, so neither timing nor a heap dump gives a token away. As a bean
 * it also keeps Spring Boot from creating its default user with a generated password.
 */
class AdminTokenAuthenticator implements ReactiveAuthenticationManager {

  private static final Logger log = LoggerFactory.getLogger(AdminTokenAuthenticator.class);

  private record Known(String name, AdminProperties.Role role, byte[] digest) {}

  private final List<Known> known;

  AdminTokenAuthenticator(AdminProperties props) {
    this.known = props.enabledTokens().stream()
        .map(t -> new Known(t.name(), t.role(), sha256(t.token())))
        .toList();
    if (known.isEmpty()) {
      log.warn("No admin API token is configured: /api/** answers 401 to every request. Set SIYU_ADMIN_OPERATOR_TOKEN"
          + " and/or SIYU_ADMIN_VIEWER_TOKEN (at least 16 characters), or list tokens under siyu.admin.tokens.");
    } else {
      log.info("Admin API: {} bearer token(s) configured ({})", known.size(),
          known.stream().map(k -> k.name() + "=" + k.role().name().toLowerCase()).toList());
    }
  }

  @Override
  public Mono<Authentication> authenticate(Authentication presented) {
    Object credentials = presented.getCredentials();
    if (!(credentials instanceof String token)) {
      return Mono.error(new BadCredentialsException("No bearer token"));
    }
    Known match = match(token);
    if (match == null) {
      return Mono.error(new BadCredentialsException("Unknown bearer token"));
    }
    return Mono.just(UsernamePasswordAuthenticationToken.authenticated(match.name(), null,
        AuthorityUtils.createAuthorityList("ROLE_" + match.role().name())));
  }

  private Known match(String token) {
    byte[] digest = sha256(token);
    Known found = null;
    // No early exit: the time taken does not depend on which entry, if any, matched.
    for (Known k : known) {
      if (MessageDigest.isEqual(k.digest(), digest) && found == null) {
        found = k;
      }
    }
    return found;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}

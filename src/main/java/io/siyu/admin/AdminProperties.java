package io.siyu.admin;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Bearer tokens of the admin API ({@code /api/**}). {@code GET}/{@code HEAD} need a viewer or operator
 * token, every other method an operator token. An entry whose token is empty (its environment variable
 * is unset) is skipped; with no token at all the admin API answers 401 to everyone.
 *
 * <pre>
 * siyu:
 *   admin:
 *     tokens:
 *       - name: operator                          # the identity recorded in audit fields
 *         token: ${SIYU_ADMIN_OPERATOR_TOKEN:}    # at least 16 characters, no spaces
 *         role: operator                          # viewer | operator
 *       - name: viewer
 *         token: ${SIYU_ADMIN_VIEWER_TOKEN:}
 *         role: viewer
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.admin")
public record AdminProperties(@DefaultValue List<@Valid @NotNull Token> tokens) {

  private static final Pattern WELL_FORMED = Pattern.compile("\\S{16,}");

  /** What a token may do. */
  public enum Role {
    /** Reads: {@code GET} and {@code HEAD}. */
    VIEWER,
    /** Reads and changes. */
    OPERATOR
  }

  /**
   * One named bearer token. {@code toString} leaves the token out, and so does the start-up error for a
   * bad token (a bean-validation constraint would print the rejected value).
   */
  public record Token(@NotBlank String name, String token, @NotNull Role role) {

    public Token {
      if (token != null && !token.isEmpty() && !WELL_FORMED.matcher(token).matches()) {
        throw new IllegalArgumentException("token of '" + name + "' must be empty (entry skipped) or at least 16"
            + " characters without spaces (the value is not shown)");
      }
    }

    /** Configured with a token (an empty one comes from an unset environment variable). */
    public boolean enabled() {
      return token != null && !token.isEmpty();
    }

    @Override
    public String toString() {
      return "Token[" + name + ", " + role + "]";
    }
  }

  /** Tokens actually in use. */
  public List<Token> enabledTokens() {
    return tokens.stream().filter(t -> t != null && t.enabled()).toList();
  }

  @AssertTrue(message = "tokens: each enabled token needs its own value and its own name (the name is the audit identity)")
  boolean isEachTokenDistinct() {
    Set<String> values = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (Token t : enabledTokens()) {
      if (!values.add(t.token()) || !names.add(t.name())) {
        return false;
      }
    }
    return true;
  }
}

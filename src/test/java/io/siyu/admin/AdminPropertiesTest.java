package io.siyu.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class AdminPropertiesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({AdminProperties.class, LinkProperties.class})
  static class Config {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Config.class);

  @Test
  void bindsTokensWithLowercaseRolesAndSkipsEmptyOnes() {
    runner.withPropertyValues(
            "siyu.admin.tokens[0].name=ops", "siyu.admin.tokens[0].token=0123456789abcdef", "siyu.admin.tokens[0].role=operator",
            "siyu.admin.tokens[1].name=viewer", "siyu.admin.tokens[1].token=", "siyu.admin.tokens[1].role=viewer")
        .run(ctx -> {
          AdminProperties p = ctx.getBean(AdminProperties.class);
          assertThat(p.tokens()).hasSize(2);
          assertThat(p.enabledTokens()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("ops");
            assertThat(t.role()).isEqualTo(AdminProperties.Role.OPERATOR);
            assertThat(t.toString()).doesNotContain("0123456789abcdef");
          });
        });
  }

  @Test
  void bindsNoTokensByDefault() {
    runner.run(ctx -> assertThat(ctx.getBean(AdminProperties.class).enabledTokens()).isEmpty());
  }

  @Test
  void rejectsATokenWithSpacesNamingTheKeyWithoutShowingTheValue() {
    runner.withPropertyValues("siyu.admin.tokens[0].name=ops", "siyu.admin.tokens[0].token=01234567 89abcdefgh",
            "siyu.admin.tokens[0].role=operator")
        .run(ctx -> assertThat(messages(ctx)).contains("siyu.admin.tokens[0]", "at least 16 characters")
            .doesNotContain("01234567 89abcdefgh"));
  }

  @Test
  void rejectsATokenShorterThan16CharactersWithoutShowingIt() {
    runner.withPropertyValues("siyu.admin.tokens[0].name=ops", "siyu.admin.tokens[0].token=short-secret",
            "siyu.admin.tokens[0].role=operator")
        .run(ctx -> {
          assertThat(messages(ctx)).contains("siyu.admin.tokens[0]").doesNotContain("short-secret");
        });
  }

  @Test
  void rejectsABlankNameNamingTheKey() {
    runner.withPropertyValues("siyu.admin.tokens[0].name= ", "siyu.admin.tokens[0].token=0123456789abcdef",
            "siyu.admin.tokens[0].role=operator")
        .run(ctx -> assertThat(messages(ctx)).contains("tokens[0].name"));
  }

  @Test
  void rejectsAnUnknownRoleNamingTheKey() {
    runner.withPropertyValues("siyu.admin.tokens[0].name=ops", "siyu.admin.tokens[0].token=0123456789abcdef",
            "siyu.admin.tokens[0].role=admin")
        .run(ctx -> assertThat(messages(ctx)).contains("siyu.admin.tokens[0].role"));
  }

  @Test
  void rejectsAMissingRole() {
    runner.withPropertyValues("siyu.admin.tokens[0].name=ops", "siyu.admin.tokens[0].token=0123456789abcdef")
        .run(ctx -> assertThat(messages(ctx)).contains("tokens[0].role"));
  }

  @Test
  void rejectsTwoEntriesWithTheSameToken() {
    runner.withPropertyValues(
            "siyu.admin.tokens[0].name=a", "siyu.admin.tokens[0].token=0123456789abcdef", "siyu.admin.tokens[0].role=viewer",
            "siyu.admin.tokens[1].name=b", "siyu.admin.tokens[1].token=0123456789abcdef", "siyu.admin.tokens[1].role=operator")
        .run(ctx -> assertThat(messages(ctx)).contains("own value and its own name"));
  }

  @Test
  void rejectsALinkSecretShorterThan32CharactersWithoutShowingIt() {
    runner.withPropertyValues("siyu.links.secret=too-short-link-secret")
        .run(ctx -> {
          assertThat(messages(ctx)).contains("siyu.links", "at least 32 characters").doesNotContain("too-short-link-secret");
        });
  }

  @Test
  void rejectsALinkBaseUrlThatIsNotHttp() {
    runner.withPropertyValues("siyu.links.base-url=ftp://example.com")
        .run(ctx -> assertThat(messages(ctx)).contains("base-url"));
  }

  /** Every message of the start-up failure's cause chain: what the operator reads in the log. */
  private static String messages(org.springframework.boot.test.context.assertj.AssertableApplicationContext ctx) {
    assertThat(ctx).hasFailed();
    StringBuilder all = new StringBuilder();
    for (Throwable t = ctx.getStartupFailure(); t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }
}

package io.siyu.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

class SandboxModeConditionTest {

  /** Stands for any sandbox bean; has no dependencies so only the condition decides. */
  @Configuration(proxyBeanMethods = false)
  @SandboxOnly
  static class Probe {}

  @Configuration(proxyBeanMethods = false)
  @Import({Probe.class, SandboxWecom.class, SandboxApiController.class, SandboxAdminController.class})
  static class Beans {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withUserConfiguration(Beans.class)
      .withPropertyValues("siyu.wecom.apps.contact.agent-id=1000001");

  @Test
  void sandboxEndpointsDoNotExistWhenRealCredentialsAreConfigured() {
    runner.withPropertyValues("siyu.wecom.corp-id=ww1234567890", "siyu.wecom.apps.contact.secret=s",
            "siyu.wecom.apps.contact.token=tok", "siyu.wecom.apps.contact.aes-key=" + "a".repeat(43))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(Probe.class);
          assertThat(ctx).doesNotHaveBean(SandboxWecom.class);
          assertThat(ctx).doesNotHaveBean(SandboxApiController.class);
          assertThat(ctx).doesNotHaveBean(SandboxAdminController.class);
        });
  }

  @Test
  void sandboxIsOffInRealModeEvenIfTheConfigurationIsIncomplete() {
    runner.withPropertyValues("siyu.wecom.mode=real")
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(Probe.class));
  }

  @Test
  void sandboxIsOnInAutoModeWithoutCredentials() {
    new ApplicationContextRunner().withUserConfiguration(Probe.class)
        .withPropertyValues("siyu.wecom.apps.contact.agent-id=1000001")
        .run(ctx -> assertThat(ctx).hasSingleBean(Probe.class));
  }
}

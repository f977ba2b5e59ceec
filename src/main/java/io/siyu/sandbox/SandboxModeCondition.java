package io.siyu.sandbox;

import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * True when {@link WecomApps#resolve} would pick the sandbox. Conditions run before beans exist, so the
 * WeCom properties are bound here from the environment and resolved by the same code as the real bean.
 */
class SandboxModeCondition implements Condition {

  @Override
  public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
    WecomProperties props = Binder.get(context.getEnvironment())
        .bind("siyu.wecom", WecomProperties.class).orElse(null);
    if (props == null) {
      return false;
    }
    try {
      return WecomApps.resolve(props).sandbox();
    } catch (IllegalStateException invalidConfiguration) {
      // The WecomApps bean fails start-up with the precise message; never expose the sandbox meanwhile.
      return false;
    }
  }
}

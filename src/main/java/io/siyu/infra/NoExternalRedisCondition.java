package io.siyu.infra;

import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** True when the embedded Redis is enabled and no external Redis, Sentinel or Cluster is configured. */
class NoExternalRedisCondition implements Condition {

  @Override
  public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
    Environment env = context.getEnvironment();
    if (!env.getProperty("siyu.redis.embedded.enabled", Boolean.class, true)) {
      return false;
    }
    for (String key : new String[] {"spring.data.redis.host", "spring.data.redis.url",
        "spring.data.redis.cluster.nodes", "spring.data.redis.sentinel.master"}) {
      String value = env.getProperty(key);
      if (value != null && !value.isBlank()) {
        return false;
      }
    }
    return true;
  }
}

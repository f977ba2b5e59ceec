package io.siyu.infra;

import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * Starts the embedded Redis when no external one is configured, and hands Spring Boot its address as
 * {@link DataRedisConnectionDetails}, so Boot's own Redis auto-configuration backs off its properties.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(NoExternalRedisCondition.class)
class EmbeddedRedisConfiguration {

  @Bean(destroyMethod = "close")
  EmbeddedRedis embeddedRedis(EmbeddedRedisProperties props) {
    return EmbeddedRedis.start(props);
  }

  @Bean
  DataRedisConnectionDetails embeddedRedisConnectionDetails(EmbeddedRedis redis) {
    return new DataRedisConnectionDetails() {
      @Override
      public Standalone getStandalone() {
        return Standalone.of("127.0.0.1", redis.port());
      }
    };
  }
}

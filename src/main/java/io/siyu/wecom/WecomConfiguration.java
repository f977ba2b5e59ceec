package io.siyu.wecom;

import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

@Configuration(proxyBeanMethods = false)
class WecomConfiguration {

  @Bean
  WecomApps wecomApps(WecomProperties props) {
    return WecomApps.resolve(props);
  }

  @Bean
  WecomRateLimiter wecomRateLimiter(ReactiveStringRedisTemplate redis, WecomClientProperties props, Clock clock) {
    return new WecomRateLimiter(redis, props, clock);
  }
}

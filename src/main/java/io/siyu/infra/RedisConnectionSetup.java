package io.siyu.infra;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Opens Lettuce's shared connections when the factory starts, before any traffic.
 *
 * <p>Created lazily, the first imperative use (WxJava's token storage on a {@code wecom} thread) opened the
 * shared connection while holding the factory's lock, and the connection's handshake needed a Lettuce
 * event-loop thread that was itself waiting for that lock to get the reactive connection: a deadlock,
 * seen in the test suite and possible at start-up under load.
 */
@Configuration(proxyBeanMethods = false)
class RedisConnectionSetup {

  @Bean
  static BeanPostProcessor eagerLettuceConnections() {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof LettuceConnectionFactory factory) {
          factory.setEagerInitialization(true);
        }
        return bean;
      }
    };
  }
}

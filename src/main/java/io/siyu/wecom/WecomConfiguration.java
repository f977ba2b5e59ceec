package io.siyu.wecom;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class WecomConfiguration {

  @Bean
  WecomApps wecomApps(WecomProperties props) {
    return WecomApps.resolve(props);
  }
}

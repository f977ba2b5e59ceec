package io.siyu.ingress;

import io.micrometer.observation.ObservationPredicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/**
 * Callbacks are measured by {@code siyu.callbacks} and {@code siyu.callback.ack} (with app, kind and
 * outcome, which Spring's generic {@code http.server.requests} cannot know), so the generic observation
 * is skipped on the callback path: it was a visible share of the ack path's CPU for a duplicate number.
 */
@Configuration(proxyBeanMethods = false)
class IngressObservationConfiguration {

  static final String CALLBACK_PATH_PREFIX = "/wecom/callback/";

  @Bean
  ObservationPredicate skipGenericObservationOfCallbacks() {
    return (name, context) -> !(context instanceof ServerRequestObservationContext server
        && server.getCarrier().getPath().value().startsWith(CALLBACK_PATH_PREFIX));
  }
}

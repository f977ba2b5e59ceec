package io.siyu.audience;

import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Persons in Redis: one hash per person under {@code {p:<id>}}, plus an external_userid → id index. */
@Component
public class PersonStore {

  public Mono<Person> find(String personId) {
    return Mono.error(new IllegalStateException("person store not built yet"));
  }

  public Mono<String> idOfExternalUser(String externalUserId) {
    return Mono.error(new IllegalStateException("person store not built yet"));
  }
}

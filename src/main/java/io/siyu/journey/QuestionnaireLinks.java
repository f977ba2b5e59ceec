package io.siyu.journey;

import reactor.core.publisher.Mono;

/** The per-person questionnaire link put into the welcome message ({@code {questionnaireLink}}). */
public interface QuestionnaireLinks {

  Mono<String> linkFor(String personId);
}

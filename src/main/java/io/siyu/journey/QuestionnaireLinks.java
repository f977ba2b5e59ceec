package io.siyu.journey;

import reactor.core.publisher.Mono;

/**
 * The per-person questionnaire link put into the welcome message ({@code {questionnaireLink}}). The
 * questionnaire feature provides the signed-link bean; until then {@link Pending} answers
 * {@code <public-base-url>/q/pending}.
 */
public interface QuestionnaireLinks {

  Mono<String> linkFor(String personId);

  /** The placeholder link, used while no other {@link QuestionnaireLinks} bean exists. */
  final class Pending implements QuestionnaireLinks {

    private final String link;

    Pending(JourneyProperties props) {
      this.link = props.publicBaseUrl().replaceAll("/+$", "") + "/q/pending";
    }

    @Override
    public Mono<String> linkFor(String personId) {
      return Mono.just(link);
    }
  }
}

package io.siyu.journey;

import io.siyu.admin.SignedLinks;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Questionnaire links and tokens on the shared {@link SignedLinks} (HMAC-signed, expiring, per person,
 * purpose {@code questionnaire}): the link is {@code <siyu.links.base-url>/q/<token>}, and the person id of
 * a page request comes only from the verified token.
 */
@Component
class QuestionnaireSignedLinks implements QuestionnaireLinks, QuestionnaireTokens {

  static final String PURPOSE = "questionnaire";

  private final SignedLinks links;
  private final QuestionnaireProperties props;

  QuestionnaireSignedLinks(SignedLinks links, QuestionnaireProperties props) {
    this.links = links;
    this.props = props;
  }

  @Override
  public Mono<String> linkFor(String personId) {
    return Mono.fromSupplier(() -> links.url("/q", sign(personId)));
  }

  @Override
  public String sign(String personId) {
    return links.sign(PURPOSE, personId, props.linkTtl());
  }

  @Override
  public Result verify(String token) {
    SignedLinks.Verified verified = links.verify(PURPOSE, token);
    if (verified.ok()) {
      return Result.valid(verified.personId());
    }
    return verified.failure() == SignedLinks.Failure.EXPIRED ? Result.EXPIRED : Result.TAMPERED;
  }
}

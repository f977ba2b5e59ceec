package io.siyu.journey;

import org.springframework.context.annotation.Primary;
import org.springframework.stereotype.Component;

/** The questionnaire link for a person: {@code <base-url>/q/<signed token>}. */
@Primary
@Component
class QuestionnaireSignedLinks implements QuestionnaireLinks {

  private final QuestionnaireTokens tokens;
  private final QuestionnaireProperties props;

  QuestionnaireSignedLinks(QuestionnaireTokens tokens, QuestionnaireProperties props) {
    this.tokens = tokens;
    this.props = props;
  }

  @Override
  public String linkFor(String personId) {
    return props.baseUrl() + "/q/" + tokens.sign(personId);
  }
}

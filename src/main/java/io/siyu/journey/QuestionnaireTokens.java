package io.siyu.journey;

/**
 * Per-person signed, expiring questionnaire tokens. The person id comes from the verified token only,
 * never from the request. Implemented on the shared signed links by {@link QuestionnaireSignedLinks}.
 */
interface QuestionnaireTokens {

  String sign(String personId);

  Result verify(String token);

  enum Status { VALID, EXPIRED, TAMPERED }

  /** @param personId set only when {@code status} is VALID */
  record Result(Status status, String personId) {
    static Result valid(String personId) {
      return new Result(Status.VALID, personId);
    }

    static final Result EXPIRED = new Result(Status.EXPIRED, null);
    static final Result TAMPERED = new Result(Status.TAMPERED, null);
  }
}

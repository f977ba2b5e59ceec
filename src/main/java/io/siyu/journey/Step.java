package io.siyu.journey;

/** The onboarding steps; each earns exactly one blind-box draw per person. */
public enum Step {
  FOLLOW, QUESTIONNAIRE, JOIN_GROUP;

  public String id() {
    return name().toLowerCase();
  }
}

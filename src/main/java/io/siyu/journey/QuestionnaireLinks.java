package io.siyu.journey; public interface QuestionnaireLinks { String linkFor(String personId); }

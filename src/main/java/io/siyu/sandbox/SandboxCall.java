package io.siyu.sandbox;

import java.time.Instant;
import java.util.Map;

/**
 * One call to the sandbox API as the call log keeps it: the app is resolved from the access token,
 * {@code request} holds the query and body fields (never the secret or the token), {@code dropped} marks
 * a call WeCom answered with success but did not deliver (message/send over 30 per minute).
 */
public record SandboxCall(long seq, Instant at, String api, String app, Map<String, Object> request, int errcode,
    boolean dropped, Map<String, Object> detail) {}

package io.siyu.journey;

import io.siyu.blindbox.DrawResult;
import java.time.Instant;
import tools.jackson.databind.json.JsonMapper;

/**
 * The compact JSON of a draw kept in the person's journey hash ({@code <step>:draw}); the person, step and
 * replay flag are implied by where it is stored.
 */
record StoredDraw(String pool, String o, String id, String n, String k, String c, long t) {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  static String toJson(DrawResult d) {
    return JSON.writeValueAsString(new StoredDraw(d.poolId(), d.outcome().name(), d.prizeId(), d.prizeName(),
        d.kind() == null ? null : d.kind().name(), d.couponCode(), d.drawnAt() == null ? 0 : d.drawnAt().toEpochMilli()));
  }

  static DrawResult fromJson(String personId, Step step, String json, boolean replay) {
    StoredDraw s = JSON.readValue(json, StoredDraw.class);
    return new DrawResult(personId, step.id(), s.pool, DrawResult.Outcome.valueOf(s.o), s.id, s.n,
        s.k == null ? null : DrawResult.PrizeKind.valueOf(s.k), s.c, replay, Instant.ofEpochMilli(s.t));
  }
}

package io.siyu.blindbox;

import java.time.Instant;

/**
 * The result of one blind-box draw for (person, step). A replayed draw returns the first result with
 * {@code replay} true; nothing is drawn twice.
 *
 * @param outcome  WON (a stocked prize), FALLBACK (everything out of stock: the pool's fallback prize),
 *                 EMPTY (out of stock and no fallback), BLACKLISTED (no draw for this person)
 * @param prizeId  null unless WON or FALLBACK
 * @param couponCode the unique code assigned, for coupon prizes
 */
public record DrawResult(String personId, String step, String poolId, Outcome outcome, String prizeId,
                         String prizeName, PrizeKind kind, String couponCode, boolean replay, Instant drawnAt) {

  public enum Outcome { WON, FALLBACK, EMPTY, BLACKLISTED }

  public enum PrizeKind { SAMPLE, COUPON, SERVICE, POINTS }
}

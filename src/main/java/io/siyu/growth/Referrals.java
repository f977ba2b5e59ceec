package io.siyu.growth;

import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Referrals: a follow whose add-event State is {@code siyu.growth.referral-state-prefix} + a person id
 * (default {@code ref-<id>}) credits that person with a {@code referral} interaction keyed by the new
 * person's id (attribute {@code referred}), so once per referred person however often they re-add.
 * An unknown referrer, or a person referring themselves, is skipped.
 */
@Component
public class Referrals {

  private static final Logger log = LoggerFactory.getLogger(Referrals.class);

  private final Interactions interactions;
  private final GrowthProperties props;
  private final Clock clock;

  Referrals(Interactions interactions, GrowthProperties props, Clock clock) {
    this.interactions = interactions;
    this.props = props;
    this.clock = clock;
  }

  /** The referrer a State names, or null when it is not a referral State. */
  public String referrerOf(String state) {
    String prefix = props.referralStatePrefix();
    if (state == null || !state.startsWith(prefix) || state.length() == prefix.length()) {
      return null;
    }
    return state.substring(prefix.length());
  }

  /** Records the referral a follow with {@code state} means, if any; idempotent. */
  public Mono<Void> followed(String newPersonId, String state) {
    String referrer = referrerOf(state);
    if (referrer == null || referrer.equals(newPersonId)) {
      return Mono.empty();
    }
    return interactions.record(new Interaction(referrer, "referral", newPersonId, clock.instant(),
            Map.of("referred", newPersonId)))
        .onErrorResume(UnknownPersonException.class, e -> {
          log.debug("referral State names an unknown person; skipped");
          return Mono.empty();
        })
        .onErrorResume(InvalidInteractionException.class, e -> {
          log.debug("referral State names no valid person id; skipped");
          return Mono.empty();
        })
        .then();
  }
}

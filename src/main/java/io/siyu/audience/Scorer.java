package io.siyu.audience;

import io.siyu.infra.RedisKeys;
import io.siyu.growth.GrowthProperties;
import io.siyu.infra.SiyuProperties;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Computes a person's scores from their profile: lifecycle stage (first matching rule), RFM 1–5 and the
 * value score with the super-user flag. Cut points come from {@link Cuts}: the configured thresholds, or
 * in quantile mode those the last sweep stored; the super-user threshold always comes from the last sweep
 * (until the first sweep nobody is super).
 *
 * <p>RFM rule, for persons with at least one order (others score 1,1,1): R = 5 when the days since the
 * last order are ≤ the first cut point, 4 when ≤ the second, 3 when ≤ the third, 2 when ≤ the fourth,
 * else 1 (fewer days is better); F and M = 1 + the number of cut points the orders count (F) or the spend
 * in yuan (M) reaches (≥).
 */
@Component
class Scorer {

  /** Cut points: four ascending per RFM dimension, and the lowest value score that is super. */
  record Cuts(double[] r, double[] f, double[] m, int superThreshold) {}

  record Stage(String stage, Expressions.Condition when) {}

  private final AudienceProperties props;
  private final ReactiveStringRedisTemplate redis;
  private final ZoneId zone;
  private final List<Stage> stages;
  private final List<Integer> windowDays;
  private final String longestWindow;

  /** The rolling windows are growth's ({@code siyu.growth.windows}): it writes them, this reads them. */
  Scorer(AudienceProperties props, GrowthProperties growth, ReactiveStringRedisTemplate redis, SiyuProperties siyu) {
    this.props = props;
    this.redis = redis;
    this.zone = siyu.zone();
    this.stages = props.lifecycle().stream().map(r -> new Stage(r.stage(), Expressions.parse(r.when()))).toList();
    this.windowDays = growth.windowDays();
    this.longestWindow = windowDays.stream().max(Integer::compare).orElse(30) + "d";
  }

  ZoneId zone() {
    return zone;
  }

  List<Integer> windowDays() {
    return windowDays;
  }

  Profile profile(Map<String, String> hash, Instant now) {
    return Profile.from(hash, now, zone, windowDays);
  }

  /** The cut points in force (one HGETALL). */
  Mono<Cuts> cuts() {
    return redis.<String, String>opsForHash().entries(RedisKeys.audienceCuts())
        .collectMap(Map.Entry::getKey, Map.Entry::getValue).map(this::cuts);
  }

  Cuts cuts(Map<String, String> stored) {
    AudienceProperties.Rfm rfm = props.rfm();
    boolean q = rfm.mode() == AudienceProperties.RfmMode.QUANTILES && stored.containsKey("r4");
    int superThreshold = stored.containsKey("super") ? Integer.parseInt(stored.get("super")) : 101;
    return new Cuts(q ? read(stored, "r") : array(rfm.recencyDays()), q ? read(stored, "f") : array(rfm.frequency()),
        q ? read(stored, "m") : array(rfm.monetary()), superThreshold);
  }

  Profile.Scores score(Profile p, Cuts cuts, long now) {
    String stage = "intro";
    for (Stage s : stages) {
      if (s.when().test(p)) {
        stage = s.stage();
        break;
      }
    }
    long stageAt = stage.equals(p.stage()) && p.stageAt() != null ? p.stageAt() : now;
    int value = value(p);
    return new Profile.Scores(stage, stageAt, rfm(p, cuts), value, value > 0 && value >= cuts.superThreshold());
  }

  static Profile.Rfm rfm(Profile p, Cuts cuts) {
    if (p.orders() <= 0 || p.daysSinceLastOrder() == null) {
      return Profile.Rfm.NONE;
    }
    long d = p.daysSinceLastOrder();
    int r = 1;
    for (int i = 3; i >= 0; i--) {
      if (d <= cuts.r()[i]) {
        r = 5 - i;
      }
    }
    return new Profile.Rfm(r, 1 + reached(p.orders(), cuts.f()), 1 + reached(p.spend(), cuts.m()));
  }

  private static int reached(double x, double[] cuts) {
    int n = 0;
    for (double c : cuts) {
      if (x >= c) {
        n++;
      }
    }
    return n;
  }

  /** Weighted consumption, interaction, content and social parts, each 0–100 against its "full" value. */
  int value(Profile p) {
    AudienceProperties.Value v = props.value();
    AudienceProperties.Parts w = v.weights();
    AudienceProperties.Parts full = v.full();
    double interaction = p.windows().get(longestWindow).get("*");
    double sum = w.consumption() * part(p.spend(), full.consumption())
        + w.interaction() * part(interaction, full.interaction())
        + w.content() * part(p.ugc() + v.ugcEngagementFactor() * p.ugcEngagement(), full.content())
        + w.social() * part(p.referrals() + p.groups(), full.social());
    double weights = w.consumption() + w.interaction() + w.content() + w.social();
    return (int) Math.round(sum / weights);
  }

  private static double part(double x, double full) {
    return full <= 0 ? 0 : Math.min(1, Math.max(0, x / full)) * 100;
  }

  private static double[] array(List<Double> l) {
    double[] out = new double[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i);
    }
    return out;
  }

  private static double[] read(Map<String, String> m, String prefix) {
    double[] a = new double[4];
    for (int i = 0; i < 4; i++) {
      a[i] = Double.parseDouble(m.get(prefix + (i + 1)));
    }
    return a;
  }
}

package io.siyu.bench;

import io.siyu.blindbox.BlindBox;
import io.siyu.blindbox.BlindBoxProperties;
import io.siyu.blindbox.BlindBoxProperties.Fallback;
import io.siyu.blindbox.BlindBoxProperties.Pool;
import io.siyu.blindbox.BlindBoxProperties.Prize;
import io.siyu.blindbox.DrawResult;
import io.siyu.blindbox.DrawResult.Outcome;
import io.siyu.blindbox.DrawResult.PrizeKind;
import io.siyu.infra.EmbeddedRedis;
import io.siyu.infra.EmbeddedRedisProperties;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/**
 * The load behind {@code scripts/bench-draws.sh}: {@link BlindBox#draw} (the draw script through one
 * real, shared Lettuce connection, as in the server) against a fresh embedded redis-server 6.2, with
 * {@code concurrency} draws in flight. The pool has less stock than there are draws, so the run covers
 * the out-of-stock path too. Afterwards it proves zero oversell from Redis: for every prize, prizes won
 * plus stock left equals the initial stock; every coupon code issued is unique and was uploaded; stats
 * agree with the results.
 *
 * <p>Arguments: {@code count concurrency warmup appendfsync dir}.
 */
public final class BlindBoxDrawLoad {

  private BlindBoxDrawLoad() {}

  public static void main(String[] args) throws Exception {
    // No Spring Boot logging here: logback's default would print Lettuce's DEBUG lines for every command.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    int count = Integer.parseInt(args[0]);
    int concurrency = Integer.parseInt(args[1]);
    int warm = Integer.parseInt(args[2]);
    String fsync = args[3];
    String dir = args[4];

    EmbeddedRedis server = EmbeddedRedis.start(new EmbeddedRedisProperties(true, 0, dir, true, fsync, false));
    LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", server.port()));
    factory.afterPropertiesSet();
    factory.start();
    int exit;
    try {
      ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
      // Stock for half the draws: 5 stocked prizes by weight, coupons backed by fewer codes than stock.
      int half = count / 2;
      List<Prize> prizes = List.of(
          new Prize("trial-pack", "精华体验装", PrizeKind.SAMPLE, 40, half * 2 / 5, 1, null),
          new Prize("coupon-20", "满199减20优惠券", PrizeKind.COUPON, 30, half * 3 / 10, 1, null),
          new Prize("counter-spa", "专柜SPA护理体验", PrizeKind.SERVICE, 5, half / 20, 1, null),
          new Prize("points-50", "50 积分", PrizeKind.POINTS, 20, half / 5, 1, 50),
          new Prize("coupon-50", "满399减50优惠券", PrizeKind.COUPON, 5, half / 20, 1, null));
      Fallback thanks = new Fallback("thanks", "谢谢参与 + 10 积分", PrizeKind.POINTS, 10);
      Map<String, Pool> pools = new LinkedHashMap<>();
      pools.put("bench", new Pool("压测", prizes, thanks));
      pools.put("warmup", new Pool("预热", prizes, thanks));
      BlindBox box = new BlindBox(redis, new BlindBoxProperties(pools), Clock.systemUTC(), null);
      box.initialiseStock().block(Duration.ofSeconds(30));
      Map<String, Integer> codesUploaded = new HashMap<>();
      for (String pool : pools.keySet()) {
        for (Prize p : prizes) {
          if (p.kind() == PrizeKind.COUPON) {
            int n = p.initialStock() * 4 / 5; // fewer codes than stock: codes must run out first
            for (int from = 0; from < n; from += 100_000) {
              List<String> codes = IntStream.range(from, Math.min(n, from + 100_000))
                  .mapToObj(i -> pool + "-" + p.id() + "-" + i).toList();
              box.addCodes(pool, p.id(), codes).block(Duration.ofSeconds(60));
            }
            codesUploaded.put(pool + "/" + p.id(), n);
          }
        }
      }

      run(box, "warmup", "w", warm, concurrency); // JIT Reactor, Lettuce and our code before measuring
      Run measured = run(box, "bench", "b", count, concurrency);

      // Zero-oversell check, from Redis and from the results.
      Map<String, Long> stock = box.stock("bench").block(Duration.ofSeconds(10));
      Map<String, Long> won = new HashMap<>();
      Set<String> codesIssued = new HashSet<>();
      long codeResults = 0;
      long replays = 0;
      Map<Outcome, Long> outcomes = new HashMap<>();
      for (DrawResult r : measured.results()) {
        outcomes.merge(r.outcome(), 1L, Long::sum);
        replays += r.replay() ? 1 : 0;
        if (r.outcome() == Outcome.WON) {
          won.merge(r.prizeId(), 1L, Long::sum);
        }
        if (r.couponCode() != null) {
          codeResults++;
          codesIssued.add(r.couponCode());
        }
      }
      boolean exact = measured.results().size() == count && replays == 0;
      StringBuilder perPrize = new StringBuilder();
      for (Prize p : prizes) {
        long w = won.getOrDefault(p.id(), 0L);
        long left = stock.get(p.id());
        boolean ok = left >= 0 && w + left == p.initialStock();
        if (p.kind() == PrizeKind.COUPON) {
          long codesLeft = box.codesRemaining("bench", p.id()).block(Duration.ofSeconds(10));
          ok &= w + codesLeft == codesUploaded.get("bench/" + p.id());
        }
        exact &= ok;
        perPrize.append(String.format(Locale.ROOT, "  %-12s initial %7d  won %7d  left %7d  %s%n",
            p.id(), p.initialStock(), w, left, ok ? "ok" : "MISMATCH"));
      }
      boolean codesUnique = codesIssued.size() == codeResults
          && codesIssued.stream().allMatch(c -> c.startsWith("bench-"));
      exact &= codesUnique;
      BlindBox.Stats stats = box.stats("bench").block(Duration.ofSeconds(10));
      exact &= stats.draws() == count && stats.fallbacks() == outcomes.getOrDefault(Outcome.FALLBACK, 0L);

      System.out.printf(Locale.ROOT, "draws              %d (%d warm-up first), concurrency %d, one shared Lettuce connection%n",
          count, warm, concurrency);
      System.out.printf(Locale.ROOT, "draws/s            %.0f%n", measured.perSecond());
      System.out.printf(Locale.ROOT, "draw p50           %.2f ms%n", measured.p(50));
      System.out.printf(Locale.ROOT, "draw p99           %.2f ms%n", measured.p(99));
      System.out.printf(Locale.ROOT, "draw max           %.2f ms%n", measured.p(100));
      System.out.printf(Locale.ROOT, "outcomes           %s%n", outcomes);
      System.out.print(perPrize);
      System.out.printf(Locale.ROOT, "coupon codes       %d issued, %s%n", codeResults, codesUnique ? "all unique" : "DUPLICATES");
      System.out.println(exact ? "RESULT ok: zero oversell, no code issued twice" : "RESULT MISMATCH: oversold or codes reused");
      exit = exact ? 0 : 1;
    } finally {
      factory.destroy();
      server.close();
    }
    System.exit(exit);
  }

  record Run(long nanos, Histogram latency, List<DrawResult> results) {
    double perSecond() {
      return results.size() / (nanos / 1e9);
    }

    double p(double percentile) {
      return (percentile >= 100 ? latency.getMaxValue() : latency.getValueAtPercentile(percentile)) / 1e6;
    }
  }

  private static Run run(BlindBox box, String pool, String prefix, int count, int concurrency) {
    Recorder recorder = new Recorder(3);
    ConcurrentLinkedQueue<DrawResult> results = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    Flux.range(0, count)
        .flatMap(i -> {
          long t0 = System.nanoTime();
          return box.draw(prefix + i, "follow", pool).doOnNext(r -> {
            recorder.recordValue(System.nanoTime() - t0);
            results.add(r);
          });
        }, concurrency)
        .blockLast(Duration.ofMinutes(10));
    long nanos = System.nanoTime() - start;
    return new Run(nanos, recorder.getIntervalHistogram(), new ArrayList<>(results));
  }
}

package io.siyu.bench;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.siyu.audience.AudienceProperties;
import io.siyu.audience.AudienceRebuilds;
import io.siyu.growth.GrowthProperties;
import io.siyu.growth.Windows;
import io.siyu.infra.EmbeddedRedis;
import io.siyu.infra.EmbeddedRedisProperties;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * The load behind {@code scripts/bench-segments.sh}: generates N realistic profiles (the field mix of
 * {@code AudienceIntegrationTest.aTypicalProfileFitsInOneAndAHalfKilobytes}: identity, ~6 tags from a skewed
 * vocabulary, 4 answers, counters for several kinds, two windows, orders for ~30 %, growth/level/points,
 * a follows hash) into a fresh embedded redis-server 6.2 with pipelined HSETs, defines 5 segments in the
 * configuration, then runs {@link AudienceRebuilds#rebuild} (the app's beans, as the server wires them,
 * one shared Lettuce connection) three times: the first pass writes everyone's scores, the later ones are
 * the steady-state sweep. The clock is fixed at the generation time, so a pass sees exactly the ages the
 * generator computed. Every segment's set size must equal the count the generator computed with plain Java
 * (the rules re-implemented, not SpEL): exits non-zero otherwise. Then Redis memory per profile.
 *
 * <p>Arguments: {@code profiles appendfsync dir passes}.
 */
public final class SegmentRebuildLoad {

  private SegmentRebuildLoad() {}

  static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
  static final String[] SEGMENTS = {"oily-growth-r4", "super-users", "dormant-points", "new-this-week", "high-value-buyers"};
  static final String[] EXPRESSIONS = {
      "stage == 'growth' and tags.contains('skin:oily') and rfm.r >= 4",
      "superUser",
      "stage == 'dormant' and points >= 200",
      "daysSinceFirstSeen < 7 and not unfollowed",
      "orders >= 3 and spend >= 1000 and daysSinceLastOrder <= 180"};
  static final String[] SKIN = {"skin:oily", "skin:dry", "skin:combination", "skin:sensitive"};
  static final String[] VOCAB = {"age:18-24", "age:25-30", "age:31-40", "age:41+", "city:shanghai", "city:beijing",
      "city:hangzhou", "city:shenzhen", "city:chengdu", "city:guangzhou", "VIP", "interest:serum", "interest:mask",
      "interest:sunscreen", "interest:cleanser", "interest:lipstick", "interest:fragrance", "channel:store",
      "channel:livestream", "channel:mini-program", "channel:ads", "concern:acne", "concern:pores", "concern:wrinkles",
      "concern:dullness", "budget:low", "budget:mid", "budget:high", "member:gold", "member:silver", "event:618",
      "event:double11", "kol:fan", "sample:received", "trial:serum", "store:nanjingxilu", "store:xujiahui",
      "store:sanlitun", "birthday:q1", "birthday:q3"};
  static final String[] KINDS = {"follow", "questionnaire", "group_join", "chat", "menu_click", "card_click", "draw",
      "checkin", "ugc"};
  static final String[] SURNAMES = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
  static final String[] GIVEN = {"芳", "娜", "敏", "静", "丽", "强", "磊", "婷", "雪", "琳", "晨曦", "雨桐", "思源"};

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    int n = Integer.parseInt(args[0]);
    String fsync = args[1];
    String dir = args[2];
    int passes = args.length > 3 ? Integer.parseInt(args[3]) : 3;

    EmbeddedRedis server = EmbeddedRedis.start(new EmbeddedRedisProperties(true, 0, dir, true, fsync, false));
    RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", server.port()));
    StatefulRedisConnection<String, String> conn = client.connect();
    LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", server.port()));
    factory.afterPropertiesSet();
    factory.start();
    boolean ok = true;
    try (AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext()) {
      RedisAsyncCommands<String, String> async = conn.async();
      Instant now = Instant.now();
      Clock clock = Clock.fixed(now, ZoneId.of("UTC"));

      Map<String, Object> config = new HashMap<>();
      config.put("siyu.audience.evaluator.enabled", "false");
      config.put("siyu.audience.sweep.enabled", "false");
      config.put("siyu.audience.sweep.lease", "10m");
      for (int s = 0; s < SEGMENTS.length; s++) {
        config.put("siyu.audience.segments[" + s + "].name", SEGMENTS[s]);
        config.put("siyu.audience.segments[" + s + "].expression", EXPRESSIONS[s]);
      }
      Binder binder = new Binder(new MapConfigurationPropertySource(config));
      AudienceProperties props = binder.bindOrCreate("siyu.audience", AudienceProperties.class);
      GrowthProperties growth = binder.bindOrCreate("siyu.growth", GrowthProperties.class);

      // ---- generation
      long mem0 = usedMemory(async);
      Expected expected = new Expected(n, props);
      long g0 = System.nanoTime();
      generate(conn, async, n, now, expected);
      double genSeconds = (System.nanoTime() - g0) / 1e9;
      long mem1 = usedMemory(async);
      System.out.printf(Locale.ROOT, "profiles           %d generated in %.1f s (%.0f/s, pipelined HSET), appendfsync %s%n",
          n, genSeconds, n / genSeconds, fsync);
      System.out.printf(Locale.ROOT, "redis used_memory  %.1f MB before, %.1f MB after generation: %.0f bytes per profile%n",
          mem0 / 1e6, mem1 / 1e6, (mem1 - mem0) / (double) n);

      // ---- the app's audience beans, as the server wires them (constructors are package-private)
      ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
      ctx.registerBean(ReactiveStringRedisTemplate.class, () -> redis);
      ctx.registerBean(AudienceProperties.class, () -> props);
      ctx.registerBean(GrowthProperties.class, () -> growth);
      ctx.registerBean(SiyuProperties.class, () -> new SiyuProperties(ZONE));
      ctx.registerBean(Clock.class, () -> clock);
      ctx.registerBean(io.micrometer.core.instrument.MeterRegistry.class, io.micrometer.core.instrument.simple.SimpleMeterRegistry::new);
      for (String c : List.of("ProfileChanges", "SegmentDefinitions", "Scorer", "AudienceEvaluator", "AudienceRebuilds")) {
        ctx.registerBean(Class.forName("io.siyu.audience." + c));
      }
      ctx.refresh();
      AudienceRebuilds rebuilds = ctx.getBean(AudienceRebuilds.class);

      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      for (int pass = 1; pass <= passes; pass++) {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        HeapSampler sampler = new HeapSampler();
        sampler.start();
        long gcCount0 = gcCount();
        long gcMs0 = gcMillis();
        long cpu0 = os.getProcessCpuTime();
        double rcpu0 = redisCpu(async);
        Map<String, long[]> cmd0 = commandStats(async);
        String load0 = loadavg();
        long t0 = System.nanoTime();
        AudienceRebuilds.Status st = rebuilds.rebuild(null).block(Duration.ofMinutes(30));
        double secs = (System.nanoTime() - t0) / 1e9;
        sampler.close();
        double jvmCpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        double redisCpu = redisCpu(async) - rcpu0;
        Map<String, long[]> cmd1 = commandStats(async);
        long poolPeaks = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
            .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        System.out.printf(Locale.ROOT, "pass %d (%s)%s: %s, %d profiles in %.1f s = %.0f profiles/s; loadavg %s -> %s%n",
            pass, pass == 1 ? "first: scores written for everyone" : "steady state", "", st.state(), st.processed(), secs,
            st.processed() / secs, load0, loadavg());
        System.out.printf(Locale.ROOT, "  heap used max %d MB (sampled every 20 ms), after GC max %d MB, sum of pool peaks %d MB, max %d MB; GC %d runs, %d ms%n",
            sampler.max.get() >> 20, sampler.live.get() >> 20, poolPeaks >> 20, Runtime.getRuntime().maxMemory() >> 20, gcCount() - gcCount0, gcMillis() - gcMs0);
        System.out.printf(Locale.ROOT, "  cpu per profile: %.1f µs JVM + %.1f µs redis-server (%.1f s + %.1f s)%n",
            jvmCpu * 1e6 / n, redisCpu * 1e6 / n, jvmCpu, redisCpu);
        cmd1.forEach((k, v) -> {
          long[] b = cmd0.getOrDefault(k, new long[2]);
          long calls = v[0] - b[0];
          if (calls > 0) {
            System.out.printf(Locale.ROOT, "  redis %-9s %9d calls, %.2f µs each%n", k, calls, (v[1] - b[1]) / (double) calls);
          }
        });
        if (!"done".equals(st.state()) || st.processed() != n) {
          ok = false;
          System.out.println("  MISMATCH: pass did not process every profile");
        }
        ok &= check(async, expected, pass);
        if (pass == 1) {
          // pass 1 scored with no threshold yet (nobody super); it stored the one pass 2 uses
          expected.fixSuperThreshold();
        }
      }

      // ---- memory per profile
      long mem2 = usedMemory(async);
      long[] hashes = sampleUsage(async, n, 1000, id -> RedisKeys.person(id));
      long[] follows = sampleUsage(async, n, 1000, RedisKeys::personFollows);
      long sets = 0;
      for (String s : SEGMENTS) {
        sets += memoryUsage(async, RedisKeys.segmentMembers(s));
      }
      long dbsize = async.dbsize().get();
      double hashMedian = hashes[hashes.length / 2];
      double followsMedian = follows[follows.length / 2];
      double total = (mem2 - mem0) / (double) n;
      double other = total - hashMedian - followsMedian - sets / (double) n;
      System.out.printf(Locale.ROOT, "redis used_memory  %.1f MB after the passes (%d keys): %.0f bytes per profile, of which%n",
          mem2 / 1e6, dbsize, total);
      System.out.printf(Locale.ROOT, "  profile hash     %.0f (median MEMORY USAGE of 1,000; p10 %d, p90 %d; encoding %s)%n",
          hashMedian, hashes[hashes.length / 10], hashes[hashes.length * 9 / 10],
          async.objectEncoding(RedisKeys.person(id(0))).get());
      System.out.printf(Locale.ROOT, "  follows hash     %.0f (median of 1,000)%n", followsMedian);
      System.out.printf(Locale.ROOT, "  segment sets     %.1f (%d bytes for %d sets)%n", sets / (double) n, sets, SEGMENTS.length);
      System.out.printf(Locale.ROOT, "  other            %.0f (main dict, key overhead, allocator fragmentation: the rest)%n", other);
      long rdb = bgsave(async, Path.of(dir));
      Path aof = Path.of(dir, "appendonly.aof");
      System.out.printf(Locale.ROOT, "on disk            RDB %.1f MB (BGSAVE after the passes, %.0f bytes/profile); AOF %.1f MB (not rewritten)%n",
          rdb / 1e6, rdb / (double) n, Files.exists(aof) ? Files.size(aof) / 1e6 : 0.0);
      System.out.println(ok ? "RESULT ok: every segment set matches the independently computed count"
          : "RESULT MISMATCH: see above");
    } finally {
      conn.close();
      client.shutdown();
      factory.destroy();
      server.close();
    }
    System.exit(ok ? 0 : 1);
  }

  static String id(int i) {
    // 28 characters, like a WeChat unionid
    String d = Integer.toString(i);
    return "oBench" + "0".repeat(22 - d.length()) + d;
  }

  /** Segment counts computed from the generated values with the rules in plain Java. */
  static final class Expected {
    final long[] counts = new long[SEGMENTS.length];
    final byte[] values;
    final long[] valueHist = new long[101];
    final AudienceProperties props;
    int superThreshold = 101;

    Expected(int n, AudienceProperties props) {
      this.values = new byte[n];
      this.props = props;
    }

    void fixSuperThreshold() {
      double allowed = values.length * props.value().superTopPercent() / 100.0;
      long cum = 0;
      superThreshold = 0;
      for (int t = 100; t >= 0; t--) {
        cum += valueHist[t];
        if (cum > allowed) {
          superThreshold = t + 1;
          break;
        }
      }
    }

    long expected(int segment) {
      if (segment == 1) {
        long c = 0;
        for (int t = Math.max(1, superThreshold); t <= 100; t++) {
          c += valueHist[t];
        }
        return c;
      }
      return counts[segment];
    }
  }

  private static boolean check(RedisAsyncCommands<String, String> async, Expected e, int pass) throws Exception {
    boolean ok = true;
    StringBuilder line = new StringBuilder("  members:");
    for (int s = 0; s < SEGMENTS.length; s++) {
      long size = async.scard(RedisKeys.segmentMembers(SEGMENTS[s])).get();
      long want = e.expected(s);
      boolean match = size == want;
      ok &= match;
      line.append(String.format(Locale.ROOT, " %s %d%s", SEGMENTS[s], size, match ? "" : " (EXPECTED " + want + ")"));
    }
    System.out.println(line + (ok ? " — all as computed independently" : " — MISMATCH"));
    return ok;
  }

  /** Local noon {@code daysAgo} days before today: exactly that many local days before now. */
  private static long daysAgo(LocalDate today, int days) {
    return today.minusDays(days).atTime(12, 0).atZone(ZONE).toInstant().toEpochMilli();
  }

  private static void generate(StatefulRedisConnection<String, String> conn, RedisAsyncCommands<String, String> async,
                               int n, Instant now, Expected expected) throws Exception {
    conn.setAutoFlushCommands(false);
    LocalDate today = LocalDate.ofInstant(now, ZONE);
    long nowMs = now.toEpochMilli();
    long p7 = Windows.period(7, now, ZONE);
    long p30 = Windows.period(30, now, ZONE);
    long epochDay = today.toEpochDay();
    AudienceProperties.Value vp = expected.props.value();
    List<RedisFuture<?>> pending = new ArrayList<>();
    List<RedisFuture<?>> previous = List.of();
    for (int i = 0; i < n; i++) {
      SplittableRandom r = new SplittableRandom(0x5eed0000L + i);
      String id = id(i);
      Map<String, String> f = new LinkedHashMap<>();
      f.put("id", id);
      f.put("externalUserId", "wmBench" + id.substring(3));
      if (r.nextInt(10) < 7) {
        f.put("unionId", id);
      }
      f.put("name", SURNAMES[r.nextInt(SURNAMES.length)] + GIVEN[r.nextInt(GIVEN.length)]);
      f.put("gender", Integer.toString(r.nextInt(3)));
      String owner = "staff" + r.nextInt(80);
      f.put("ownerUserId", owner);
      if (r.nextInt(10) < 3) {
        f.put("remark", r.nextBoolean() ? "老客户" : "VIP客户-门店");
      }
      f.put("state", "qr-store-" + r.nextInt(40));
      int sinceFirst = r.nextInt(100) < 5 ? r.nextInt(7) : 7 + r.nextInt(720);
      int roll = r.nextInt(100);
      int silent = Math.min(sinceFirst, roll < 50 ? r.nextInt(15) : roll < 75 ? 15 + r.nextInt(45) : 60 + r.nextInt(200));
      f.put("firstSeen", Long.toString(daysAgo(today, sinceFirst)));
      f.put("updatedAt", Long.toString(daysAgo(today, silent)));
      boolean unfollowed = r.nextInt(100) < 3;
      if (unfollowed) {
        f.put("unfollowedAt", Long.toString(daysAgo(today, silent)));
      }
      // tags: one skin type, ~5 more from the vocabulary, low indexes far more frequent
      Set<String> tags = new LinkedHashSet<>();
      int skin = r.nextInt(100);
      tags.add(SKIN[skin < 35 ? 0 : skin < 65 ? 1 : skin < 90 ? 2 : 3]);
      int more = 3 + r.nextInt(5);
      while (tags.size() < 1 + more) {
        double u = r.nextDouble();
        tags.add(VOCAB[(int) (VOCAB.length * u * u)]);
      }
      tags.forEach(t -> f.put("t:" + t, "1"));
      for (int q = 1; q <= 4; q++) {
        int a = 1 + r.nextInt(4);
        f.put("a:q" + q, q == 3 ? "opt" + a + ",opt" + (a + 1) : "opt" + a);
      }
      f.put("lastAt", Long.toString(daysAgo(today, silent)));
      long total30 = 0;
      long total7 = 0;
      for (String k : KINDS) {
        if (k.equals("follow") || r.nextInt(100) < 60) {
          int c = k.equals("follow") ? 1 : 1 + r.nextInt(40);
          f.put("n:" + k, Integer.toString(c));
        }
      }
      if (silent < 30) {
        total30 = r.nextInt(60);
        long prev = r.nextInt(60);
        f.put("w30:*", p30 + ":" + total30 + ":" + prev);
        f.put("w30:chat", p30 + ":" + total30 / 2 + ":" + prev / 2);
        if (silent < 7) {
          total7 = Math.min(total30, r.nextInt(20));
          f.put("w7:*", p7 + ":" + total7 + ":" + r.nextInt(20));
          f.put("w7:chat", p7 + ":" + total7 / 2 + ":" + r.nextInt(10));
        }
      }
      int growthValue = (int) (3000 * Math.pow(r.nextDouble(), 3));
      f.put("growth", Integer.toString(growthValue));
      int level = growthValue < 10 ? 0 : (int) Math.min(10, 1 + Math.log(growthValue / 10.0) / Math.log(2.5));
      f.put("level", Integer.toString(level));
      f.put("lp", Integer.toString(level));
      f.put("gd:*", (epochDay - silent) + ":" + r.nextInt(100));
      int points = r.nextInt(100) < 60 ? (int) (2000 * Math.pow(r.nextDouble(), 2)) : 0;
      if (points > 0) {
        f.put("points", Integer.toString(points));
      }
      int orders = 0;
      long amount = 0;
      int sinceOrder = 0;
      if (r.nextInt(100) < 30) {
        orders = 1 + (int) (12 * Math.pow(r.nextDouble(), 3));
        amount = orders * (5_000L + r.nextInt(60_000));
        sinceOrder = Math.min(sinceFirst, r.nextInt(400));
        f.put("orders", Integer.toString(orders));
        f.put("amount", Long.toString(amount));
        f.put("firstOrderAt", Long.toString(daysAgo(today, Math.max(sinceOrder, Math.min(sinceFirst, sinceOrder + r.nextInt(200))))));
        f.put("lastOrderAt", Long.toString(daysAgo(today, sinceOrder)));
        f.put("n:order", Integer.toString(orders));
      }
      int ugc = 0;
      int ugcEng = 0;
      if (r.nextInt(100) < 10) {
        ugc = 1 + r.nextInt(8);
        ugcEng = r.nextInt(300);
        f.put("ugc", Integer.toString(ugc));
        f.put("ugcEng", Integer.toString(ugcEng));
      }
      int referrals = r.nextInt(100) < 15 ? 1 + r.nextInt(5) : 0;
      if (referrals > 0) {
        f.put("referrals", Integer.toString(referrals));
      }
      int groups = r.nextInt(100) < 40 ? 1 + r.nextInt(3) : 0;
      if (groups > 0) {
        f.put("groups", Integer.toString(groups));
        for (int g = 0; g < groups; g++) {
          f.put("gr:wrBenchGroupChat" + (10_000_000 + r.nextInt(5000)), "1");
        }
      }
      f.put("v", Integer.toString(1 + r.nextInt(200)));
      pending.add(async.hset(RedisKeys.person(id), f));
      Map<String, String> fl = new LinkedHashMap<>();
      int staff = r.nextInt(10) < 8 ? 1 : 2;
      for (int s = 0; s < staff; s++) {
        String user = s == 0 ? owner : "staff" + r.nextInt(80);
        fl.put(user, "{\"remark\":\"" + (s == 0 && f.containsKey("remark") ? f.get("remark") : "") + "\",\"tags\":[\""
            + String.join("\",\"", tags.stream().limit(3).toList()) + "\"],\"state\":\"" + f.get("state")
            + "\",\"createtime\":" + (daysAgo(today, sinceFirst) / 1000) + "}");
      }
      pending.add(async.hset(RedisKeys.personFollows(id), fl));

      // the expected scores and segment membership, with the documented rules in plain Java
      String stage = unfollowed || silent >= 90 ? "churned" : silent >= 30 ? "dormant"
          : orders >= 2 || level >= 4 ? "mature" : sinceFirst >= 7 || orders >= 1 || growthValue >= 50 ? "growth" : "intro";
      int rfmR = 1;
      if (orders > 0) {
        int[] cuts = {7, 30, 90, 180};
        for (int c = 3; c >= 0; c--) {
          if (sinceOrder <= cuts[c]) {
            rfmR = 5 - c;
          }
        }
      }
      double spend = amount / 100.0;
      long interaction = f.containsKey("w30:*") ? Windows.count(f.get("w30:*"), 30, now, ZONE) : 0;
      AudienceProperties.Parts w = vp.weights();
      AudienceProperties.Parts full = vp.full();
      double sum = w.consumption() * part(spend, full.consumption()) + w.interaction() * part(interaction, full.interaction())
          + w.content() * part(ugc + vp.ugcEngagementFactor() * ugcEng, full.content())
          + w.social() * part(referrals + groups, full.social());
      int value = (int) Math.round(sum / (w.consumption() + w.interaction() + w.content() + w.social()));
      expected.values[i] = (byte) value;
      expected.valueHist[value]++;
      if (stage.equals("growth") && tags.contains("skin:oily") && rfmR >= 4) {
        expected.counts[0]++;
      }
      if (stage.equals("dormant") && points >= 200) {
        expected.counts[2]++;
      }
      if (sinceFirst < 7 && !unfollowed) {
        expected.counts[3]++;
      }
      if (orders >= 3 && spend >= 1000 && sinceOrder <= 180) {
        expected.counts[4]++;
      }

      if (pending.size() >= 4000) {
        conn.flushCommands();
        // one chunk in flight while the next is built
        await(previous);
        previous = pending;
        pending = new ArrayList<>();
      }
    }
    conn.flushCommands();
    await(previous);
    await(pending);
    conn.setAutoFlushCommands(true);
  }

  private static double part(double x, double full) {
    return full <= 0 ? 0 : Math.min(1, Math.max(0, x / full)) * 100;
  }

  private static void await(List<RedisFuture<?>> futures) {
    if (!futures.isEmpty() && !LettuceFutures.awaitAll(Duration.ofMinutes(2), futures.toArray(RedisFuture[]::new))) {
      throw new IllegalStateException("generation timed out");
    }
    for (RedisFuture<?> f : futures) {
      if (f.getError() != null) {
        throw new IllegalStateException("generation failed: " + f.getError());
      }
    }
  }

  private static long usedMemory(RedisAsyncCommands<String, String> async) throws Exception {
    return Long.parseLong(info(async, "memory").getProperty("used_memory"));
  }

  private static Properties info(RedisAsyncCommands<String, String> async, String section) throws Exception {
    Properties p = new Properties();
    for (String line : async.info(section).get().split("\r\n")) {
      int c = line.indexOf(':');
      if (c > 0) {
        p.setProperty(line.substring(0, c), line.substring(c + 1));
      }
    }
    return p;
  }

  private static double redisCpu(RedisAsyncCommands<String, String> async) throws Exception {
    Properties p = info(async, "cpu");
    return Double.parseDouble(p.getProperty("used_cpu_user")) + Double.parseDouble(p.getProperty("used_cpu_sys"));
  }

  /** cmdstat name → {calls, usec}. */
  private static Map<String, long[]> commandStats(RedisAsyncCommands<String, String> async) throws Exception {
    Map<String, long[]> out = new java.util.TreeMap<>();
    info(async, "commandstats").forEach((k, v) -> {
      long calls = 0;
      long usec = 0;
      for (String part : v.toString().split(",")) {
        if (part.startsWith("calls=")) {
          calls = Long.parseLong(part.substring(6));
        } else if (part.startsWith("usec=")) {
          usec = Long.parseLong(part.substring(5));
        }
      }
      out.put(k.toString().substring("cmdstat_".length()), new long[] {calls, usec});
    });
    return out;
  }

  private static long memoryUsage(RedisAsyncCommands<String, String> async, String key) throws Exception {
    Long v = async.dispatch(io.lettuce.core.protocol.CommandType.MEMORY, new io.lettuce.core.output.IntegerOutput<>(
        io.lettuce.core.codec.StringCodec.UTF8), new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
        .add("USAGE").addKey(key).add("SAMPLES").add(0)).get();
    return v == null ? 0 : v;
  }

  private static long[] sampleUsage(RedisAsyncCommands<String, String> async, int n, int samples,
                                    java.util.function.Function<String, String> key) throws Exception {
    SplittableRandom r = new SplittableRandom(7);
    long[] out = new long[samples];
    for (int i = 0; i < samples; i++) {
      out[i] = memoryUsage(async, key.apply(id(r.nextInt(n))));
    }
    Arrays.sort(out);
    return out;
  }

  private static long bgsave(RedisAsyncCommands<String, String> async, Path dir) throws Exception {
    async.bgsave().get();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      Properties p = info(async, "persistence");
      if ("0".equals(p.getProperty("rdb_bgsave_in_progress")) && !"0".equals(p.getProperty("rdb_last_save_time", "0"))
          && Files.exists(dir.resolve("dump.rdb"))) {
        return Files.size(dir.resolve("dump.rdb"));
      }
      TimeUnit.MILLISECONDS.sleep(200); // a benchmark driver polling a server, not a test
    }
    return -1;
  }

  private static long gcCount() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
  }

  private static String loadavg() {
    try {
      String[] p = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return p[0] + " " + p[1] + " " + p[2];
    } catch (java.io.IOException e) {
      return "n/a";
    }
  }

  /** Samples the heap used while a pass runs, every 20 ms on a scheduler thread. */
  static final class HeapSampler implements AutoCloseable {
    final AtomicLong max = new AtomicLong();
    final AtomicLong live = new AtomicLong();
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "heap-sampler");
          t.setDaemon(true);
          return t;
        });

    void start() {
      timer.scheduleAtFixedRate(this::sample, 0, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void sample() {
      max.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
      // what the last collections left: the live set (plus tenured garbage not yet collected)
      live.accumulateAndGet(ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null)
          .mapToLong(p -> p.getCollectionUsage().getUsed()).sum(), Math::max);
    }

    @Override
    public void close() throws InterruptedException {
      timer.shutdown();
      timer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}

package io.siyu.bench;

import io.siyu.audience.ProfileChanges;
import io.siyu.growth.Events;
import io.siyu.growth.GrowthProperties;
import io.siyu.growth.Interaction;
import io.siyu.growth.Interactions;
import io.siyu.growth.Recorded;
import io.siyu.infra.EmbeddedRedis;
import io.siyu.infra.EmbeddedRedisProperties;
import io.siyu.infra.RedisKeys;
import io.siyu.infra.SiyuProperties;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/**
 * The load behind {@code scripts/bench-interactions.sh}: {@link Interactions#record} (the record script,
 * then {@code growth/after.lua}: leaderboard ZADD, event XADD and profile-change mark in one call, through
 * one shared Lettuce connection as in the server) against a fresh embedded redis-server 6.2, {@code concurrency} in flight,
 * over {@code persons} persons and a mix of kinds (chat, menu_click, checkin, ugc, order). Afterwards it
 * checks from Redis that every interaction was counted exactly once.
 *
 * <p>Arguments: {@code count concurrency warmup appendfsync dir persons}.
 */
public final class InteractionLoad {

  private InteractionLoad() {}

  private static final String[] KINDS = {"chat", "chat", "chat", "menu_click", "checkin", "ugc", "order"};

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    int count = Integer.parseInt(args[0]);
    int concurrency = Integer.parseInt(args[1]);
    int warm = Integer.parseInt(args[2]);
    String fsync = args[3];
    String dir = args[4];
    int persons = args.length > 5 ? Integer.parseInt(args[5]) : 10_000;

    EmbeddedRedis server = EmbeddedRedis.start(new EmbeddedRedisProperties(true, 0, dir, true, fsync, false));
    LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", server.port()));
    factory.afterPropertiesSet();
    factory.start();
    int exit;
    try (AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext()) {
      ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
      GrowthProperties props = new GrowthProperties(100, Duration.ofDays(35), List.of(Duration.ofDays(7), Duration.ofDays(30)),
          null, new GrowthProperties.Levels(null, Duration.ofDays(1095), 10, GrowthProperties.Curve.EXPONENTIAL, 1.5, 2),
          new GrowthProperties.EventsConfig(1_000_000), new GrowthProperties.Orders(true, "", Duration.ofSeconds(300), 65536));
      // The growth beans as the server wires them (their constructors are package-private).
      ctx.registerBean(ReactiveStringRedisTemplate.class, () -> redis);
      ctx.registerBean(GrowthProperties.class, () -> props);
      ctx.registerBean(SiyuProperties.class, () -> new SiyuProperties(ZoneId.of("Asia/Shanghai")));
      ctx.registerBean(Clock.class, Clock::systemUTC);
      ctx.registerBean(ProfileChanges.class);
      ctx.registerBean(Events.class);
      ctx.registerBean(Class.forName("io.siyu.growth.GrowthFollowUp"));
      ctx.registerBean(io.siyu.growth.PointsProperties.class, () -> new org.springframework.boot.context.properties.bind.Binder()
          .bindOrCreate("siyu.points", io.siyu.growth.PointsProperties.class));
      ctx.registerBean(io.micrometer.core.instrument.MeterRegistry.class, io.micrometer.core.instrument.simple.SimpleMeterRegistry::new);
      ctx.registerBean(io.siyu.growth.Points.class);
      ctx.registerBean(Interactions.class);
      ctx.refresh();
      Interactions interactions = ctx.getBean(Interactions.class);

      Flux.range(0, persons).flatMap(i -> redis.opsForHash().putAll(RedisKeys.person("w" + i), Map.of("id", "w" + i))
          .then(redis.opsForHash().putAll(RedisKeys.person("b" + i), Map.of("id", "b" + i))), 64).blockLast(Duration.ofMinutes(2));

      run(interactions, "w", warm, concurrency, persons);
      // CPU per interaction on both sides: meaningful even when other processes share the cores.
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      long jvmCpu0 = os.getProcessCpuTime();
      double redisCpu0 = redisCpu(redis);
      double redisSys0 = redisCpuSys(redis);
      long[] measured = run(interactions, "b", count, concurrency, persons);
      double jvmCpuMicros = (os.getProcessCpuTime() - jvmCpu0) / 1e3 / count;
      double redisCpuMicros = (redisCpu(redis) - redisCpu0) * 1e6 / count;
      double redisSysMicros = (redisCpuSys(redis) - redisSys0) * 1e6 / count;
      double perSecond = count / (measured[0] / 1e9);

      long seen = Flux.range(0, persons).flatMap(i -> redis.opsForZSet().size(RedisKeys.interactionsSeen("b" + i)), 64)
          .reduce(0L, Long::sum).block(Duration.ofMinutes(2));
      long counted = Flux.range(0, persons).flatMap(i -> redis.<String, String>opsForHash().get(RedisKeys.person("b" + i), "v"), 64)
          .map(Long::parseLong).reduce(0L, Long::sum).block(Duration.ofMinutes(2));
      boolean exact = seen == count && counted == count && measured[1] == count;
      Long mem = redis.execute(c -> c.serverCommands().info("memory")).next()
          .map(p -> Long.parseLong(p.getProperty("used_memory"))).block(Duration.ofSeconds(10));

      System.out.printf(Locale.ROOT, "interactions       %d (%d warm-up first), concurrency %d, %d persons, one shared Lettuce connection%n",
          count, warm, concurrency, persons);
      System.out.printf(Locale.ROOT, "interactions/s     %.0f%n", perSecond);
      System.out.printf(Locale.ROOT, "record p50         %.2f ms%n", measured[2] / 1e6);
      System.out.printf(Locale.ROOT, "record p99         %.2f ms%n", measured[3] / 1e6);
      System.out.printf(Locale.ROOT, "cpu/interaction    %.1f µs JVM + %.1f µs redis-server (of which %.1f µs system)%n",
          jvmCpuMicros, redisCpuMicros, redisSysMicros);
      System.out.printf(Locale.ROOT, "redis used_memory  %d bytes%n", mem);
      java.util.Properties stats = redis.execute(c -> c.serverCommands().info("commandstats")).next().block(Duration.ofSeconds(10));
      stats.stringPropertyNames().stream().sorted().filter(k -> k.matches("cmdstat_(evalsha|eval|zadd|xadd|hset|expire)"))
          .forEach(k -> System.out.printf(Locale.ROOT, "redis %-12s %s%n", k.substring(8), stats.getProperty(k)));
      System.out.println(exact ? "RESULT ok: every interaction recorded exactly once"
          : "RESULT MISMATCH: seen " + seen + ", counted " + counted + ", first " + measured[1]);
      exit = exact ? 0 : 1;
    } finally {
      factory.destroy();
      server.close();
    }
    System.exit(exit);
  }

  private static double redisCpu(ReactiveStringRedisTemplate redis) {
    java.util.Properties p = redis.execute(c -> c.serverCommands().info("cpu")).next().block(Duration.ofSeconds(10));
    return Double.parseDouble(p.getProperty("used_cpu_user")) + Double.parseDouble(p.getProperty("used_cpu_sys"));
  }

  private static double redisCpuSys(ReactiveStringRedisTemplate redis) {
    java.util.Properties p = redis.execute(c -> c.serverCommands().info("cpu")).next().block(Duration.ofSeconds(10));
    return Double.parseDouble(p.getProperty("used_cpu_sys"));
  }

  /** {nanos, first results, p50 nanos, p99 nanos}. */
  private static long[] run(Interactions interactions, String prefix, int count, int concurrency, int persons) {
    Recorder recorder = new Recorder(3);
    AtomicLong first = new AtomicLong();
    Instant at = Instant.now();
    long start = System.nanoTime();
    Flux.range(0, count)
        .flatMap(i -> {
          long t0 = System.nanoTime();
          String kind = KINDS[i % KINDS.length];
          Map<String, String> attrs = switch (kind) {
            case "order" -> Map.of("amount", Integer.toString(1000 + i % 50_000));
            case "ugc" -> Map.of("engagement", Integer.toString(i % 10));
            default -> Map.of();
          };
          return interactions.record(new Interaction(prefix + (i % persons), kind, "k" + i, at, attrs))
              .doOnNext((Recorded r) -> {
                recorder.recordValue(System.nanoTime() - t0);
                if (r.first()) {
                  first.incrementAndGet();
                }
              });
        }, concurrency)
        .blockLast(Duration.ofMinutes(10));
    long nanos = System.nanoTime() - start;
    var h = recorder.getIntervalHistogram();
    return new long[] {nanos, first.get(), h.getValueAtPercentile(50), h.getValueAtPercentile(99)};
  }
}

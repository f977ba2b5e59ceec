package io.siyu.bench;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomProperties;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import me.chanjar.weixin.common.util.crypto.WxCryptUtil;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The load generator behind {@code scripts/bench-ingress.sh}: real encrypted WeCom callbacks (a mix of
 * contact, group, template-card and member-message events, plus WeCom-style re-deliveries of some of
 * them, re-encrypted like WeCom's retries), fired at a running server over keep-alive connections, then
 * the same number of requests at a trivial endpoint of the same server. Afterwards it reads the inbox
 * counters from Redis to prove that every distinct event was appended exactly once.
 *
 * <p>Arguments: {@code host port redisPort count concurrency duplicatePercent [warmup]}. The warm-up
 * (default 40,000 requests to each endpoint) matters on 2 cores: the JIT keeps compiling Spring, Netty
 * and Lettuce code for about 40 s after start, and a server lives for days.
 */
public final class IngressLoad {

  private IngressLoad() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int redisPort = Integer.parseInt(args[2]);
    int count = Integer.parseInt(args[3]);
    int concurrency = Integer.parseInt(args[4]);
    int duplicatePercent = Integer.parseInt(args[5]);
    int warm = args.length > 6 ? Integer.parseInt(args[6]) : 40_000;

    WecomApps apps = WecomApps.resolve(new WecomProperties(WecomProperties.Mode.SANDBOX, "", null,
        new WecomProperties.Callback(Duration.ofSeconds(300), 65536, Duration.ofHours(72)),
        Map.of("contact", new WecomProperties.App(1000001, null, null, null))));
    WecomApps.AppCredentials app = apps.app("contact").orElseThrow();
    WxCryptUtil crypt = new WxCryptUtil(app.token(), app.aesKey(), apps.corpId());

    long runId = System.currentTimeMillis();
    int duplicates = (int) ((long) count * duplicatePercent / 100);
    int distinct = count - duplicates;
    List<String> plaintexts = new ArrayList<>(distinct);
    for (int i = 0; i < distinct; i++) {
      plaintexts.add(event(apps.corpId(), runId, i));
    }
    List<Request> requests = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      // Re-deliveries pick an earlier event and encrypt it again, as WeCom's retries do.
      String plain = i < distinct ? plaintexts.get(i) : plaintexts.get(ThreadLocalRandom.current().nextInt(distinct));
      requests.add(encrypt(crypt, app, apps.corpId(), plain));
    }

    ConnectionProvider pool = ConnectionProvider.builder("bench").maxConnections(concurrency)
        .pendingAcquireMaxCount(-1).build();
    HttpClient http = HttpClient.create(pool).host(host).port(port)
        .option(ChannelOption.TCP_NODELAY, true).keepAlive(true);

    // Warm-up: JIT both paths before measuring (distinct, harmless events of their own run id).
    List<Request> warmups = new ArrayList<>(warm);
    for (int i = 0; i < warm; i++) {
      warmups.add(encrypt(crypt, app, apps.corpId(), event(apps.corpId(), runId + 1, i)));
    }
    fire(http, warmups, concurrency, r -> "/wecom/callback/contact?" + r.query());
    fire(http, warmups, concurrency, r -> "/sandbox/noop?" + r.query());

    // The same requests, bodies included, against the callback endpoint and the trivial one.
    Result callbacks = fire(http, requests, concurrency, r -> "/wecom/callback/contact?" + r.query());
    Result trivial = fire(http, requests, concurrency, r -> "/sandbox/noop?" + r.query());
    pool.disposeLater().block(Duration.ofSeconds(10));

    long appended;
    long dupes;
    RedisClient redis = RedisClient.create("redis://127.0.0.1:" + redisPort);
    try (StatefulRedisConnection<String, String> c = redis.connect()) {
      appended = Long.parseLong(orZero(c.sync().get(RedisKeys.inboxAppendedCounter())));
      dupes = Long.parseLong(orZero(c.sync().get(RedisKeys.inboxDuplicateCounter())));
    } finally {
      redis.shutdown();
    }
    long expectedAppended = distinct + warm;
    long expectedDupes = duplicates;

    System.out.printf(Locale.ROOT, "requests           %d (%d distinct events, %d re-deliveries), concurrency %d%n",
        count, distinct, duplicates, concurrency);
    System.out.printf(Locale.ROOT, "callbacks/s        %.0f%n", callbacks.perSecond());
    System.out.printf(Locale.ROOT, "callback ack p50   %.2f ms%n", callbacks.p(50));
    System.out.printf(Locale.ROOT, "callback ack p99   %.2f ms%n", callbacks.p(99));
    System.out.printf(Locale.ROOT, "callback ack max   %.2f ms%n", callbacks.p(100));
    System.out.printf(Locale.ROOT, "callback non-200   %d%n", callbacks.failures());
    System.out.printf(Locale.ROOT, "trivial req/s      %.0f%n", trivial.perSecond());
    System.out.printf(Locale.ROOT, "trivial p50 / p99  %.2f / %.2f ms%n", trivial.p(50), trivial.p(99));
    System.out.printf(Locale.ROOT, "ratio              %.2f (callbacks/s ÷ trivial req/s)%n",
        callbacks.perSecond() / trivial.perSecond());
    System.out.printf(Locale.ROOT, "inbox appended     %d (expected %d)%n", appended, expectedAppended);
    System.out.printf(Locale.ROOT, "inbox duplicates   %d (expected %d)%n", dupes, expectedDupes);
    boolean exact = appended == expectedAppended && dupes == expectedDupes && callbacks.failures() == 0;
    System.out.println(exact ? "RESULT ok: none lost, none duplicated" : "RESULT MISMATCH: events lost or duplicated");
    System.exit(exact ? 0 : 1);
  }

  private static String orZero(String s) {
    return s == null ? "0" : s;
  }

  record Request(String query, byte[] body) {}

  record Result(long nanos, Histogram latency, long failures, int count) {
    double perSecond() {
      return count / (nanos / 1e9);
    }

    double p(double percentile) {
      return (percentile >= 100 ? latency.getMaxValue() : latency.getValueAtPercentile(percentile)) / 1e6;
    }
  }

  private static Result fire(HttpClient http, List<Request> requests, int concurrency,
                             java.util.function.Function<Request, String> uri) {
    Recorder recorder = new Recorder(3);
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    Flux.fromIterable(requests)
        .flatMap(r -> {
          long t0 = System.nanoTime();
          // A fixed-length body in one write, as WeCom sends it (a publisher body would go out chunked).
          Mono<Integer> status = http
              .headers(h -> h.set(HttpHeaderNames.CONTENT_LENGTH, r.body().length)
                  .set(HttpHeaderNames.CONTENT_TYPE, "text/xml"))
              .post().uri(uri.apply(r)).send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(r.body())))
              .responseSingle((res, body) -> body.then(Mono.just(res.status().code())));
          return status.doOnNext(code -> {
            recorder.recordValue(System.nanoTime() - t0);
            if (code != 200) {
              failures.incrementAndGet();
            }
          }).onErrorResume(e -> {
            failures.incrementAndGet();
            return Mono.empty();
          });
        }, concurrency)
        .blockLast(Duration.ofMinutes(10));
    long nanos = System.nanoTime() - start;
    return new Result(nanos, recorder.getIntervalHistogram(), failures.get(), requests.size());
  }

  private static Request encrypt(WxCryptUtil crypt, WecomApps.AppCredentials app, String corpId, String plain) {
    WxCryptUtil.EncryptContext ctx = crypt.encryptContext(plain);
    String body = "<xml><ToUserName><![CDATA[" + corpId + "]]></ToUserName><AgentID><![CDATA[" + app.agentId()
        + "]]></AgentID><Encrypt><![CDATA[" + ctx.getEncrypt() + "]]></Encrypt></xml>";
    String query = "msg_signature=" + ctx.getSignature() + "&timestamp=" + ctx.getTimeStamp() + "&nonce=" + ctx.getNonce();
    return new Request(query, body.getBytes(StandardCharsets.UTF_8));
  }

  /** One of five event shapes; distinct events differ in the customer, chat or message id. */
  static String event(String corpId, long runId, int i) {
    long now = System.currentTimeMillis() / 1000;
    String head = "<xml><ToUserName><![CDATA[" + corpId + "]]></ToUserName>";
    String ext = "wmBench" + runId + "x" + i;
    return switch (i % 5) {
      case 0 -> head + "<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>" + now
          + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>"
          + "<ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"
          + "<ExternalUserID><![CDATA[" + ext + "]]></ExternalUserID><State><![CDATA[bench]]></State>"
          + "<WelcomeCode><![CDATA[WC" + ext + "]]></WelcomeCode></xml>";
      case 1 -> head + "<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>" + now
          + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>"
          + "<ChatId><![CDATA[wrBenchChat]]></ChatId><ChangeType><![CDATA[update]]></ChangeType>"
          + "<UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt>"
          + "<MemChangeList><Item><![CDATA[" + ext + "]]></Item></MemChangeList>"
          + "<LastMemVer>v" + i + "</LastMemVer><CurMemVer>v" + (i + 1) + "</CurMemVer></xml>";
      case 2 -> head + "<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>" + now
          + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>"
          + "<ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[lisi]]></UserID>"
          + "<ExternalUserID><![CDATA[" + ext + "]]></ExternalUserID></xml>";
      case 3 -> head + "<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>" + now
          + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>"
          + "<EventKey><![CDATA[done]]></EventKey><TaskId><![CDATA[task" + runId + "x" + i + "]]></TaskId>"
          + "<CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc" + i + "]]></ResponseCode>"
          + "<AgentID>1000001</AgentID></xml>";
      default -> head + "<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>" + now
          + "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 " + i + "]]></Content>"
          + "<MsgId>" + (runId * 1_000_000L + i) + "</MsgId><AgentID>1000001</AgentID></xml>";
    };
  }
}

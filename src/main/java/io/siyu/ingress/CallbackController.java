package io.siyu.ingress;

import io.micrometer.core.instrument.Timer;
import io.siyu.admin.Problem;
import io.siyu.inbox.InboxAppender;
import io.siyu.inbox.InboxEvent;
import io.siyu.wecom.WecomProperties;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The WeCom callback endpoint, {@code /wecom/callback/{app}}: GET is the URL check, POST delivers
 * encrypted events. The POST answers 200 {@code success} only after the inbox append is acknowledged by
 * Redis (first sighting or duplicate); verification and parsing cost microseconds, so they run on the
 * event loop. Every rejection is a 4xx problem, writes nothing and logs one WARN line without payload.
 */
@RestController
@RequestMapping("/wecom/callback/{app}")
class CallbackController {

  private static final Logger log = LoggerFactory.getLogger(CallbackController.class);

  /** WeCom gives up after 5 s; answer 503 before that so it retries rather than times out. */
  private static final Duration APPEND_TIMEOUT = Duration.ofSeconds(3);
  private static final String SUCCESS = "success";

  private final CallbackVerifier verifier;
  private final InboxAppender appender;
  private final CallbackMetrics metrics;
  private final Clock clock;
  private final int maxBodySize;

  CallbackController(CallbackVerifier verifier, InboxAppender appender, CallbackMetrics metrics, Clock clock,
                     WecomProperties props) {
    this.verifier = verifier;
    this.appender = appender;
    this.metrics = metrics;
    this.clock = clock;
    this.maxBodySize = (int) Math.min(Integer.MAX_VALUE, props.callback().maxBodySize());
  }

  @GetMapping
  ResponseEntity<String> echo(@PathVariable String app,
                              @RequestParam(name = "msg_signature", required = false) String signature,
                              @RequestParam(required = false) String timestamp,
                              @RequestParam(required = false) String nonce,
                              @RequestParam(required = false) String echostr,
                              ServerHttpRequest request) {
    try {
      // The query decoder turns a '+' that a proxy left unencoded into ' '; base64 never holds a space.
      String echo = echostr == null ? null : echostr.replace(' ', '+');
      String plain = verifier.verifyEcho(app, signature, timestamp, nonce, echo);
      return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(plain);
    } catch (Problem p) {
      throw rejected(app, p, request);
    }
  }

  @PostMapping
  Mono<ResponseEntity<String>> receive(@PathVariable String app,
                                       @RequestParam(name = "msg_signature", required = false) String signature,
                                       @RequestParam(required = false) String timestamp,
                                       @RequestParam(required = false) String nonce,
                                       ServerHttpRequest request) {
    Timer.Sample sample = Timer.start(metrics.clock());
    try {
      verifier.checkParameters(app, signature, timestamp, nonce);
    } catch (Problem p) {
      return Mono.error(rejected(app, p, request));
    }
    if (request.getHeaders().getContentLength() > maxBodySize) {
      return Mono.error(rejected(app, tooLarge(), request));
    }
    return DataBufferUtils.join(request.getBody(), maxBodySize)
        .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
        .map(CallbackController::bytes)
        .defaultIfEmpty(new byte[0])
        .map(body -> verifier.verifyEvent(app, signature, timestamp, nonce, body))
        .onErrorMap(Problem.class, p -> rejected(app, p, request))
        .flatMap(v -> append(v, request))
        .doOnSuccess(r -> sample.stop(metrics.timer(app)));
  }

  private Mono<ResponseEntity<String>> append(CallbackVerifier.Verified v, ServerHttpRequest request) {
    InboxEvent event = new InboxEvent("", v.app(), v.kind(), v.dedupeKey(), InboxEvent.XML, v.xml(), clock.instant());
    return appender.append(event)
        .timeout(APPEND_TIMEOUT)
        .map(appended -> {
          if (appended.first()) {
            metrics.accepted(v.app(), v.kind());
          } else {
            metrics.duplicate(v.app(), v.kind());
          }
          return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(SUCCESS);
        })
        .onErrorMap(e -> !(e instanceof Problem), e -> unavailable(v.app(), e, request));
  }

  private Problem rejected(String app, Problem p, ServerHttpRequest request) {
    String appTag = verifier.knows(app) ? app : CallbackMetrics.UNKNOWN_APP_TAG;
    metrics.countRejected(appTag, p.slug());
    log.warn("Rejected WeCom callback app={} reason={} remote={}", appTag, p.slug(), remote(request));
    return p;
  }

  private Problem unavailable(String app, Throwable e, ServerHttpRequest request) {
    metrics.countRejected(app, CallbackVerifier.UNAVAILABLE);
    String cause = e instanceof TimeoutException ? "timeout after " + APPEND_TIMEOUT.toMillis() + " ms" : e.getClass().getSimpleName();
    log.warn("WeCom callback not stored, answering 503 so WeCom retries: app={} reason={} cause={} remote={}",
        app, CallbackVerifier.UNAVAILABLE, cause, remote(request));
    return new Problem(HttpStatus.SERVICE_UNAVAILABLE, CallbackVerifier.UNAVAILABLE, "Unavailable",
        "the callback could not be stored; WeCom will retry");
  }

  private Problem tooLarge() {
    return new Problem(HttpStatus.PAYLOAD_TOO_LARGE, CallbackVerifier.BODY_TOO_LARGE, "Body too large",
        "the request body exceeds " + maxBodySize + " bytes");
  }

  private static byte[] bytes(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return bytes;
    } finally {
      DataBufferUtils.release(buffer);
    }
  }

  private static String remote(ServerHttpRequest request) {
    InetSocketAddress addr = request.getRemoteAddress();
    if (addr == null) {
      return "unknown";
    }
    return addr.getAddress() != null ? addr.getAddress().getHostAddress() : addr.getHostString();
  }
}

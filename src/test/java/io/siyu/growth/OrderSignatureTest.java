package io.siyu.growth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siyu.MutableClock;
import io.siyu.admin.Problem;
import io.siyu.wecom.WecomApps;
import io.siyu.wecom.WecomProperties;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrderSignatureTest {

  private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"), ZoneOffset.UTC);

  private static GrowthProperties props(boolean enabled, String secret) {
    return new GrowthProperties(100, Duration.ofDays(35), List.of(Duration.ofDays(7)), null,
        new GrowthProperties.Levels(null, Duration.ofDays(1095), 10, GrowthProperties.Curve.EXPONENTIAL, 1.5, 2),
        new GrowthProperties.EventsConfig(1000), new GrowthProperties.Orders(enabled, secret, Duration.ofSeconds(300), 65536));
  }

  private static WecomApps wecom(WecomProperties.Mode mode) {
    return WecomApps.resolve(new WecomProperties(mode, "wwcorp123", null,
        new WecomProperties.Callback(Duration.ofSeconds(300), 65536, Duration.ofHours(72)),
        Map.of("contact", new WecomProperties.App(1000001, "secret", "token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))));
  }

  @Test
  void refusesToStartWithoutASecretWithTheRealWecom() {
    assertThatThrownBy(() -> new OrderSignature(props(true, ""), wecom(WecomProperties.Mode.REAL), CLOCK))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("siyu.growth.orders.secret");
  }

  @Test
  void startsWithoutASecretWhenOrdersAreDisabledOrInSandbox() {
    new OrderSignature(props(false, ""), wecom(WecomProperties.Mode.REAL), CLOCK);
    OrderSignature sandbox = new OrderSignature(props(true, ""), wecom(WecomProperties.Mode.SANDBOX), CLOCK);
    String ts = Long.toString(CLOCK.instant().getEpochSecond());
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    sandbox.verify(ts, HexFormat.of().formatHex(sandbox.sign(ts, body)), body);
  }

  @Test
  void refusesAShortSecret() {
    assertThatThrownBy(() -> new OrderSignature(props(true, "short"), wecom(WecomProperties.Mode.REAL), CLOCK))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void acceptsOnlyTheExactSignatureWithinTheWindow() {
    OrderSignature sig = new OrderSignature(props(true, "0123456789abcdef-secret"), wecom(WecomProperties.Mode.REAL), CLOCK);
    byte[] body = "{\"orderId\":\"1\"}".getBytes(StandardCharsets.UTF_8);
    String ts = Long.toString(CLOCK.instant().getEpochSecond() + 299);
    String good = HexFormat.of().formatHex(sig.sign(ts, body));
    sig.verify(ts, good, body);
    assertThatThrownBy(() -> sig.verify(ts, good.toUpperCase(), body)).isInstanceOf(Problem.class);
    assertThatThrownBy(() -> sig.verify(ts, good, "{\"orderId\":\"2\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(Problem.class).extracting(p -> ((Problem) p).slug()).isEqualTo("bad-signature");
    String late = Long.toString(CLOCK.instant().getEpochSecond() + 301);
    assertThatThrownBy(() -> sig.verify(late, HexFormat.of().formatHex(sig.sign(late, body)), body))
        .isInstanceOf(Problem.class).extracting(p -> ((Problem) p).slug()).isEqualTo("stale-timestamp");
  }
}

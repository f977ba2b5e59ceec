package io.siyu.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.SiyuIntegrationTest;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomApps;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

@SiyuIntegrationTest
class SignedLinksIntegrationTest {

  @Autowired
  SignedLinks links;

  @Autowired
  ReactiveStringRedisTemplate redis;

  @Autowired
  WecomApps wecom;

  @Autowired
  Clock clock;

  @Autowired
  Environment env;

  @Test
  void keepsTheSandboxSecretInRedisSoLinksSurviveARestart() {
    String token = links.sign("questionnaire", "oPersistedUnion", Duration.ofDays(7));
    assertThat(redis.hasKey(RedisKeys.linkSecret()).block(Duration.ofSeconds(5))).isTrue();

    // A second instance (or this one after a restart) reads the same secret.
    SignedLinks restarted = new SignedLinks(new LinkProperties("", ""), wecom, redis, clock, env);
    SignedLinks.Verified v = restarted.verify("questionnaire", token);
    assertThat(v.ok()).isTrue();
    assertThat(v.personId()).isEqualTo("oPersistedUnion");
  }

  @Test
  void buildsUrlsOnThisServerWhenNoBaseUrlIsConfigured() {
    assertThat(links.url("/q", "tok"))
        .isEqualTo("http://localhost:" + env.getProperty("local.server.port") + "/q/tok");
  }
}

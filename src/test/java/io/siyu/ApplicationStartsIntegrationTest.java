package io.siyu;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.wecom.WecomApps;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.web.reactive.server.WebTestClient;

@SiyuIntegrationTest
class ApplicationStartsIntegrationTest {

  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired WecomApps apps;
  @Autowired WebTestClient web;

  @Test
  void startsOnEmbeddedRedisWithTheSandbox() {
    assertThat(redis.opsForValue().set("siyu:test:ping", "pong")
        .then(redis.opsForValue().get("siyu:test:ping")).block(java.time.Duration.ofSeconds(5))).isEqualTo("pong");
    assertThat(apps.sandbox()).isTrue();
    assertThat(apps.all()).extracting(WecomApps.AppCredentials::name).contains("contact", "kf", "app");
    web.get().uri("/actuator/health").exchange().expectStatus().isOk();
  }
}

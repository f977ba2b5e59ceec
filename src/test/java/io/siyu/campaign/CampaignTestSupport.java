package io.siyu.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.siyu.AdminTokens;
import io.siyu.audience.PersonStore;
import io.siyu.infra.RedisKeys;
import io.siyu.sandbox.SandboxCall;
import io.siyu.sandbox.SandboxWecom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** People, segments and sandbox look-ups for campaign tests: the real stores and the admin API, nothing mocked. */
final class CampaignTestSupport {

  static final String OWNER = "zhangsan";
  private static final Duration T = Duration.ofSeconds(30);

  private final PersonStore persons;
  private final SandboxWecom sandbox;
  private final ReactiveStringRedisTemplate redis;
  private final WebTestClient web;

  CampaignTestSupport(PersonStore persons, SandboxWecom sandbox, ReactiveStringRedisTemplate redis, WebTestClient web) {
    this.persons = persons;
    this.sandbox = sandbox;
    this.redis = redis;
    this.web = web;
  }

  /** A person (unionid = person id, external user id {@link #ext}) followed by {@link #OWNER}, in the sandbox too. */
  String person(String id, String name) {
    assertThat(upsert(id, name).block(T)).isEqualTo(id);
    return id;
  }

  /** {@link #person} without waiting, for seeding many at once (the upserts pipeline on the shared connection). */
  reactor.core.publisher.Mono<String> upsert(String id, String name) {
    WxCpExternalContactInfo info = WxCpExternalContactInfo.fromJson("{\"errcode\":0,\"external_contact\":{"
        + "\"external_userid\":\"" + ext(id) + "\",\"name\":\"" + name + "\",\"type\":1,\"gender\":0,"
        + "\"unionid\":\"" + id + "\"},\"follow_user\":[{\"userid\":\"" + OWNER + "\",\"remark\":\"\","
        + "\"createtime\":1700000000,\"state\":\"\"}]}");
    sandbox.addFollow(ext(id), OWNER, null);
    return persons.upsert(info, OWNER, "");
  }

  static String ext(String personId) {
    return "wm" + personId;
  }

  /** Defines a segment through the admin API and waits until its build has {@code size} members. */
  String segment(String name, String expression, int size) {
    return segment(name, expression, size, T);
  }

  String segment(String name, String expression, int size, Duration timeout) {
    web.put().uri("/api/v1/segments/" + name).header(HttpHeaders.AUTHORIZATION, "Bearer " + AdminTokens.OPERATOR)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("expression", expression)).exchange()
        .expectStatus().is2xxSuccessful();
    await().atMost(timeout).until(() -> redis.opsForSet().size(RedisKeys.segmentMembers(name)).block(T) == size);
    return name;
  }

  /** Successful add_msg_template calls (1-on-1 staff tasks) to one customer. */
  List<SandboxCall> templateCallsTo(String externalUserId) {
    return sandbox.calls("externalcontact/add_msg_template").stream()
        .filter(c -> c.errcode() == 0)
        .filter(c -> c.request().toString().contains(externalUserId)).toList();
  }
}

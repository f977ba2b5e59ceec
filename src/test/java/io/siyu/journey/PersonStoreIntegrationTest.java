package io.siyu.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.siyu.SiyuIntegrationTest;
import io.siyu.audience.Person;
import io.siyu.audience.PersonStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import me.chanjar.weixin.cp.bean.external.contact.ExternalContact;
import me.chanjar.weixin.cp.bean.external.contact.FollowedUser;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Flux;

/** The person scripts against the real Redis. */
@SiyuIntegrationTest
class PersonStoreIntegrationTest {

  private static final Duration T = Duration.ofSeconds(10);

  @Autowired PersonStore persons;
  @Autowired org.springframework.data.redis.core.ReactiveStringRedisTemplate redis;

  private java.util.Map<String, String> hash(String id) {
    return redis.<String, String>opsForHash().entries(io.siyu.infra.RedisKeys.person(id))
        .collectMap(java.util.Map.Entry::getKey, java.util.Map.Entry::getValue).block(T);
  }

  private static WxCpExternalContactInfo contact(String ext, String unionid, String name, FollowedUser... follows) {
    ExternalContact c = new ExternalContact();
    c.setExternalUserId(ext);
    c.setUnionId(unionid);
    c.setName(name);
    c.setGender(2);
    WxCpExternalContactInfo info = new WxCpExternalContactInfo();
    info.setExternalContact(c);
    info.setFollowedUsers(List.of(follows));
    return info;
  }

  private static FollowedUser follow(String userId, long createtime, String remark, String state) {
    FollowedUser f = new FollowedUser();
    f.setUserId(userId);
    f.setCreateTime(createtime);
    f.setRemark(remark);
    f.setState(state);
    return f;
  }

  @Test
  void concurrentUpsertsOfOneContactGiveOnePersonWithTheEarliestFollowAsOwner() {
    String ext = "wmP" + UUID.randomUUID();
    WxCpExternalContactInfo info = contact(ext, null, "王芳",
        follow("lisi", 1_700_000_200L, "", ""), follow("zhangsan", 1_700_000_100L, "老朋友", "qr-1"));
    List<String> ids = Flux.range(0, 16).flatMap(i -> persons.upsert(info, "lisi", i % 2 == 0 ? "qr-event" : ""))
        .collectList().block(T);
    assertThat(ids).containsOnly(ext);
    Person p = persons.find(ext).block(T);
    assertThat(p.ownerUserId()).isEqualTo("zhangsan");
    assertThat(p.remark()).isEqualTo("老朋友");
    assertThat(p.name()).isEqualTo("王芳");
    assertThat(p.gender()).isEqualTo(2);
    assertThat(p.state()).isIn("qr-event", "");
    assertThat(persons.follows(ext).collectList().block(T)).hasSize(2);
  }

  @Test
  void recordsAnswersAndTagsOnAKnownPersonOnly() {
    String ext = "wmP" + UUID.randomUUID();
    persons.upsert(contact(ext, null, "x", follow("zhangsan", 1, "", "")), "zhangsan", "").block(T);
    assertThat(persons.recordAnswers(ext, Map.of("q1", "a"), Set.of("skin:oily")).block(T)).isTrue();
    assertThat(persons.recordAnswers(ext, Map.of("q2", "b"), Set.of()).block(T)).isTrue();
    Person p = persons.find(ext).block(T);
    assertThat(p.answers()).containsExactlyInAnyOrderEntriesOf(Map.of("q1", "a", "q2", "b"));
    assertThat(p.tags()).contains("skin:oily");

    String nobody = "nobody-" + UUID.randomUUID();
    assertThat(persons.recordAnswers(nobody, Map.of("q1", "a"), Set.of("t")).block(T)).isFalse();
    assertThat(persons.find(nobody).block(T)).isNull();
  }

  @Test
  void tagsAndAnswersAreProfileFieldsAndEveryWriteBumpsTheVersionAndMarksThePersonDirty() {
    String ext = "wmP" + UUID.randomUUID();
    persons.upsert(contact(ext, null, "x", follow("zhangsan", 1, "", "")), "zhangsan", "").block(T);
    persons.recordAnswers(ext, Map.of("q1", "a"), Set.of("skin:oily")).block(T);
    Map<String, String> h = hash(ext);
    assertThat(h).containsEntry("t:skin:oily", "1").containsEntry("a:q1", "a").containsEntry("v", "2")
        .doesNotContainKey("avatar");
    assertThat(redis.opsForZSet().score(io.siyu.infra.RedisKeys.audienceDirty(), ext).block(T)).isNotNull();
  }

  @Test
  void unfollowIsSetWhenTheLastFollowIsDeletedOnceAndClearedByANewFollow() {
    String ext = "wmP" + UUID.randomUUID();
    WxCpExternalContactInfo two = contact(ext, null, "x", follow("zhangsan", 1, "", ""), follow("lisi", 2, "", ""));
    persons.upsert(two, "zhangsan", "").block(T);
    assertThat(persons.unfollow(ext, "zhangsan").block(T)).isTrue();
    assertThat(hash(ext)).doesNotContainKey("unfollowedAt");
    persons.unfollow(ext, "lisi").block(T);
    Map<String, String> h = hash(ext);
    assertThat(h).containsKey("unfollowedAt");
    String v = h.get("v");
    persons.unfollow(ext, "lisi").block(T);
    assertThat(hash(ext)).containsEntry("v", v).containsEntry("unfollowedAt", h.get("unfollowedAt"));
    persons.upsert(contact(ext, null, "x", follow("lisi", 3, "", "")), "lisi", "").block(T);
    assertThat(hash(ext)).doesNotContainKey("unfollowedAt");
    assertThat(persons.unfollow("nobody-" + UUID.randomUUID(), "lisi").block(T)).isFalse();
  }
}

package io.siyu.audience;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import me.chanjar.weixin.cp.bean.external.contact.ExternalContact;
import me.chanjar.weixin.cp.bean.external.contact.FollowedUser;
import me.chanjar.weixin.cp.bean.external.contact.WxCpExternalContactInfo;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Persons in Redis: one hash per person under {@code {p:<id>}} with its follows, tags and answers beside
 * it, plus an external_userid → id index. The id is the unionid when WeCom gives one, else the
 * external_userid (wecom-reference §5).
 */
@Component
public class PersonStore {

  private static final RedisScript<String> UPSERT = LuaScripts.load("audience/upsert_person.lua", String.class);
  private static final RedisScript<Long> ANSWERS = LuaScripts.load("audience/record_answers.lua", Long.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** One staff member's relationship to the person, as {@code externalcontact/get} reported it. */
  public record Follow(String userId, String remark, List<String> tags, String state, long createtime) {}

  private final ReactiveStringRedisTemplate redis;
  private final Clock clock;

  PersonStore(ReactiveStringRedisTemplate redis, Clock clock) {
    this.redis = redis;
    this.clock = clock;
  }

  public static String personIdOf(ExternalContact contact) {
    return contact.getUnionId() != null && !contact.getUnionId().isBlank()
        ? contact.getUnionId() : contact.getExternalUserId();
  }

  /** Empty when the person is unknown. */
  public Mono<Person> find(String personId) {
    Mono<Map<String, String>> hash = redis.<String, String>opsForHash().entries(RedisKeys.person(personId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    Mono<Set<String>> tags = redis.opsForSet().members(RedisKeys.personTags(personId))
        .collect(LinkedHashSet::new, Set::add);
    Mono<Map<String, String>> answers = redis.<String, String>opsForHash().entries(RedisKeys.personAnswers(personId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    return Mono.zip(hash, tags, answers).flatMap(t -> {
      Map<String, String> h = t.getT1();
      if (h.isEmpty()) {
        return Mono.empty();
      }
      return Mono.just(new Person(personId, h.get("externalUserId"), h.get("unionId"), h.get("name"), h.get("avatar"),
          parseInt(h.get("gender")), h.get("ownerUserId"), h.get("remark"), h.get("state"), Set.copyOf(t.getT2()),
          Map.copyOf(t.getT3()), h.containsKey("firstSeen") ? Instant.ofEpochMilli(Long.parseLong(h.get("firstSeen"))) : null));
    });
  }

  /** Empty when no person has this external_userid. */
  public Mono<String> idOfExternalUser(String externalUserId) {
    return redis.opsForValue().get(RedisKeys.personIdOfExternalUser(externalUserId));
  }

  /** The person's follow relationships by staff userid. */
  public Flux<Follow> follows(String personId) {
    return redis.<String, String>opsForHash().values(RedisKeys.personFollows(personId))
        .map(json -> JSON.readValue(json, Follow.class));
  }

  /**
   * Creates or updates the person {@code externalcontact/get} describes, with every follow relationship.
   * Owner (the staff of the earliest follow), channel {@code state}, first external_userid and firstSeen
   * are kept from the first upsert. Returns the person id.
   *
   * @param state the add event's State; when blank, the follow's own state for {@code staffUserId}
   */
  public Mono<String> upsert(WxCpExternalContactInfo info, String staffUserId, String state) {
    return Mono.defer(() -> {
      ExternalContact c = Objects.requireNonNull(info.getExternalContact(), "externalcontact/get without external_contact");
      String id = personIdOf(c);
      List<FollowedUser> followed = info.getFollowedUsers() == null ? List.of() : info.getFollowedUsers();
      List<Follow> follows = followed.stream().filter(f -> f.getUserId() != null).map(PersonStore::follow).toList();
      String owner = follows.stream().min(Comparator.comparingLong(Follow::createtime)).map(Follow::userId)
          .orElse(staffUserId == null ? "" : staffUserId);
      String channel = state != null && !state.isBlank() ? state : follows.stream()
          .filter(f -> f.userId().equals(staffUserId)).map(Follow::state).findFirst().orElse("");
      List<String> args = new ArrayList<>(List.of(id, c.getExternalUserId(), nz(c.getUnionId()), nz(c.getName()),
          nz(c.getAvatar()), String.valueOf(c.getGender() == null ? 0 : c.getGender()), owner, channel,
          Long.toString(clock.millis()), Integer.toString(follows.size())));
      for (Follow f : follows) {
        args.add(f.userId());
        args.add(JSON.writeValueAsString(f));
      }
      List<String> keys = List.of(RedisKeys.person(id), RedisKeys.personFollows(id), RedisKeys.personTags(id));
      // The index lives in another slot (it is keyed by external_userid): written after the person exists,
      // so whoever finds an id through it finds the person. Idempotent, so a retry repairs a lost write.
      return redis.execute(UPSERT, keys, args).then(
          redis.opsForValue().set(RedisKeys.personIdOfExternalUser(c.getExternalUserId()), id)).thenReturn(id);
    });
  }

  /**
   * Merges questionnaire answers (question id → answer) and tags into the person. False when the person is
   * unknown (nothing written).
   */
  public Mono<Boolean> recordAnswers(String personId, Map<String, String> answers, Set<String> tags) {
    List<String> args = new ArrayList<>();
    args.add(Integer.toString(answers.size()));
    new LinkedHashMap<>(answers).forEach((q, a) -> {
      args.add(q);
      args.add(a);
    });
    args.addAll(tags);
    return redis.execute(ANSWERS, List.of(RedisKeys.person(personId), RedisKeys.personAnswers(personId),
        RedisKeys.personTags(personId)), args).next().map(r -> r == 1L);
  }

  private static Follow follow(FollowedUser f) {
    List<String> tags = f.getTags() == null ? List.of() : Arrays.stream(f.getTags())
        .map(FollowedUser.Tag::getTagName).filter(Objects::nonNull).toList();
    return new Follow(f.getUserId(), nz(f.getRemark()), tags, nz(f.getState()),
        f.getCreateTime() == null ? 0 : f.getCreateTime());
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static int parseInt(String s) {
    return s == null || s.isEmpty() ? 0 : Integer.parseInt(s);
  }
}

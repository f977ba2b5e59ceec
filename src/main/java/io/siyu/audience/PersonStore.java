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
 * Persons in Redis: one hash per person under {@code {p:<id>}} — the profile ({@link ProfileFields}), which
 * also holds tags ({@code t:<tag>}) and questionnaire answers ({@code a:<question>}) — with the follows
 * beside it, plus an external_userid → id index. Every write bumps the profile's {@code v} and marks the
 * person changed ({@link ProfileChanges}) so scores and segments follow. The id is the unionid when WeCom gives one, else the
 * external_userid (wecom-reference §5).
 */
@Component
public class PersonStore {

  private static final RedisScript<String> UPSERT = LuaScripts.load("audience/upsert_person.lua", String.class);
  private static final RedisScript<Long> UNFOLLOW = LuaScripts.load("audience/unfollow.lua", Long.class);
  private static final RedisScript<Long> ANSWERS = LuaScripts.load("audience/record_answers.lua", Long.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** One staff member's relationship to the person, as {@code externalcontact/get} reported it. */
  public record Follow(String userId, String remark, List<String> tags, String state, long createtime) {}

  private final ReactiveStringRedisTemplate redis;
  private final Clock clock;
  private final ProfileChanges changes;

  PersonStore(ReactiveStringRedisTemplate redis, Clock clock, ProfileChanges changes) {
    this.redis = redis;
    this.clock = clock;
    this.changes = changes;
  }

  public static String personIdOf(ExternalContact contact) {
    return contact.getUnionId() != null && !contact.getUnionId().isBlank()
        ? contact.getUnionId() : contact.getExternalUserId();
  }

  /** Empty when the person is unknown. The avatar is not stored (see {@link ProfileFields}): always null. */
  public Mono<Person> find(String personId) {
    return redis.<String, String>opsForHash().entries(RedisKeys.person(personId))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .filter(h -> !h.isEmpty())
        .map(h -> toPerson(personId, h));
  }

  static Person toPerson(String personId, Map<String, String> h) {
    Set<String> tags = new LinkedHashSet<>();
    Map<String, String> answers = new LinkedHashMap<>();
    h.forEach((k, v) -> {
      if (k.startsWith(ProfileFields.TAG_PREFIX)) {
        tags.add(k.substring(ProfileFields.TAG_PREFIX.length()));
      } else if (k.startsWith(ProfileFields.ANSWER_PREFIX)) {
        answers.put(k.substring(ProfileFields.ANSWER_PREFIX.length()), v);
      }
    });
    String firstSeen = h.get(ProfileFields.FIRST_SEEN);
    return new Person(personId, h.get(ProfileFields.EXTERNAL_USER_ID), h.get(ProfileFields.UNION_ID),
        h.get(ProfileFields.NAME), null, parseInt(h.get(ProfileFields.GENDER)), h.get(ProfileFields.OWNER),
        h.get(ProfileFields.REMARK), h.get(ProfileFields.STATE), Set.copyOf(tags), Map.copyOf(answers),
        firstSeen == null ? null : Instant.ofEpochMilli(Long.parseLong(firstSeen)));
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
          String.valueOf(c.getGender() == null ? 0 : c.getGender()), owner, channel,
          Long.toString(clock.millis()), Integer.toString(follows.size())));
      for (Follow f : follows) {
        args.add(f.userId());
        args.add(JSON.writeValueAsString(f));
      }
      List<String> keys = List.of(RedisKeys.person(id), RedisKeys.personFollows(id));
      // The index lives in another slot (it is keyed by external_userid): written after the person exists,
      // so whoever finds an id through it finds the person. Idempotent, so a retry repairs a lost write.
      return redis.execute(UPSERT, keys, args).then(changes.changed(id)).then(
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
    return redis.execute(ANSWERS, List.of(RedisKeys.person(personId)), args).next().map(r -> r == 1L)
        .flatMap(known -> known ? changes.changed(personId).thenReturn(true) : Mono.just(false));
  }

  /**
   * The customer deleted {@code staffUserId} (del_follow_user): that follow is removed, and when none is
   * left the person is marked unfollowed. Idempotent. False when the person is unknown.
   */
  public Mono<Boolean> unfollow(String personId, String staffUserId) {
    return redis.execute(UNFOLLOW, List.of(RedisKeys.person(personId), RedisKeys.personFollows(personId)),
            List.of(staffUserId, Long.toString(clock.millis()))).next()
        .flatMap(r -> r == 2L ? changes.changed(personId).thenReturn(true) : Mono.just(r != 0L));
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

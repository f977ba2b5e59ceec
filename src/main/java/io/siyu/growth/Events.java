package io.siyu.growth;

import io.siyu.infra.RedisKeys;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.connection.RedisStreamCommands.XAddOptions;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.connection.stream.StreamRecords;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Publishes domain events to {@link RedisKeys#events()} (XADD, MAXLEN ~ siyu.growth.events.max-length).
 * Fields: {@code type}, {@code key} (idempotency key: the same fact always carries the same key, and
 * may be published more than once, so consumers dedupe on it), {@code person}, {@code at} (epoch
 * millis), then the type's own fields.
 */
@Component
public class Events {

  public static final String INTERACTION = "interaction";
  public static final String LEVEL_UP = "level_up";
  /** Points expiring soon (PointsExpiringNotices): fields {@code points}, {@code expiresAt}, {@code date}. */
  public static final String POINTS_EXPIRING = "points_expiring";

  private final ReactiveStringRedisTemplate redis;
  private final XAddOptions options;
  private final String maxLengthArg;

  Events(ReactiveStringRedisTemplate redis, GrowthProperties props) {
    this.redis = redis;
    this.options = XAddOptions.maxlen(props.events().maxLength()).approximateTrimming(true);
    this.maxLengthArg = Long.toString(props.events().maxLength());
  }

  /** The stream's approximate MAXLEN as a script argument. */
  String maxLengthArg() {
    return maxLengthArg;
  }

  /**
   * Appends one event as {@code growth/after.lua} takes it: the number of field/value arguments, then
   * the same fields in the same order as {@link #publish}.
   */
  static void appendArgs(List<String> args, String type, String key, String personId, long atMillis, String... fields) {
    args.add(Integer.toString(8 + fields.length));
    args.add("type");
    args.add(type);
    args.add("key");
    args.add(key);
    args.add("person");
    args.add(personId);
    args.add("at");
    args.add(Long.toString(atMillis));
    for (String f : fields) {
      args.add(f);
    }
  }

  /** Appends one event; the id of the stream entry. */
  public Mono<RecordId> publish(String type, String key, String personId, Instant at, Map<String, String> fields) {
    Map<String, String> body = new LinkedHashMap<>(4 + fields.size());
    body.put("type", type);
    body.put("key", key);
    body.put("person", personId);
    body.put("at", Long.toString(at.toEpochMilli()));
    body.putAll(fields);
    return redis.opsForStream().add(StreamRecords.newRecord().in(RedisKeys.events()).ofMap(body), options);
  }

  /** The idempotency key of an interaction's event. */
  public static String interactionKey(String personId, String kind, String key) {
    return "interaction:" + personId + ":" + kind + ":" + key;
  }

  /** The idempotency key of reaching a level (published once per level however often it is reached). */
  public static String levelUpKey(String personId, int level) {
    return "level_up:" + personId + ":" + level;
  }
}

package io.siyu.audience;

import io.siyu.admin.Problem;
import io.siyu.infra.RedisKeys;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Segment definitions: those of the configuration ({@code siyu.audience.segments}, read-only) and those
 * made through the admin API (a Redis hash, so every instance sees them). Read from Redis on every use —
 * one small HGETALL per evaluator batch — so a change on one instance reaches all at once; parsed
 * expressions are cached by source.
 */
@Component
public class SegmentDefinitions {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern NAME = Pattern.compile(AudienceProperties.SEGMENT_NAME);

  /** A segment definition; {@code source} is {@code config} or {@code api}. */
  public record Definition(String name, String expression, String description, String source, Long updatedAt,
                           String updatedBy) {
    Expressions.Condition condition() {
      return Expressions.parse(expression);
    }
  }

  record Stored(String expression, String description, long updatedAt, String updatedBy) {}

  private final ReactiveStringRedisTemplate redis;
  private final Map<String, Definition> configured = new LinkedHashMap<>();
  private final Clock clock;

  SegmentDefinitions(ReactiveStringRedisTemplate redis, AudienceProperties props, Clock clock) {
    this.redis = redis;
    this.clock = clock;
    props.segments().forEach(s -> configured.put(s.name(),
        new Definition(s.name(), s.expression(), s.description(), "config", null, null)));
  }

  /** All definitions, configuration first, then the API's by name. */
  public Mono<List<Definition>> all() {
    return redis.<String, String>opsForHash().entries(RedisKeys.segmentDefinitions())
        .filter(e -> !configured.containsKey(e.getKey()))
        .map(e -> fromJson(e.getKey(), e.getValue()))
        .sort(Comparator.comparing(Definition::name))
        .collectList()
        .map(api -> {
          List<Definition> all = new ArrayList<>(configured.values());
          all.addAll(api);
          return all;
        });
  }

  public Mono<Definition> find(String name) {
    Definition c = configured.get(name);
    if (c != null) {
      return Mono.just(c);
    }
    return redis.<String, String>opsForHash().get(RedisKeys.segmentDefinitions(), name).map(json -> fromJson(name, json));
  }

  /** Whether {@code name} is defined in the configuration (then the API cannot change it). */
  boolean configured(String name) {
    return configured.containsKey(name);
  }

  static void requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new Problem(HttpStatus.BAD_REQUEST, "invalid-segment-name", "Invalid segment name",
          "A segment name is 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit.");
    }
  }

  /**
   * Creates or replaces an API definition. The expression is validated first ({@link InvalidExpressionException});
   * a configured name is refused (409). Returns whether it is new.
   */
  Mono<Boolean> put(String name, String expression, String description, String operator) {
    return Mono.defer(() -> {
      requireName(name);
      if (configured(name)) {
        return Mono.error(configuredConflict(name));
      }
      Expressions.parse(expression);
      String json = JSON.writeValueAsString(new Stored(expression, description, clock.millis(), operator));
      return redis.<String, String>opsForHash().hasKey(RedisKeys.segmentDefinitions(), name)
          .flatMap(existed -> redis.<String, String>opsForHash().put(RedisKeys.segmentDefinitions(), name, json)
              .thenReturn(!existed));
    });
  }

  /** Deletes an API definition and its member sets; false when there was none. */
  Mono<Boolean> delete(String name) {
    return Mono.defer(() -> {
      if (configured(name)) {
        return Mono.error(configuredConflict(name));
      }
      return redis.<String, String>opsForHash().remove(RedisKeys.segmentDefinitions(), name)
          .flatMap(n -> redis.delete(Flux.just(RedisKeys.segmentMembers(name), RedisKeys.segmentBuild(name),
              RedisKeys.segmentBuilding(name), RedisKeys.segmentLiveWrites(name))).thenReturn(n > 0));
    });
  }

  private static Problem configuredConflict(String name) {
    return new Problem(HttpStatus.CONFLICT, "segment-configured", "Segment defined in configuration",
        "Segment '" + name + "' is defined in siyu.audience.segments; change it there.");
  }

  private static Definition fromJson(String name, String json) {
    Stored s = JSON.readValue(json, Stored.class);
    return new Definition(name, s.expression(), s.description(), "api", s.updatedAt(), s.updatedBy());
  }
}

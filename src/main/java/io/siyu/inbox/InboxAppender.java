package io.siyu.inbox;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import io.siyu.wecom.WecomProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The one durable write of the ack path: SET-if-absent of the dedupe marker and XADD to the inbox
 * stream in one Lua script, so a crash can never leave a marker without its entry or the reverse.
 */
@Component
public class InboxAppender {

  /** Outcome of an append: a first sighting (new entry) or a duplicate of an earlier one. */
  public record Appended(boolean first, String entryId) {}

  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> APPEND = LuaScripts.load("inbox/append.lua", List.class);

  private final ReactiveStringRedisTemplate redis;
  private final String ttlSeconds;

  public InboxAppender(ReactiveStringRedisTemplate redis, WecomProperties wecom) {
    this.redis = redis;
    this.ttlSeconds = Long.toString(Math.max(1, wecom.callback().dedupeTtl().toSeconds()));
  }

  public Mono<Appended> append(InboxEvent event) {
    List<String> keys = List.of(RedisKeys.inboxSeen(event.dedupeKey()), RedisKeys.inboxStream(),
        RedisKeys.inboxAppendedCounter(), RedisKeys.inboxDuplicateCounter());
    Map<String, String> fields = event.toFields();
    List<String> args = new ArrayList<>(1 + fields.size() * 2);
    args.add(ttlSeconds);
    fields.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    return redis.execute(APPEND, keys, args).next()
        .map(result -> new Appended(((Number) result.get(0)).longValue() == 1L, String.valueOf(result.get(1))));
  }
}

package io.siyu.bench;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.siyu.audience.ProfileFields;
import io.siyu.infra.RedisKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Seeds a campaign benchmark's audience straight into the running server's Redis: N profiles (id, external
 * user id, owner, name, firstSeen) and the segment's member set, pipelined (auto-flush off, one flush per
 * chunk) — the admin API one person at a time would take longer than the planning it prepares.
 *
 * <pre>
 *   CampaignAudienceSeed REDIS_PORT N SEGMENT PERSON_PREFIX EXTERNAL_PREFIX OWNER
 * </pre>
 * Person i is {@code PERSON_PREFIX + i} with external user id {@code EXTERNAL_PREFIX + i}.
 */
public final class CampaignAudienceSeed {

  private static final int CHUNK = 2000;

  private CampaignAudienceSeed() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    String segment = args[2];
    String personPrefix = args[3];
    String externalPrefix = args[4];
    String owner = args[5];
    long t0 = System.nanoTime();
    RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      conn.setTimeout(Duration.ofMinutes(2));
      conn.setAutoFlushCommands(false);
      RedisAsyncCommands<String, String> async = conn.async();
      String members = RedisKeys.segmentMembers(segment);
      String now = Long.toString(System.currentTimeMillis());
      List<RedisFuture<?>> pending = new ArrayList<>();
      for (int from = 0; from < n; from += CHUNK) {
        int to = Math.min(n, from + CHUNK);
        String[] ids = new String[to - from];
        for (int i = from; i < to; i++) {
          String id = personPrefix + i;
          ids[i - from] = id;
          pending.add(async.hset(RedisKeys.person(id), Map.of(ProfileFields.ID, id,
              ProfileFields.EXTERNAL_USER_ID, externalPrefix + i, ProfileFields.OWNER, owner,
              ProfileFields.NAME, "顾客" + i, ProfileFields.FIRST_SEEN, now)));
        }
        pending.add(async.sadd(members, ids));
        conn.flushCommands();
        if (!LettuceFutures.awaitAll(Duration.ofMinutes(2), pending.toArray(new RedisFuture[0]))) {
          throw new IllegalStateException("seeding timed out");
        }
        pending.clear();
      }
    } finally {
      client.shutdown();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "seeded %d profiles and segment %s in %.1f s (%.0f/s, pipelined)%n", n, segment, s,
        n / s);
  }
}

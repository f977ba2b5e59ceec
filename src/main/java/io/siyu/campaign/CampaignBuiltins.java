package io.siyu.campaign;

import io.siyu.infra.LuaScripts;
import io.siyu.infra.RedisKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Creates the built-in campaigns of {@code siyu.campaign.builtins.campaigns} at start-up: the journey's
 * reminders are configured triggered campaigns, not code. Every definition is validated first (all of
 * them, every problem reported: start-up fails naming {@code siyu.campaign.builtins.campaigns.<id>.<field>}),
 * then each is created once across instances and restarts ({@code campaign/create-builtin.lua}): campaign
 * {@code builtin-<id>}, state scheduled (waiting for its first event), registered in
 * {@link RedisKeys#campaignBuiltins()} with a hash of the definition. A stored builtin is never overwritten
 * (an operator may have paused or cancelled it); a configuration that differs from the one it was created
 * from is logged.
 */
@Component
class CampaignBuiltins implements SmartLifecycle {

  static final String CREATED_BY = "builtin";
  static final String PREFIX = "siyu.campaign.builtins.campaigns.";
  private static final Logger log = LoggerFactory.getLogger(CampaignBuiltins.class);
  private static final Duration T = Duration.ofSeconds(30);
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
  @SuppressWarnings("rawtypes")
  private static final RedisScript<List> CREATE = LuaScripts.load("campaign/create-builtin.lua", List.class);

  private final BuiltinsProperties props;
  private final CampaignValidator validator;
  private final ReactiveStringRedisTemplate redis;
  private final Clock clock;
  private volatile boolean running;

  CampaignBuiltins(BuiltinsProperties props, CampaignValidator validator, ReactiveStringRedisTemplate redis,
                   Clock clock) {
    this.props = props;
    this.validator = validator;
    this.redis = redis;
    this.clock = clock;
  }

  /** The campaign id of a builtin. */
  static String campaignId(String builtinId) {
    return "builtin-" + builtinId;
  }

  /** What a start did per builtin. */
  enum Outcome { CREATED, EXISTS, CHANGED }

  @Override
  public synchronized void start() {
    if (!props.enabled()) {
      log.info("built-in campaigns disabled (siyu.campaign.builtins.enabled=false)");
      running = true;
      return;
    }
    Map<String, Outcome> outcomes = createAll().block(T);
    log.info("built-in campaigns: {}", outcomes);
    running = true;
  }

  /** Validates every builtin (IllegalStateException naming the keys), then creates the missing ones. */
  Mono<Map<String, Outcome>> createAll() {
    return Flux.fromIterable(props.campaigns().entrySet())
        .concatMap(e -> check(e.getKey(), e.getValue()).map(d -> Map.entry(e.getKey(), d)))
        .collectList()
        .flatMap(valid -> {
          List<String> problems = new ArrayList<>();
          valid.forEach(v -> problems.addAll(v.getValue().problems()));
          if (!problems.isEmpty()) {
            return Mono.error(new IllegalStateException("invalid built-in campaign: " + String.join("; ", problems)));
          }
          return Flux.fromIterable(valid)
              .concatMap(v -> create(v.getKey(), v.getValue().definition()).map(o -> Map.entry(v.getKey(), o)))
              .collectMap(Map.Entry::getKey, Map.Entry::getValue, java.util.TreeMap::new);
        });
  }

  private record Checked(Campaign.Definition definition, List<String> problems) {}

  private Mono<Checked> check(String id, BuiltinsProperties.Builtin b) {
    if (!ID.matcher(id).matches()) {
      return Mono.just(new Checked(null, List.of(PREFIX + id + ": a builtin id is a-z, 0-9 and - (at most 40)")));
    }
    if (b.schedule() == null) {
      return Mono.just(new Checked(null, List.of(PREFIX + id + ".schedule: a trigger (event-type, kind, delay, "
          + "condition) is required; built-in campaigns are triggered")));
    }
    Campaign.Definition d = validator.withDefaults(b.definition());
    return validator.validate(d).map(errors -> new Checked(d, errors.stream()
        .map(f -> PREFIX + id + "." + f.field() + ": " + f.message()).toList()));
  }

  private Mono<Outcome> create(String id, Campaign.Definition d) {
    Instant now = clock.instant();
    Campaign c = new Campaign(campaignId(id), d, Campaign.State.SCHEDULED, CREATED_BY, CREATED_BY, now, now, 1, null);
    String hash = hash(CampaignStore.JSON.writeValueAsString(d));
    return redis.execute(CREATE, List.of(RedisKeys.campaignBuiltins(), RedisKeys.campaign(c.id()),
            RedisKeys.campaignIndex()), List.of(id, hash, CampaignStore.JSON.writeValueAsString(c), c.state().id(),
            Long.toString(c.version()), Long.toString(now.toEpochMilli()), c.id()))
        .next()
        .map(r -> {
          boolean created = Long.valueOf(1L).equals(r.get(0));
          if (created) {
            return Outcome.CREATED;
          }
          if (hash.equals(String.valueOf(r.get(1)))) {
            return Outcome.EXISTS;
          }
          log.warn("built-in campaign {} ({}) differs from the configuration it was created from; the stored campaign "
              + "is kept: change it through the admin API (clone it, cancel the old one)", id, c.id());
          return Outcome.CHANGED;
        });
  }

  private static String hash(String json) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(json.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public synchronized void stop() {
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Before the trigger consumer (DEFAULT_PHASE - 512), so its first batch sees the builtins. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 1024;
  }
}

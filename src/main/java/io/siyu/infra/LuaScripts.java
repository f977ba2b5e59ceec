package io.siyu.infra;

import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.script.RedisScript;

/** Loads the Lua scripts that live under {@code src/main/resources/redis/<feature>/}. */
public final class LuaScripts {

  private LuaScripts() {}

  public static <T> RedisScript<T> load(String path, Class<T> resultType) {
    return RedisScript.of(new ClassPathResource("redis/" + path), resultType);
  }
}

package io.siyu.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.script.RedisScript;

/** Loads the Lua scripts that live under {@code src/main/resources/redis/<feature>/}. */
public final class LuaScripts {

  private LuaScripts() {}

  /**
   * Reads the script once into a String. {@code RedisScript.of(Resource)} would instead check the
   * resource's last-modified time on every execution — a jar URL connection per call, measured as a
   * visible share of the callback ack path.
   */
  public static <T> RedisScript<T> load(String path, Class<T> resultType) {
    ClassPathResource resource = new ClassPathResource("redis/" + path);
    try (InputStream in = resource.getInputStream()) {
      return RedisScript.of(new String(in.readAllBytes(), StandardCharsets.UTF_8), resultType);
    } catch (IOException e) {
      throw new UncheckedIOException("Lua script redis/" + path + " is missing from the classpath", e);
    }
  }
}

package io.siyu.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Loads the Lua scripts that live under {@code src/main/resources/redis/<feature>/}. A line
 * {@code --! include <path>} is replaced by the script at {@code redis/<path>}: Redis scripts cannot call one
 * another, so a helper several scripts share is pasted in at load time instead of being copied by hand
 * (one level; the included file must not include).
 */
public final class LuaScripts {

  private LuaScripts() {}

  /**
   * Reads the script once into a String. {@code RedisScript.of(Resource)} would instead check the
   * resource's last-modified time on every execution — a jar URL connection per call, measured as a
   * visible share of the callback ack path.
   */
  public static <T> RedisScript<T> load(String path, Class<T> resultType) {
    String script = INCLUDE.matcher(read(path)).replaceAll(m -> Matcher.quoteReplacement(read(m.group(1))));
    return RedisScript.of(script, resultType);
  }

  private static final Pattern INCLUDE = Pattern.compile("(?m)^--! include (\\S+)$");

  private static String read(String path) {
    ClassPathResource resource = new ClassPathResource("redis/" + path);
    try (InputStream in = resource.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Lua script redis/" + path + " is missing from the classpath", e);
    }
  }
}

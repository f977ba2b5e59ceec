package io.siyu.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * The real {@code redis-server} 6.2 binary shipped in embedded-redis, run as a child process.
 *
 * <p>Tests set {@code shared-per-jvm} so every cached application context of one test JVM talks to one
 * server, stopped by a shutdown hook; the application stops its own server on context close.
 */
public final class EmbeddedRedis implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedis.class);
  private static EmbeddedRedis shared;

  private final RedisServer server;
  private final int port;
  private final boolean sharedInstance;

  private EmbeddedRedis(RedisServer server, int port, boolean sharedInstance) {
    this.server = server;
    this.port = port;
    this.sharedInstance = sharedInstance;
  }

  public static EmbeddedRedis start(EmbeddedRedisProperties props) {
    if (props.sharedPerJvm()) {
      synchronized (EmbeddedRedis.class) {
        if (shared == null) {
          shared = launch(props, true);
          EmbeddedRedis s = shared;
          Runtime.getRuntime().addShutdownHook(new Thread(s::stopNow, "embedded-redis-stop"));
        }
        return shared;
      }
    }
    return launch(props, false);
  }

  private static EmbeddedRedis launch(EmbeddedRedisProperties props, boolean sharedInstance) {
    int port = props.port() == 0 ? freePort() : props.port();
    Path dir = Path.of(props.dir()).toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
      RedisServer server = RedisServer.newRedisServer()
          .port(port)
          .bind("127.0.0.1")
          .setting("dir " + dir)
          .setting("appendonly " + (props.appendonly() ? "yes" : "no"))
          .setting("appendfsync " + props.appendfsync())
          .setting("save \"\"")
          .setting("protected-mode yes")
          .onShutdownForceStop(true)
          .build();
      server.start();
      log.info("Embedded redis-server started on 127.0.0.1:{} with data in {}", port, dir);
      return new EmbeddedRedis(server, port, sharedInstance);
    } catch (IOException e) {
      throw new IllegalStateException(
          "siyu.redis.embedded: could not start the embedded redis-server on port " + port + " in " + dir
              + " (set siyu.redis.embedded.port, or configure spring.data.redis.host for an external Redis)", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    if (!sharedInstance) {
      stopNow();
    }
  }

  private void stopNow() {
    try {
      Instant start = Instant.now();
      server.stop();
      log.info("Embedded redis-server stopped in {} ms", Duration.between(start, Instant.now()).toMillis());
    } catch (IOException e) {
      log.warn("Embedded redis-server did not stop cleanly: {}", e.getMessage());
    }
  }
}

package io.siyu.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * The real {@code redis-server} 6.2 binary shipped in embedded-redis, run as a child process.
 *
 * <p>embedded-redis supplies the binary and its command line; the process is started and stopped here
 * because the library's {@code start()} always registers a JVM shutdown hook that kills the server while
 * Spring's graceful shutdown is still acknowledging in-flight work. Here the application context stops
 * the server after everything that uses Redis; a fallback hook only waits for that and kills the server
 * if the context never closes, so no orphan outlives the JVM.
 *
 * <p>Tests set {@code shared-per-jvm} so every cached application context of one test JVM talks to one
 * server, stopped at JVM exit.
 */
public final class EmbeddedRedis implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedis.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  /** How long the fallback hook lets the context's graceful shutdown run before killing the server. */
  private static final Duration FALLBACK_GRACE = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static EmbeddedRedis shared;

  private final Process process;
  private final int port;
  private final boolean sharedInstance;

  private EmbeddedRedis(Process process, int port, boolean sharedInstance) {
    this.process = process;
    this.port = port;
    this.sharedInstance = sharedInstance;
  }

  public static EmbeddedRedis start(EmbeddedRedisProperties props) {
    if (props.sharedPerJvm()) {
      synchronized (EmbeddedRedis.class) {
        if (shared == null) {
          shared = launch(props, true);
        }
        return shared;
      }
    }
    return launch(props, false);
  }

  private static EmbeddedRedis launch(EmbeddedRedisProperties props, boolean sharedInstance) {
    // A free port is only free until someone else binds it; with port 0 a lost race is retried.
    int attempts = props.port() == 0 ? 3 : 1;
    for (int attempt = 1; ; attempt++) {
      try {
        return launchOnce(props, sharedInstance);
      } catch (PortTakenException e) {
        if (attempt >= attempts) {
          throw new IllegalStateException("siyu.redis.embedded.port: " + e.getMessage()
              + " (set another siyu.redis.embedded.port, or 0 for a free one)", e);
        }
        log.info("Embedded redis-server lost its port to another process ({}); trying another", e.getMessage());
      }
    }
  }

  /** Our redis-server could not have the port: something else answers there, or it exited. */
  private static final class PortTakenException extends IOException {
    PortTakenException(String message) {
      super(message);
    }
  }

  private static EmbeddedRedis launchOnce(EmbeddedRedisProperties props, boolean sharedInstance) throws PortTakenException {
    int port = props.port() == 0 ? freePort() : props.port();
    Path dir = Path.of(props.dir()).toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
      List<String> command = RedisServer.newRedisServer()
          .port(port)
          .bind("127.0.0.1")
          .setting("dir " + dir)
          .setting("appendonly " + (props.appendonly() ? "yes" : "no"))
          .setting("appendfsync " + props.appendfsync())
          .setting("save \"\"")
          .setting("protected-mode yes")
          .setting("logfile " + dir.resolve("redis.log"))
          .buildCommandArgs();
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      EmbeddedRedis redis = new EmbeddedRedis(process, port, sharedInstance);
      Runtime.getRuntime().addShutdownHook(new Thread(redis::fallbackStop, "embedded-redis-fallback-stop"));
      redis.awaitReady(dir);
      log.info("Embedded redis-server started on 127.0.0.1:{} with data in {}", port, dir);
      return redis;
    } catch (PortTakenException e) {
      throw e;
    } catch (IOException e) {
      throw new IllegalStateException(
          "siyu.redis.embedded: could not start the embedded redis-server on port " + port + " in " + dir
              + " (set siyu.redis.embedded.port, or configure spring.data.redis.host for an external Redis)", e);
    }
  }

  /**
   * Polls until the server on our port answers and is ours: its data directory is ours. A PONG alone could
   * come from another process's Redis that took the port, and a test JVM would then share its data.
   */
  private void awaitReady(Path dir) throws IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new PortTakenException("redis-server exited with code " + process.exitValue()
            + " (port " + port + " in use? see " + dir.resolve("redis.log") + ")");
      }
      String served = servedDir();
      if (served != null && served.equals(dir.toString())) {
        return;
      }
      if (served != null && exitsWithin(Duration.ofSeconds(2))) {
        // Another Redis answers on our port, and ours could not bind it.
        throw new PortTakenException("port " + port + " is served by another Redis (data in " + served + ")");
      }
      try {
        Thread.sleep(20); // start-up only, off any event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for redis-server", e);
      }
    }
    process.destroyForcibly();
    throw new IOException("redis-server did not answer PING within " + READY_TIMEOUT.toSeconds() + " s");
  }

  private boolean exitsWithin(Duration timeout) throws IOException {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for redis-server", e);
    }
  }

  /** The data directory of the Redis answering on our port ({@code CONFIG GET dir}), or null if none answers. */
  private String servedDir() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("CONFIG GET dir\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // Reply: *2 $3 dir $<n> <path>; read it whole (it is small) and take the last bulk string.
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      int total = 0;
      while (total < buffer.length) {
        int n = in.read(buffer, total, buffer.length - total);
        if (n < 0) {
          break;
        }
        total += n;
        String[] lines = new String(buffer, 0, total, StandardCharsets.UTF_8).split("\r\n");
        if (lines.length >= 5 && lines[0].equals("*2")) {
          return lines[4];
        }
      }
      return null;
    } catch (IOException e) {
      return null;
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
      stop();
    }
  }

  private void fallbackStop() {
    try {
      // The application context normally stops the server first; a shared (test) server is stopped here.
      if (!sharedInstance && process.waitFor(FALLBACK_GRACE.toSeconds(), TimeUnit.SECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop();
  }

  /** SIGTERM: redis-server flushes its AOF and exits; killed if it does not within the stop timeout. */
  private synchronized void stop() {
    if (!process.isAlive()) {
      return;
    }
    long start = System.nanoTime();
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        log.warn("Embedded redis-server did not stop within {} s; killing it", STOP_TIMEOUT.toSeconds());
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    log.info("Embedded redis-server stopped in {} ms", Duration.ofNanos(System.nanoTime() - start).toMillis());
  }
}

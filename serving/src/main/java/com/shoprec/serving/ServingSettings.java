package com.shoprec.serving;

import com.shoprec.serving.redis.RedisEndpoint;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The server's settings, read once from configuration into final fields and checked at once, so that a
 * bad value stops the start with a message naming its key. Defaults and documentation of every key are in
 * {@code reference.conf}.
 */
public final class ServingSettings {

  private static final String S = "shoprec.serving.";
  private static final String R = "shoprec.redis.";

  /** Largest in-process cache accepted: the JVM heap is the real bound, this catches unit typos. */
  static final long MAX_CACHE_BYTES = 64L << 30;

  public final String host;
  public final int port;
  public final int ioThreads;
  public final int workerThreads;
  public final int redisConnections;
  public final int redisTimeoutMillis;
  public final int redisConnectTimeoutMillis;
  public final int redisReconnectMillis;
  public final int redisMaxPending;
  public final long cacheBytes;
  public final int liveRunCacheMillis;
  public final int maxAgeSeconds;
  public final int shutdownGraceMillis;
  public final boolean failFast;
  public final RedisEndpoint redis;
  public final String namespace;
  /** Name of the environment variable the password may come from (for the log line only). */
  public final String passwordEnv;
  /** File the password is read from instead of the environment, or null. */
  public final String passwordFile;

  private ServingSettings(Config c, Function<String, String> env) {
    host = string(c, S + "host");
    port = intIn(c, S + "port", 0, 65535);
    ioThreads = intIn(c, S + "io-threads", 0, 256);
    workerThreads = intIn(c, S + "worker-threads", 1, 1024);
    redisConnections = intIn(c, S + "redis-connections", 1, 64);
    redisTimeoutMillis = intIn(c, S + "redis-timeout-millis", 10, 600_000);
    redisConnectTimeoutMillis = intIn(c, S + "redis-connect-timeout-millis", 10, 600_000);
    redisReconnectMillis = intIn(c, S + "redis-reconnect-millis", 0, 600_000);
    redisMaxPending = intIn(c, S + "redis-max-pending", 1, 10_000_000);
    cacheBytes = bytesIn(c, S + "cache-size", 0, MAX_CACHE_BYTES);
    liveRunCacheMillis = intIn(c, S + "live-run-cache-millis", 0, 3_600_000);
    maxAgeSeconds = intIn(c, S + "max-age-seconds", 0, 86_400);
    shutdownGraceMillis = intIn(c, S + "shutdown-grace-millis", 0, 600_000);
    failFast = bool(c, S + "fail-fast");
    passwordEnv = string(c, R + "password-env");
    String url = string(c, R + "url");
    passwordFile = c.hasPath(R + "password-file") && !c.getIsNull(R + "password-file")
        ? string(c, R + "password-file") : null;
    String password = passwordFile != null ? readPassword(passwordFile)
        : passwordEnv.isEmpty() ? null : env.apply(passwordEnv);
    try {
      redis = RedisEndpoint.parse(url, password);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(R + "url: " + e.getMessage());
    }
    namespace = c.hasPath(R + "namespace") ? string(c, R + "namespace") : "";
    if (host.isBlank()) {
      throw new IllegalArgumentException(S + "host must not be empty");
    }
  }

  /** Settings from an already merged configuration; the environment supplies the Redis password. */
  public static ServingSettings from(Config config) {
    return from(config, System::getenv);
  }

  static ServingSettings from(Config config, Function<String, String> env) {
    return new ServingSettings(config.resolve(), env);
  }

  /**
   * Loads, from highest precedence: {@code flags} (full key → value), the overlay file (may be null),
   * system properties and {@code application.conf}, then {@code reference.conf}.
   */
  public static ServingSettings load(Map<String, ?> flags, File overlay) {
    Config config = ConfigFactory.parseMap(flags, "command-line flags");
    if (overlay != null) {
      if (!overlay.isFile()) {
        throw new IllegalArgumentException("--config: no such file " + overlay);
      }
      config = config.withFallback(ConfigFactory.parseFile(overlay));
    }
    config = ConfigFactory.defaultOverrides()
        .withFallback(config)
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReference());
    try {
      return from(config.resolve());
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The effective settings, one per line, password masked: logged once at start. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(S + "host", host);
    m.put(S + "port", port);
    m.put(S + "io-threads", ioThreads == 0 ? "0 (" + Runtime.getRuntime().availableProcessors() + " cores)" : ioThreads);
    m.put(S + "worker-threads", workerThreads);
    m.put(S + "redis-connections", redisConnections);
    m.put(S + "redis-timeout-millis", redisTimeoutMillis);
    m.put(S + "redis-connect-timeout-millis", redisConnectTimeoutMillis);
    m.put(S + "redis-reconnect-millis", redisReconnectMillis);
    m.put(S + "redis-max-pending", redisMaxPending);
    m.put(S + "cache-size", cacheBytes + " bytes");
    m.put(S + "live-run-cache-millis", liveRunCacheMillis);
    m.put(S + "max-age-seconds", maxAgeSeconds);
    m.put(S + "shutdown-grace-millis", shutdownGraceMillis);
    m.put(S + "fail-fast", failFast);
    m.put(R + "url", redis.toString());
    m.put(R + "password-env", passwordEnv);
    m.put(R + "password-file", passwordFile == null ? "none" : passwordFile);
    m.put(R + "namespace", '"' + namespace + '"');
    return m;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    describe().forEach((k, v) -> b.append("\n  ").append(k).append(" = ").append(v));
    return b.toString();
  }

  public int effectiveIoThreads() {
    return ioThreads == 0 ? Math.max(1, Runtime.getRuntime().availableProcessors()) : ioThreads;
  }

  /** The password file's content, one trailing line break removed; never echoed in an error. */
  private static String readPassword(String file) {
    String value;
    try {
      value = java.nio.file.Files.readString(java.nio.file.Path.of(file), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalArgumentException(R + "password-file: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    if (value.endsWith("\n")) {
      value = value.substring(0, value.length() - (value.endsWith("\r\n") ? 2 : 1));
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException(R + "password-file: " + file + " is empty");
    }
    return value;
  }

  private static String string(Config c, String key) {
    try {
      return c.getString(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static boolean bool(Config c, String key) {
    try {
      return c.getBoolean(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static int intIn(Config c, String key, int min, int max) {
    int v;
    try {
      v = c.getInt(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  private static long bytesIn(Config c, String key, long min, long max) {
    long v;
    try {
      v = c.getBytes(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + " bytes, got " + v);
    }
    return v;
  }
}

package com.shoprec.jobs.store.redis;

import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import redis.clients.jedis.Jedis;

/**
 * Where Redis is and how to log in: parsed once on the driver from
 * {@code redis://[user[:password]@]host[:port][/db]} ({@code rediss://} for TLS) and shipped to the
 * executors, which is why it is a plain serializable value. {@link #toString()} masks the password.
 *
 * <p>User and password are percent-decoded (a password containing {@code @ : / %} must be written
 * {@code %40 %3A %2F %25}, as for any URL). A password in the URL wins over the one the caller passes
 * (typically read from an environment variable, so that it stays out of configuration files).
 *
 * @param host host name or IP literal (IPv6 without brackets)
 * @param port TCP port, 6379 when the URL has none
 * @param user ACL user name, or null for the default user
 * @param password password, or null when Redis has none
 * @param database logical database selected after connecting
 * @param ssl true for {@code rediss://}: TLS with the JVM's trust store and host name verification
 * @param timeoutMillis connect and read timeout
 */
public record RedisTarget(
    String host, int port, String user, String password, int database, boolean ssl, int timeoutMillis)
    implements Serializable {

  public static final int DEFAULT_PORT = 6379;
  private static final String MASK = "***";

  public RedisTarget {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("Redis host is missing");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("Redis port must be 1 to 65535: " + port);
    }
    if (database < 0) {
      throw new IllegalArgumentException("Redis database must be 0 or more: " + database);
    }
    if (timeoutMillis <= 0) {
      throw new IllegalArgumentException("Redis timeout must be positive: " + timeoutMillis + " ms");
    }
    if (user != null && password == null) {
      // Not echoed: "redis://secret@host" (a password without its colon) lands here.
      throw new IllegalArgumentException("Redis user given without a password (for the default user "
          + "write redis://:password@host; or pass the password separately)");
    }
  }

  /**
   * Parses a Redis URL.
   *
   * @param url {@code redis://[user[:password]@]host[:port][/db]} or {@code rediss://...}
   * @param passwordOrNull the password to use when the URL has none (e.g. from {@code REDIS_PASSWORD})
   * @param timeoutMillis connect and read timeout
   * @throws IllegalArgumentException naming the part of the URL that is wrong; the message never
   *     contains the password
   */
  public static RedisTarget parse(String url, String passwordOrNull, int timeoutMillis) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("Redis URL is empty");
    }
    int schemeEnd = url.indexOf("://");
    if (schemeEnd < 0) {
      throw new IllegalArgumentException("Redis URL must start with redis:// or rediss://");
    }
    String scheme = url.substring(0, schemeEnd);
    boolean ssl;
    if (scheme.equalsIgnoreCase("redis")) {
      ssl = false;
    } else if (scheme.equalsIgnoreCase("rediss")) {
      ssl = true;
    } else {
      // The scheme is not echoed either: in a mistyped URL any part may hold the password.
      throw new IllegalArgumentException("Redis URL scheme must be redis or rediss");
    }
    String rest = url.substring(schemeEnd + 3);

    // The user info ends at the last '@', so that an unescaped '@' or '/' in a password still parses.
    String user = null;
    String password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int colon = userInfo.indexOf(':');
      String rawUser = colon < 0 ? userInfo : userInfo.substring(0, colon);
      if (!rawUser.isEmpty()) {
        user = percentDecode(rawUser, "user name");
      }
      if (colon >= 0 && colon < userInfo.length() - 1) {
        password = percentDecode(userInfo.substring(colon + 1), "password");
      }
    }
    if (password == null && passwordOrNull != null && !passwordOrNull.isEmpty()) {
      password = passwordOrNull;
    }

    if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      throw new IllegalArgumentException("Redis URL options (?... or #...) are not supported: put the "
          + "database in the path (/db) and the password in the user info or the environment");
    }
    String hostPort = rest;
    String path = "";
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      hostPort = rest.substring(0, slash);
      path = rest.substring(slash + 1);
    }

    String host;
    String portText = null;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("Redis URL host: an IPv6 address lacks its closing ]");
      }
      host = hostPort.substring(1, close);
      String after = hostPort.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw new IllegalArgumentException("Redis URL host: ']' must be followed by :port or nothing");
        }
        portText = after.substring(1);
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      portText = colon < 0 ? null : hostPort.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "Redis URL host has more than one ':' (write IPv6 addresses in brackets, and the user info "
            + "as user:password@)");
      }
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("Redis URL has no host");
    }
    int port = DEFAULT_PORT;
    if (portText != null) {
      port = parseNumber(portText, "port");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("Redis URL port must be 1 to 65535, not " + port);
      }
    }
    int database = 0;
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (!path.isEmpty()) {
      database = parseNumber(path, "database");
    }
    return new RedisTarget(host, port, user, password, database, ssl, timeoutMillis);
  }

  /**
   * A new connection, logged in (AUTH, with the user name when there is one: an ACL user) and on the
   * configured database. The caller closes it. Fails with a Jedis exception: a
   * {@code JedisConnectionException} when Redis cannot be reached, a {@code JedisDataException} when it
   * refuses the credentials or the database.
   */
  public Jedis connect() {
    Jedis jedis;
    if (ssl) {
      // Jedis 3 does not check the certificate's host name unless asked to.
      SSLParameters params = new SSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      jedis = new Jedis(host, port, timeoutMillis, timeoutMillis, true,
          (SSLSocketFactory) SSLSocketFactory.getDefault(), params, null);
    } else {
      jedis = new Jedis(host, port, timeoutMillis, timeoutMillis, false);
    }
    try {
      if (password != null) {
        if (user != null) {
          jedis.auth(user, password);
        } else {
          jedis.auth(password);
        }
      } else {
        jedis.connect();
      }
      if (database != 0) {
        jedis.select(database);
      }
      return jedis;
    } catch (RuntimeException e) {
      jedis.close();
      throw e;
    }
  }

  /** {@code host:port}, for messages. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ':' + port;
  }

  /** The URL without the password: safe to log. */
  public String redactedUrl() {
    StringBuilder b = new StringBuilder(ssl ? "rediss://" : "redis://");
    if (user != null || password != null) {
      b.append(user == null ? "" : user).append(password == null ? "" : ":" + MASK).append('@');
    }
    return b.append(address()).append('/').append(database).toString();
  }

  @Override
  public String toString() {
    return "RedisTarget[" + redactedUrl() + ", timeoutMillis=" + timeoutMillis + "]";
  }

  private static int parseNumber(String text, String what) {
    if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("Redis URL " + what + " must be a number");
    }
    return Integer.parseInt(text);
  }

  /** Percent-decoding as in URLs ({@code +} stays a plus sign); the text itself is never echoed. */
  private static String percentDecode(String text, String what) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '%') {
        int hi = i + 1 < bytes.length ? Character.digit(bytes[i + 1], 16) : -1;
        int lo = i + 2 < bytes.length ? Character.digit(bytes[i + 2], 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("Redis URL " + what + " has a '%' not followed by two hex "
              + "digits (write a literal % as %25)");
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        out.write(bytes[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}

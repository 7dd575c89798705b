package com.shoprec.serving.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where Redis is and how to log in: parsed once from {@code redis://[user[:password]@]host[:port][/db]} or
 * {@code rediss://…} (TLS). The password may instead come from an environment variable, so that it never
 * sits in a configuration file; {@link #toString()} masks it.
 *
 * @param host host name or address
 * @param port TCP port, 6379 when the URL has none
 * @param database logical database selected after connecting (0 to 15 on a default Redis)
 * @param user ACL user, or null for the default user
 * @param password password, or null when Redis needs none
 * @param tls true for {@code rediss://}: TLS with host name verification
 */
public record RedisEndpoint(String host, int port, int database, String user, String password, boolean tls) {

  /** The port Redis listens on unless told otherwise. */
  public static final int DEFAULT_PORT = 6379;

  /**
   * Parses {@code url}; when it carries no password, {@code passwordFromEnv} (may be null or empty) is used.
   *
   * @throws IllegalArgumentException naming what is wrong, without echoing a password
   */
  public static RedisEndpoint parse(String url, String passwordFromEnv) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL (expected redis://host:port/db or rediss://…): " + e.getReason());
    }
    String scheme = uri.getScheme();
    boolean tls;
    if ("redis".equalsIgnoreCase(scheme)) {
      tls = false;
    } else if ("rediss".equalsIgnoreCase(scheme)) {
      tls = true;
    } else {
      throw new IllegalArgumentException("scheme must be redis:// or rediss://, got " + scheme);
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("no host in the Redis URL");
    }
    int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
    int database = 0;
    String path = uri.getPath();
    if (path != null && path.length() > 1) {
      try {
        database = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the path of the Redis URL must be a database number, got " + path);
      }
      if (database < 0) {
        throw new IllegalArgumentException("the database number must not be negative, got " + database);
      }
    }
    String user = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        // redis://user@host: an ACL user whose password comes from the environment or a file (as the
        // batch job and Jedis read such a URL; a password alone is written redis://:secret@host).
        user = decode(userInfo);
      } else {
        String u = decode(userInfo.substring(0, colon));
        user = u.isEmpty() ? null : u;
        password = decode(userInfo.substring(colon + 1));
      }
      if (password != null && password.isEmpty()) {
        password = null;
      }
    }
    if (password == null && passwordFromEnv != null && !passwordFromEnv.isEmpty()) {
      password = passwordFromEnv;
    }
    if (user != null && password == null) {
      throw new IllegalArgumentException("the Redis URL names user " + user + " but no password was given "
          + "(in the URL as user:password@, in the environment variable or the password file)");
    }
    return new RedisEndpoint(host, port, database, user, password, tls);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The URL with the password replaced by {@code ***}, for logs. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(tls ? "rediss://" : "redis://");
    if (user != null || password != null) {
      if (user != null) {
        b.append(user);
      }
      if (password != null) {
        b.append(":***");
      }
      b.append('@');
    }
    b.append(host).append(':').append(port).append('/').append(database);
    return b.toString();
  }
}

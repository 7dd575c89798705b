package com.shoprec.jobs.store.postgres;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where Postgres is and how to log in: built once on the driver and shipped to the executors, which open
 * their own connections for COPY, which is why it is a plain serializable value. {@link #toString()} and
 * {@link #redactedUrl()} mask the password, including a {@code password=} parameter inside the URL.
 *
 * @param jdbcUrl {@code jdbc:postgresql://host[:port]/database[?options]}
 * @param user user name, or null to take it from the URL ({@code ?user=}) or the driver's default
 * @param password password, or null (typically read by the caller from an environment variable)
 */
public record PostgresTarget(String jdbcUrl, String user, String password) implements Serializable {

  /** Connect timeout used unless the URL sets {@code connectTimeout}: an unreachable server fails fast. */
  static final int CONNECT_TIMEOUT_SECONDS = 10;
  private static final String MASK = "***";
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)([?&]password=)[^&]*");
  private static final Pattern HOST_PORT = Pattern.compile("^jdbc:postgresql://([^/?]*)");

  public PostgresTarget {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("Postgres URL must start with jdbc:postgresql:, not '"
          + (jdbcUrl == null ? "null" : redact(jdbcUrl)) + "'");
    }
  }

  /**
   * A new connection in auto-commit mode; the caller closes it.
   *
   * @throws SQLException from the driver when the server cannot be reached or refuses the login
   */
  public Connection connect() throws SQLException {
    Properties props = new Properties();
    // Defaults only: parameters written in the URL win over these.
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("ApplicationName", "shoprec");
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    // The driver directly rather than DriverManager, which cannot see drivers loaded by Spark's
    // class loader for the application jar.
    Connection connection = new org.postgresql.Driver().connect(jdbcUrl, props);
    if (connection == null) {
      throw new SQLException("the Postgres driver does not accept the URL " + redactedUrl());
    }
    return connection;
  }

  /** {@code host:port} as written in the URL (the driver's defaults apply when a part is missing). */
  public String address() {
    Matcher m = HOST_PORT.matcher(jdbcUrl);
    return m.find() && !m.group(1).isEmpty() ? m.group(1) : "localhost:5432";
  }

  /** The URL without any password: safe to log. */
  public String redactedUrl() {
    return redact(jdbcUrl);
  }

  private static String redact(String url) {
    return URL_PASSWORD.matcher(url).replaceAll("$1" + MASK);
  }

  @Override
  public String toString() {
    return "PostgresTarget[" + redactedUrl() + ", user=" + user + ", password="
        + (password == null ? "none" : MASK) + "]";
  }
}

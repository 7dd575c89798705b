package com.shoprec.jobs.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * The COPY tasks' connections, kept per JVM (an executor, or the driver in local mode) so that the next
 * table's task reuses the connection the previous one finished with instead of starting a new Postgres
 * backend: a publish COPYs 8 tables, and a new backend costs its fork, login and catalog caches, and a
 * page-table entry for every shared buffer it touches, which on a small machine made the job's COPY much
 * slower than psql's single-session {@code \copy} ({@code bench/scale.sh} compares the two).
 *
 * <p>Only connections whose COPY ended cleanly come back (auto-commit, nothing open); one that failed is
 * closed by its task. An idle connection is checked before it is lent again and dropped when the server no
 * longer answers or it has waited longer than {@link #MAX_IDLE_NANOS}. At most {@link #MAX_IDLE_PER_TARGET}
 * wait per target; {@link #closeIdle} (called when the driver's store closes) ends the rest.
 */
final class CopyConnections {

  static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
  static final int MAX_IDLE_PER_TARGET = 8;
  private static final int VALID_TIMEOUT_SECONDS = 2;

  private record Idle(Connection connection, long since) {}

  private static final Map<PostgresTarget, Deque<Idle>> IDLE = new ConcurrentHashMap<>();

  private CopyConnections() {}

  /** A connection in auto-commit mode to {@code target}: an idle one that still answers, else a new one. */
  static Connection borrow(PostgresTarget target) throws SQLException {
    Deque<Idle> idle = IDLE.get(target);
    Idle candidate;
    while (idle != null && (candidate = idle.pollFirst()) != null) {
      Connection c = candidate.connection();
      if (System.nanoTime() - candidate.since() < MAX_IDLE_NANOS && isUsable(c)) {
        return c;
      }
      closeQuietly(c);
    }
    return target.connect();
  }

  /** Gives back a connection whose work ended cleanly (nothing open, auto-commit); closes it if too many wait. */
  static void giveBack(PostgresTarget target, Connection connection) {
    Deque<Idle> idle = IDLE.computeIfAbsent(target, t -> new ConcurrentLinkedDeque<>());
    if (idle.size() >= MAX_IDLE_PER_TARGET) {
      closeQuietly(connection);
      return;
    }
    idle.addFirst(new Idle(connection, System.nanoTime()));
  }

  /** Closes every idle connection to {@code target}. */
  static void closeIdle(PostgresTarget target) {
    Deque<Idle> idle = IDLE.remove(target);
    Idle i;
    while (idle != null && (i = idle.pollFirst()) != null) {
      closeQuietly(i.connection());
    }
  }

  /** How many connections to {@code target} wait in this JVM. */
  static int idleCount(PostgresTarget target) {
    Deque<Idle> idle = IDLE.get(target);
    return idle == null ? 0 : idle.size();
  }

  private static boolean isUsable(Connection c) {
    try {
      return !c.isClosed() && c.getAutoCommit() && c.isValid(VALID_TIMEOUT_SECONDS);
    } catch (SQLException e) {
      return false;
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // a connection that cannot even close is gone already
    }
  }
}

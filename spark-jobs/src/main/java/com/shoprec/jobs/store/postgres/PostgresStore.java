package com.shoprec.jobs.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch's Postgres side: one driver-side connection, and the four concerns that use it.
 * <ul>
 *   <li>{@link #schema()}: the tables and views of {@code sql/schema.sql}, applied when one is missing;</li>
 *   <li>{@link #runLog()}: the run log ({@code recommendation_job_log}) and the run lock;</li>
 *   <li>{@link #runTables()}: a run's output rows, loaded with COPY and deleted by retention;</li>
 *   <li>{@link #publication()}: which run the {@code current_*} views show: publish, rollback, history.</li>
 * </ul>
 *
 * <p>A run's life: {@code runLog().beginRun} (takes the run lock, logs the run as 'running') →
 * {@code runTables().copy} of every output → {@code publication().publish} (or {@code runLog().fail}) →
 * {@code runTables().retain}.
 *
 * <p>Why one connection for all four: the run lock is a session-level advisory lock, so it is held by this
 * connection and ends when the connection or the process does; the run's log rows, its publish and its
 * failure must be written by the session that holds it. The concern objects are views of this store, not
 * stores of their own: closing this store closes them all.
 *
 * <p>Why one monitor: a JDBC connection serves one statement and one transaction at a time, and the job
 * calls the store from concurrent stage threads. Every concern synchronizes on this object (not on itself),
 * so a publish transaction and a stage timing written by another thread never interleave on the connection.
 * {@code runTables().copy} holds the monitor only while it reads the table's columns; the load itself runs
 * on the executors, each partition over its own connection.
 *
 * <p>Errors: a {@link StoreUnavailableException} when Postgres cannot be reached or the connection is lost
 * ({@link #failure}), a {@link RunInProgressException} when another run holds the run lock, else a
 * {@link StoreException} naming the operation and the run.
 */
public final class PostgresStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresStore.class);

  /**
   * Advisory lock keys, all in one place so that no two concerns take the same one: (shoprec, run lock), held
   * by {@link RunLog} for a run's whole life, and (shoprec, schema migration), held by {@link Schema} for
   * the transaction that applies the DDL.
   */
  static final int LOCK_SPACE = 0x53485052; // "SHPR"
  static final int RUN_LOCK = 1;
  static final int SCHEMA_LOCK = 2;

  private final PostgresTarget target;
  private final Connection connection;
  private final Schema schema;
  private final RunLog runLog;
  private final RunTables runTables;
  private final Publication publication;

  private PostgresStore(PostgresTarget target, Connection connection) {
    this.target = target;
    this.connection = connection;
    this.schema = new Schema(this);
    this.runLog = new RunLog(this);
    this.runTables = new RunTables(this);
    this.publication = new Publication(this);
  }

  /**
   * Connects at once, so that an unreachable database stops the job before anything is computed.
   *
   * @throws StoreUnavailableException naming the URL (never the password) when Postgres cannot be
   *     reached or refuses the login
   */
  public static PostgresStore connect(PostgresTarget target) {
    try {
      Connection connection = target.connect();
      LOG.info("connected to Postgres at {}", target.redactedUrl());
      return new PostgresStore(target, connection);
    } catch (SQLException e) {
      throw new StoreUnavailableException("cannot connect to Postgres at " + target.address() + " ("
          + target.redactedUrl() + "): " + e.getMessage(), e);
    }
  }

  public PostgresTarget target() {
    return target;
  }

  /** The schema: {@link Schema#ensure}. */
  public Schema schema() {
    return schema;
  }

  /** The run log and the run lock: begin, record, fail. */
  public RunLog runLog() {
    return runLog;
  }

  /** The run tables: COPY of a run's rows, the rejected rows sample, retention. */
  public RunTables runTables() {
    return runTables;
  }

  /** The current run: publish, rollback, the run history. */
  public Publication publication() {
    return publication;
  }

  /** The one connection; use it only while holding this store's monitor. */
  Connection connection() {
    return connection;
  }

  /**
   * Releases the run lock (a run still 'running' is marked failed by the next beginRun) and disconnects, with
   * the idle COPY connections this JVM keeps for the target (in local mode, all of them).
   */
  @Override
  public synchronized void close() {
    CopyConnections.closeIdle(target);
    try {
      if (!connection.isClosed()) {
        runLog.releaseOnClose();
        connection.close();
      }
    } catch (SQLException e) {
      LOG.warn("closing the Postgres connection: {}", e.getMessage());
    }
  }

  // ---- shared by the concerns ----------------------------------------------------------------------

  @FunctionalInterface
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  /**
   * Runs the work in one transaction: COMMIT when it returns, ROLLBACK (and rethrow) when it throws. The
   * caller holds this store's monitor.
   */
  <T> T inTransaction(SqlWork<T> work) throws SQLException {
    connection.setAutoCommit(false);
    try {
      T result = work.run();
      connection.commit();
      return result;
    } catch (Throwable t) {
      try {
        connection.rollback();
      } catch (SQLException e) {
        t.addSuppressed(e);
      }
      throw t;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  /**
   * A {@link StoreUnavailableException} when the error says the server is gone (connection refused or
   * lost, server shutting down: SQLSTATE class 08 and 57P01-57P03), so the job exits with "store
   * unreachable"; else a plain {@link StoreException}.
   */
  static StoreException failure(String message, SQLException e) {
    return isConnectionLoss(e) ? new StoreUnavailableException(message, e) : new StoreException(message, e);
  }

  /** Whether {@code e} or one of its causes says the server is gone (see {@link #failure}). */
  static boolean isConnectionLoss(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
            || state.equals("57P03"))) {
          return true;
        }
      }
      if (t instanceof StoreUnavailableException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** The message of the innermost cause, or of the outermost {@link StoreException} on the way to it. */
  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      if (root instanceof StoreException) {
        break;
      }
      root = root.getCause();
    }
    return root.getMessage();
  }
}

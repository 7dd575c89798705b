package com.shoprec.jobs.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.postgresql.util.PGobject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which run the {@code current_*} views show: {@code recommendation_current_run} names it, and only
 * {@link #publish} and {@link #rollbackTo} change it, each in one transaction that also runs the caller's
 * Redis pointer switch. Also the run history read by {@code --status} and {@code --rollback}.
 *
 * <p>Contract: readers of the views see the previous run until the COMMIT and the whole new run after it;
 * if the switch inside the transaction throws, nothing in Postgres changes and the exception is rethrown
 * as it is. Publishing needs the run to be 'running' (the run log's row); rolling back needs a run that
 * completed and whose rows retention has kept.
 *
 * <p>Why the Redis switch goes last, inside the transaction: if it fails, the ROLLBACK leaves Postgres as it
 * was and the exception is rethrown as it is. The remaining window is a failed COMMIT after a successful
 * switch, which the caller sees as a {@link StoreException} and can answer by switching Redis back.
 *
 * <p>Why the table lock ({@link #lockCurrentRun}): publish, rollback and retention each read which run is
 * current and then change it or delete by it, and they may run in different processes (a weekly run and an
 * operator's {@code --rollback}); SHARE ROW EXCLUSIVE conflicts with itself, so they take turns, while the
 * readers of the views (ACCESS SHARE) are never blocked. The run log's row is read FOR UPDATE so that its
 * status cannot change between the check and the update.
 *
 * <p>Runs under the store's monitor (see {@link PostgresStore}).
 */
public final class Publication {

  private static final Logger LOG = LoggerFactory.getLogger(Publication.class);

  private final PostgresStore store;
  private final Connection connection;

  Publication(PostgresStore store) {
    this.store = store;
    this.connection = store.connection();
  }

  /**
   * Publishes a run, in ONE transaction: {@code recommendation_current_run} names it, its log row says
   * 'completed' with finished_at and published_at; then {@code insideTransaction} (the Redis pointer
   * switch) runs, and only then COMMIT. Afterwards the run lock is released if this store holds it for
   * the run.
   *
   * @throws StoreException when the run is not 'running' or Postgres fails
   */
  public void publish(String runId, Runnable insideTransaction) {
    synchronized (store) {
      try {
        store.inTransaction(() -> {
          lockCurrentRun();
          String status = statusForUpdate(runId);
          if (!"running".equals(status)) {
            throw new StoreException("cannot publish run " + runId + ": its status is "
                + (status == null ? "unknown (not in the run log)" : "'" + status + "'") + ", not 'running'");
          }
          setCurrentRun(runId);
          try (PreparedStatement ps = connection.prepareStatement(
              "UPDATE recommendation_job_log SET status = 'completed', finished_at = now(), published_at = now() "
              + "WHERE run_id = ?")) {
            ps.setString(1, runId);
            ps.executeUpdate();
          }
          insideTransaction.run();
          return null;
        });
      } catch (SQLException e) {
        throw PostgresStore.failure("cannot publish run " + runId + ": " + e.getMessage(), e);
      }
      LOG.info("run {} published: it is now the current run", runId);
      store.runLog().finishActive(runId);
    }
  }

  /** The run the current_ views show. */
  public Optional<String> currentRun() {
    synchronized (store) {
      return queryOne("SELECT run_id FROM recommendation_current_run");
    }
  }

  /** The newest completed run published before the current one (whose rows retention has kept). */
  public Optional<String> previousCompletedRun() {
    synchronized (store) {
      return queryOne("SELECT l.run_id FROM recommendation_job_log l, recommendation_current_run c "
          + "JOIN recommendation_job_log cl ON cl.run_id = c.run_id "
          + "WHERE l.status = 'completed' AND l.purged_at IS NULL AND l.run_id <> c.run_id "
          + "AND l.published_at < cl.published_at ORDER BY l.published_at DESC LIMIT 1");
    }
  }

  /** Makes {@code runId} current again, in one transaction; the replaced run becomes 'rolled_back'. */
  public void rollbackTo(String runId) {
    rollbackTo(runId, () -> { });
  }

  /**
   * As {@link #rollbackTo(String)}, running {@code insideTransaction} (the Redis pointer switch back)
   * before COMMIT; if it throws, nothing changes and the exception is rethrown.
   *
   * @throws StoreException when the run is unknown, not completed, or its rows were deleted by retention
   */
  public void rollbackTo(String runId, Runnable insideTransaction) {
    synchronized (store) {
      try {
        String replaced = store.inTransaction(() -> {
          lockCurrentRun();
          String status;
          boolean purged;
          try (PreparedStatement ps = connection.prepareStatement(
              "SELECT status, purged_at IS NOT NULL FROM recommendation_job_log WHERE run_id = ? FOR UPDATE")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                throw new StoreException("cannot roll back to run " + runId + ": it is not in the run log");
              }
              status = rs.getString(1);
              purged = rs.getBoolean(2);
            }
          }
          if (!status.equals("completed") && !status.equals("rolled_back")) {
            throw new StoreException("cannot roll back to run " + runId + ": it never completed (status '" + status + "')");
          }
          if (purged) {
            throw new StoreException("cannot roll back to run " + runId + ": retention deleted its rows");
          }
          Optional<String> current = queryOne("SELECT run_id FROM recommendation_current_run");
          if (current.isPresent() && current.get().equals(runId)) {
            return null;
          }
          setCurrentRun(runId);
          try (PreparedStatement ps = connection.prepareStatement(
              "UPDATE recommendation_job_log SET status = CASE WHEN run_id = ? THEN 'completed' ELSE 'rolled_back' END "
              + "WHERE run_id = ? OR run_id = ?")) {
            ps.setString(1, runId);
            ps.setString(2, runId);
            ps.setString(3, current.orElse(runId));
            ps.executeUpdate();
          }
          insideTransaction.run();
          return current.orElse("(none)");
        });
        if (replaced == null) {
          LOG.info("run {} is already the current run: nothing to roll back", runId);
        } else {
          LOG.info("rolled back from run {} to run {}", replaced, runId);
        }
      } catch (SQLException e) {
        throw new StoreException("cannot roll back to run " + runId + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The newest runs of {@code recommendation_run_history}, one map per run (column name to value; JSON
   * as its text, times as {@code Instant}, dates as {@code LocalDate}).
   */
  public List<Map<String, Object>> recentRuns(int n) {
    synchronized (store) {
      List<Map<String, Object>> runs = new ArrayList<>();
      try (PreparedStatement ps = connection.prepareStatement("SELECT * FROM recommendation_run_history LIMIT ?")) {
        ps.setInt(1, n);
        try (ResultSet rs = ps.executeQuery()) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            Map<String, Object> run = new LinkedHashMap<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
              Object v = rs.getObject(i);
              if (v instanceof PGobject pg) {
                v = pg.getValue();
              } else if (v instanceof Timestamp ts) {
                v = ts.toInstant();
              } else if (v instanceof java.sql.Date d) {
                v = d.toLocalDate();
              }
              run.put(md.getColumnName(i), v);
            }
            runs.add(run);
          }
        }
      } catch (SQLException e) {
        throw PostgresStore.failure("cannot read the run history: " + e.getMessage(), e);
      }
      return runs;
    }
  }

  // ---- for retention (under the store's monitor, inside its transaction) ---------------------------

  /** Serializes publish, rollback and retention; readers of the views (ACCESS SHARE) are not blocked. */
  void lockCurrentRun() throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute("LOCK TABLE recommendation_current_run IN SHARE ROW EXCLUSIVE MODE");
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private void setCurrentRun(String runId) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "UPDATE recommendation_current_run SET run_id = ?, published_at = now()")) {
      ps.setString(1, runId);
      if (ps.executeUpdate() == 1) {
        return;
      }
    }
    try (PreparedStatement ps = connection.prepareStatement(
        "INSERT INTO recommendation_current_run (run_id, published_at) VALUES (?, now())")) {
      ps.setString(1, runId);
      ps.executeUpdate();
    }
  }

  private String statusForUpdate(String runId) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT status FROM recommendation_job_log WHERE run_id = ? FOR UPDATE")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private Optional<String> queryOne(String sql) {
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
    } catch (SQLException e) {
      throw PostgresStore.failure("query failed: " + e.getMessage(), e);
    }
  }
}

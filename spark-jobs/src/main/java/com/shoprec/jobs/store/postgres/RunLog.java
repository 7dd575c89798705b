package com.shoprec.jobs.store.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run log ({@code recommendation_job_log}: one row per run, written as the run goes) and the run lock
 * that keeps two runs from interleaving.
 *
 * <p>Contract: {@link #beginRun} takes the run lock and logs the run as 'running'; the lock is held until
 * the run is published ({@link Publication#publish}), failed ({@link #fail}) or the store is closed. A store
 * runs one run at a time. The record methods fill in the run's row as the run goes and fail when the run is
 * not in the log.
 *
 * <p>Why a session-level advisory lock: it belongs to the store's connection, so it ends when the process
 * running the run dies or loses Postgres, and no lock row is left behind for anyone to clean up. Why
 * {@code pg_try_advisory_lock} and not a wait: nothing waits behind a run of unknown length. A second run
 * fails at once with a {@link RunInProgressException} naming the run and the session that hold the lock,
 * and {@code --status} reports without touching the run in progress.
 *
 * <p>Why abandoned runs are found under the lock: whoever holds it is the only process that can be running
 * a run, so while this store holds it every run still logged 'running' belongs to a process that ended
 * without finishing it (killed, or cut off from Postgres so that it could not record its failure). Those
 * runs are marked failed ({@link #ABANDONED}) and their rows deleted, by the next {@link #beginRun} and by
 * {@code --status} ({@link #failAbandonedRuns}).
 *
 * <p>Runs under the store's monitor (see {@link PostgresStore}).
 */
public final class RunLog {

  private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The error of a run found 'running' with nobody holding the run lock. */
  public static final String ABANDONED = "abandoned: the process running it ended without finishing or "
      + "could not reach Postgres to record its failure (found by a later run or --status)";
  /** Errors longer than this are cut in the run log. */
  static final int MAX_ERROR_CHARS = 10_000;

  private static final Pattern WEEK = Pattern.compile("[A-Za-z0-9_-]{1,40}");

  private final PostgresStore store;
  private final Connection connection;
  /** The run this store began and has not finished; it holds the run lock while non-null. */
  private String activeRunId;

  RunLog(PostgresStore store) {
    this.store = store;
    this.connection = store.connection();
  }

  /**
   * Starts a run: takes the run lock (held until {@link Publication#publish}, {@link #fail} or
   * {@link PostgresStore#close}), marks runs left 'running' by dead processes as failed, and logs the new
   * run as 'running'.
   *
   * @param week the ISO week id, e.g. {@code 2011_W49}
   * @param asOf the run's as-of date, or null
   * @param parametersJson the run's parameters as a JSON object, or null
   * @return the run id: {@code week + "_" + n}, n = 1 + the number of runs already logged for the week
   * @throws RunInProgressException when another run holds the lock (or this store has not finished its own)
   */
  public String beginRun(String week, LocalDate asOf, String parametersJson) {
    synchronized (store) {
      if (week == null || !WEEK.matcher(week).matches()) {
        throw new IllegalArgumentException("week must be 1 to 40 letters, digits, _ or -, not '" + week + "'");
      }
      if (activeRunId != null) {
        throw new RunInProgressException("run " + activeRunId + " of this process has not finished: "
            + "publish or fail it before beginning another", activeRunId);
      }
      try {
        if (!tryRunLock()) {
          throw runInProgress();
        }
        try {
          failRunningRuns();
          String runId = week + "_" + nextSequence(week);
          try (PreparedStatement ps = connection.prepareStatement(
              "INSERT INTO recommendation_job_log (run_id, week, status, started_at, as_of, parameters) "
              + "VALUES (?, ?, 'running', now(), ?, coalesce(?::jsonb, '{}'::jsonb))")) {
            ps.setString(1, runId);
            ps.setString(2, week);
            ps.setObject(3, asOf);
            ps.setString(4, parametersJson);
            ps.executeUpdate();
          }
          activeRunId = runId;
          LOG.info("run {} began (as of {})", runId, asOf);
          return runId;
        } catch (SQLException | RuntimeException e) {
          releaseRunLock();
          throw e;
        }
      } catch (SQLException e) {
        throw PostgresStore.failure("cannot begin a run for week " + week + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Marks runs left 'running' by processes that ended without finishing them as failed, and deletes their
   * rows. Does nothing while another run holds the lock, or while this store runs one. Called by
   * {@link #beginRun} and by {@code --status}.
   *
   * @return the runs marked failed now (empty when the lock is held elsewhere)
   */
  public List<String> failAbandonedRuns() {
    synchronized (store) {
      if (activeRunId != null) {
        return List.of();
      }
      try {
        if (!tryRunLock()) {
          return List.of();
        }
        try {
          return failRunningRuns();
        } finally {
          releaseRunLock();
        }
      } catch (SQLException e) {
        throw PostgresStore.failure("cannot check for abandoned runs: " + e.getMessage(), e);
      }
    }
  }

  /** Failed runs whose rows retention has not yet purged: their Redis keys may still exist. */
  public List<String> unpurgedFailedRuns() {
    synchronized (store) {
      try {
        return runIds("SELECT run_id FROM recommendation_job_log WHERE status = 'failed' AND purged_at IS NULL "
            + "ORDER BY started_at");
      } catch (SQLException e) {
        throw PostgresStore.failure("cannot list the failed runs: " + e.getMessage(), e);
      }
    }
  }

  /** Input accounting: rows read, used, rejected, and rejections per reason. */
  public void recordInput(String runId, long inputRows, long usedRows, long rejectedRows,
      Map<String, Long> rejectCounts) {
    synchronized (store) {
      updateRun(runId, "input counts",
          "UPDATE recommendation_job_log SET input_rows = ?, used_rows = ?, rejected_rows = ?, "
          + "reject_counts = ?::jsonb WHERE run_id = ?",
          inputRows, usedRows, rejectedRows, json(rejectCounts), runId);
    }
  }

  /** Adds (or replaces) one stage's duration in the run's {@code stage_timings}. */
  public void recordStage(String runId, String stage, long millis) {
    synchronized (store) {
      updateRun(runId, "stage timing",
          "UPDATE recommendation_job_log SET stage_timings = coalesce(stage_timings, '{}'::jsonb) "
          + "|| jsonb_build_object(?::text, ?::bigint) WHERE run_id = ?",
          stage, millis, runId);
    }
  }

  /** Merges row counts per output into the run's {@code output_counts}. */
  public void recordOutputs(String runId, Map<String, Long> outputCounts) {
    synchronized (store) {
      updateRun(runId, "output counts",
          "UPDATE recommendation_job_log SET output_counts = coalesce(output_counts, '{}'::jsonb) || ?::jsonb "
          + "WHERE run_id = ?",
          json(outputCounts), runId);
    }
  }

  /**
   * Records the quality gates' results (a JSON document) and whether the run is published in spite of a
   * failed gate.
   */
  public void recordGates(String runId, String gateResultsJson, boolean forced) {
    synchronized (store) {
      updateRun(runId, "gate results",
          "UPDATE recommendation_job_log SET gate_results = ?::jsonb, forced = ? WHERE run_id = ?",
          gateResultsJson, forced, runId);
    }
  }

  /**
   * Marks a run failed with its error (and finished_at) and deletes its rows from every output table
   * except {@code rejected_rows_sample}, kept to show why the run failed (retention deletes it later).
   * Releases the run lock if this store holds it for the run. Best effort, for an error path: it never
   * throws, it logs, so that it cannot hide the error that failed the run. A run that is current,
   * completed or rolled back is left alone.
   */
  public void fail(String runId, String error) {
    synchronized (store) {
      try {
        failRun(runId, error);
      } catch (SQLException | RuntimeException e) {
        LOG.error("could not record the failure of run {}: {}", runId, e.getMessage());
      } finally {
        finishActive(runId);
      }
    }
  }

  // ---- for the store and its other concerns (under the store's monitor) -----------------------------

  /** Releases the run lock if this store holds it for {@code runId}: the run is published or failed. */
  void finishActive(String runId) {
    if (runId.equals(activeRunId)) {
      releaseRunLock();
      activeRunId = null;
    }
  }

  /** Before the connection closes: releases the run lock of a run still running (it stays 'running'). */
  void releaseOnClose() {
    if (activeRunId != null) {
      LOG.warn("closing the store while run {} is still running", activeRunId);
      releaseRunLock();
      activeRunId = null;
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------

  /** Under the run lock: every 'running' run is abandoned. */
  private List<String> failRunningRuns() throws SQLException {
    List<String> stale = runningRuns();
    for (String run : stale) {
      LOG.warn("run {} was left 'running' by a process that ended without finishing it: marking it failed", run);
      failRun(run, ABANDONED);
    }
    return stale;
  }

  private void failRun(String runId, String error) throws SQLException {
    String cut = error == null ? null : error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS) + "…";
    int updated;
    try (PreparedStatement ps = connection.prepareStatement(
        "UPDATE recommendation_job_log SET status = 'failed', error = ?, finished_at = now() "
        + "WHERE run_id = ? AND status IN ('running', 'failed') "
        + "AND run_id NOT IN (SELECT run_id FROM recommendation_current_run)")) {
      ps.setString(1, cut);
      ps.setString(2, runId);
      updated = ps.executeUpdate();
    }
    if (updated == 0) {
      LOG.warn("run {} was not marked failed: it is not a running (or failed) run, or it is current", runId);
      return;
    }
    LOG.info("run {} failed: {}", runId, cut);
    store.runTables().deleteFailedRunRows(runId);
  }

  private boolean tryRunLock() throws SQLException {
    try (Statement st = connection.createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + PostgresStore.LOCK_SPACE + ", "
             + PostgresStore.RUN_LOCK + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private void releaseRunLock() {
    try (Statement st = connection.createStatement()) {
      st.execute("SELECT pg_advisory_unlock(" + PostgresStore.LOCK_SPACE + ", " + PostgresStore.RUN_LOCK + ")");
    } catch (SQLException e) {
      LOG.warn("could not release the run lock (it ends with the connection): {}", e.getMessage());
    }
  }

  /** Names the run holding the lock: the newest 'running' run of the log, and the session holding it. */
  private RunInProgressException runInProgress() throws SQLException {
    List<String> running = runningRuns();
    String runId = running.isEmpty() ? null : running.get(0);
    String holder = "";
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT a.pid, a.client_addr, a.application_name, a.backend_start FROM pg_locks l "
        + "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        + "AND l.classid = ? AND l.objid = ? AND l.objsubid = 2")) {
      ps.setLong(1, PostgresStore.LOCK_SPACE);
      ps.setLong(2, PostgresStore.RUN_LOCK);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          holder = " (held by Postgres backend " + rs.getInt(1) + " of " + rs.getString(3) + " from "
              + (rs.getString(2) == null ? "a local socket" : rs.getString(2)) + " since "
              + rs.getTimestamp(4).toInstant() + ")";
        }
      }
    }
    return new RunInProgressException("run " + (runId == null ? "(not in the run log)" : runId)
        + " is in progress" + holder + ": two runs never interleave", runId);
  }

  private List<String> runningRuns() throws SQLException {
    return runIds("SELECT run_id FROM recommendation_job_log WHERE status = 'running' ORDER BY started_at DESC");
  }

  /** The first column of every row of {@code sql}, a query without parameters. */
  private List<String> runIds(String sql) throws SQLException {
    List<String> runs = new ArrayList<>();
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        runs.add(rs.getString(1));
      }
    }
    return runs;
  }

  /** 1 + the runs logged for the week (or past the highest sequence used, should log rows have been deleted). */
  private long nextSequence(String week) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT count(*), coalesce(max(CASE WHEN substr(run_id, length(week) + 2) ~ '^[0-9]{1,9}$' "
        + "THEN substr(run_id, length(week) + 2)::bigint END), 0) "
        + "FROM recommendation_job_log WHERE week = ? AND run_id LIKE week || '\\_%'")) {
      ps.setString(1, week);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Math.max(rs.getLong(1), rs.getLong(2)) + 1;
      }
    }
  }

  private void updateRun(String runId, String what, String sql, Object... params) {
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      if (ps.executeUpdate() != 1) {
        throw new StoreException("cannot record " + what + ": run " + runId + " is not in the run log");
      }
    } catch (SQLException e) {
      throw PostgresStore.failure("cannot record " + what + " of run " + runId + ": " + e.getMessage(), e);
    }
  }

  private static String json(Map<String, Long> counts) {
    try {
      return JSON.writeValueAsString(counts == null ? Map.of() : counts);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("counts cannot be written as JSON: " + e.getMessage(), e);
    }
  }
}

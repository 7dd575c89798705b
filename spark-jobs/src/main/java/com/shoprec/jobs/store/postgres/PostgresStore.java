package com.shoprec.jobs.store.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shoprec.jobs.store.postgres.CopyPlan.TableColumn;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVPrinter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.postgresql.PGConnection;
import org.postgresql.util.PGobject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch's Postgres side: the run log, bulk loads with COPY, and the publish protocol of DESIGN.md
 * section 5. Rows carry their run id; {@code recommendation_current_run} names the run the
 * {@code current_*} views show, and only {@link #publish} and {@link #rollbackTo} change it, each in one
 * transaction.
 *
 * <p>A run's life: {@link #beginRun} (takes the run lock and logs the run as 'running') →
 * {@link #copy} of every output → {@link #publish} (or {@link #fail}) → {@link #retain}. The run lock is a
 * session-level advisory lock on this store's connection, so it also ends when the process dies; a run
 * left 'running' by a dead process is marked failed (and its rows deleted) by the next
 * {@link #beginRun}.
 *
 * <p>One driver-side connection, used under this object's monitor: safe to call from the job's
 * concurrent stage threads. {@link #copy} holds the monitor only while it reads the table's columns;
 * the load itself runs on the executors, each partition over its own connection.
 */
public final class PostgresStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Classpath location of the DDL (the repository's {@code sql/} directory). */
  static final String SCHEMA_RESOURCE = "/sql/schema.sql";
  /** Advisory lock keys: (shoprec, run lock) and (shoprec, schema migration). */
  static final int LOCK_SPACE = 0x53485052; // "SHPR"
  static final int RUN_LOCK = 1;
  static final int SCHEMA_LOCK = 2;
  /** The error of a run found 'running' with nobody holding the run lock. */
  public static final String ABANDONED = "abandoned: the process running it ended without finishing or "
      + "could not reach Postgres to record its failure (found by a later run or --status)";
  /** Errors longer than this are cut in the run log. */
  static final int MAX_ERROR_CHARS = 10_000;

  /** Every table that holds a run's output rows (deleted by {@link #fail} and {@link #retain}). */
  public static final List<String> OUTPUT_TABLES = List.of(
      "weekly_recommendations", "customer_segments", "popular_products", "similar_customers",
      "item_cooccurrence", "product_audience", "als_customer_factors", "als_product_factors",
      "product_catalog", "evaluation_results", "rejected_rows_sample");
  static final String REJECTED_SAMPLE = "rejected_rows_sample";
  /** Every relation {@code sql/schema.sql} creates; {@link #ensureSchema} applies it when one is missing. */
  static final List<String> SCHEMA_RELATIONS;

  static {
    List<String> all = new ArrayList<>(List.of("recommendation_job_log", "recommendation_current_run",
        "recommendation_run_history", "recommendation_stage_timings", "recommendation_reject_counts",
        "evaluation_runs"));
    all.addAll(OUTPUT_TABLES);
    OUTPUT_TABLES.forEach(t -> all.add("current_" + t));
    SCHEMA_RELATIONS = List.copyOf(all);
  }

  private static final Pattern WEEK = Pattern.compile("[A-Za-z0-9_-]{1,40}");

  private final PostgresTarget target;
  private final Connection connection;
  /** The run this store began and has not finished; it holds the run lock while non-null. */
  private String activeRunId;

  private PostgresStore(PostgresTarget target, Connection connection) {
    this.target = target;
    this.connection = connection;
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

  /**
   * Applies {@code sql/schema.sql} from the classpath when any table or view of it is missing, in one
   * transaction under an advisory lock (two jobs starting together do not race). When everything exists
   * nothing is executed, so a job whose user may not create tables runs against a prepared database.
   */
  public synchronized void ensureSchema() {
    try {
      List<String> missing = new ArrayList<>();
      try (PreparedStatement ps = connection.prepareStatement(
          "SELECT r FROM unnest(?::text[]) r WHERE to_regclass(r) IS NULL")) {
        ps.setArray(1, connection.createArrayOf("text", SCHEMA_RELATIONS.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            missing.add(rs.getString(1));
          }
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      String ddl = schemaScript();
      inTransaction(() -> {
        try (Statement st = connection.createStatement()) {
          st.execute("SELECT pg_advisory_xact_lock(" + LOCK_SPACE + ", " + SCHEMA_LOCK + ")");
          st.execute(ddl);
        }
        return null;
      });
      LOG.info("applied {} to Postgres (missing were {})", SCHEMA_RESOURCE, missing);
    } catch (SQLException e) {
      throw new StoreException("cannot apply the schema " + SCHEMA_RESOURCE + " at " + target.address()
          + ": " + e.getMessage(), e);
    }
  }

  /** The DDL, read from the classpath. */
  static String schemaScript() {
    try (InputStream in = PostgresStore.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new StoreException(SCHEMA_RESOURCE + " is not on the classpath (the spark-jobs jar packs sql/)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StoreException("cannot read " + SCHEMA_RESOURCE + ": " + e.getMessage(), e);
    }
  }

  /**
   * Starts a run: takes the run lock (held until {@link #publish}, {@link #fail} or {@link #close}),
   * marks runs left 'running' by dead processes as failed, and logs the new run as 'running'.
   *
   * @param week the ISO week id, e.g. {@code 2011_W49}
   * @param asOf the run's as-of date, or null
   * @param parametersJson the run's parameters as a JSON object, or null
   * @return the run id: {@code week + "_" + n}, n = 1 + the number of runs already logged for the week
   * @throws RunInProgressException when another run holds the lock (or this store has not finished its own)
   */
  public synchronized String beginRun(String week, LocalDate asOf, String parametersJson) {
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
      throw failure("cannot begin a run for week " + week + ": " + e.getMessage(), e);
    }
  }

  /**
   * Marks runs left 'running' by processes that ended without finishing them (killed, or cut off from
   * Postgres so that they could not record their failure) as failed, and deletes their rows. A run is
   * abandoned when nobody holds the run lock: the lock is tied to the session of the process running it,
   * so it ends when that process or its connection does. Does nothing while another run holds the lock.
   * Called by {@link #beginRun} and by {@code --status}.
   *
   * @return the runs marked failed now (empty when the lock is held elsewhere)
   */
  public synchronized List<String> failAbandonedRuns() {
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
      throw failure("cannot check for abandoned runs: " + e.getMessage(), e);
    }
  }

  /** Under the run lock: every 'running' run is abandoned. */
  private List<String> failRunningRuns() throws SQLException {
    List<String> stale = runningRuns();
    for (String run : stale) {
      LOG.warn("run {} was left 'running' by a process that ended without finishing it: marking it failed", run);
      failRun(run, ABANDONED);
    }
    return stale;
  }

  /** Failed runs whose rows retention has not yet purged: their Redis keys may still exist. */
  public synchronized List<String> unpurgedFailedRuns() {
    try {
      return runIds("SELECT run_id FROM recommendation_job_log WHERE status = 'failed' AND purged_at IS NULL "
          + "ORDER BY started_at");
    } catch (SQLException e) {
      throw failure("cannot list the failed runs: " + e.getMessage(), e);
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

  private boolean tryRunLock() throws SQLException {
    try (Statement st = connection.createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", " + RUN_LOCK + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private void releaseRunLock() {
    try (Statement st = connection.createStatement()) {
      st.execute("SELECT pg_advisory_unlock(" + LOCK_SPACE + ", " + RUN_LOCK + ")");
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
      ps.setLong(1, LOCK_SPACE);
      ps.setLong(2, RUN_LOCK);
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

  /** Input accounting: rows read, used, rejected, and rejections per reason. */
  public synchronized void recordInput(String runId, long inputRows, long usedRows, long rejectedRows,
      Map<String, Long> rejectCounts) {
    updateRun(runId, "input counts",
        "UPDATE recommendation_job_log SET input_rows = ?, used_rows = ?, rejected_rows = ?, "
        + "reject_counts = ?::jsonb WHERE run_id = ?",
        inputRows, usedRows, rejectedRows, json(rejectCounts), runId);
  }

  /** Adds (or replaces) one stage's duration in the run's {@code stage_timings}. */
  public synchronized void recordStage(String runId, String stage, long millis) {
    updateRun(runId, "stage timing",
        "UPDATE recommendation_job_log SET stage_timings = coalesce(stage_timings, '{}'::jsonb) "
        + "|| jsonb_build_object(?::text, ?::bigint) WHERE run_id = ?",
        stage, millis, runId);
  }

  /** Merges row counts per output into the run's {@code output_counts}. */
  public synchronized void recordOutputs(String runId, Map<String, Long> outputCounts) {
    updateRun(runId, "output counts",
        "UPDATE recommendation_job_log SET output_counts = coalesce(output_counts, '{}'::jsonb) || ?::jsonb "
        + "WHERE run_id = ?",
        json(outputCounts), runId);
  }

  /**
   * Records the quality gates' results (a JSON document) and whether the run is published in spite of a
   * failed gate.
   */
  public synchronized void recordGates(String runId, String gateResultsJson, boolean forced) {
    updateRun(runId, "gate results",
        "UPDATE recommendation_job_log SET gate_results = ?::jsonb, forced = ? WHERE run_id = ?",
        gateResultsJson, forced, runId);
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
      throw failure("cannot record " + what + " of run " + runId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Bulk-loads a dataset into an output table with COPY, from the executors: the dataset coalesced to at most
   * one partition per task slot, one connection per non-empty partition, all of a partition's rows in one COPY.
   * The dataset's columns are matched to the table's by name; run_id is added; table columns the dataset lacks
   * get their default (or NULL).
   *
   * <p>Supported Spark types: string (also JSON text for json/jsonb columns), byte, short, int, long,
   * float, double, decimal, boolean, date, timestamp (an instant: into timestamptz as such, into
   * timestamp as the wall time in the session time zone), timestamp_ntz, and arrays of numbers (into
   * real[], double precision[], ...) or strings (into text[]). A table loads in COPY's binary format when
   * every column's type pair has a binary form ({@link CopyBinary}: all of the job's outputs), else as CSV,
   * which the server converts (a decimal into numeric, a number into text, ...).
   *
   * <p>Rows load while the run is not current, so readers of the {@code current_*} views do not see them
   * until {@link #publish}. Each partition commits on its own: after a failed load, {@link #fail} deletes
   * what was loaded.
   *
   * @return the number of rows loaded (the sum of the COPY results)
   * @throws IllegalArgumentException when a dataset column is not in the table, has a type the column
   *     cannot take, or a NOT NULL column is missing (before anything is loaded)
   * @throws StoreException when a COPY fails (e.g. a duplicate key), naming the table and run
   */
  public long copy(Dataset<Row> rows, String table, String runId) {
    return copy(rows, table, runId, true);
  }

  /** {@link #copy}, in COPY's binary format where every column has one ({@link CopyBinary}), else as CSV. */
  long copy(Dataset<Row> rows, String table, String runId, boolean binaryIfPossible) {
    CopyPlan plan;
    synchronized (this) {
      plan = CopyPlan.of(table, rows.schema(), tableColumns(table), binaryIfPossible);
    }
    String zone = rows.sparkSession().conf().get("spark.sql.session.timeZone");
    LongAccumulator loaded = rows.sparkSession().sparkContext().longAccumulator("rows copied into " + table);
    long start = System.nanoTime();
    try {
      // At most one COPY per task slot: more partitions than slots add COPY statements and connections but no
      // parallelism (on the shared file the small tables' 8 partitions took 300-440 ms for 4,000 rows). Only
      // ever fewer partitions: the optimizer merges adjacent coalesces, so coalescing a dataset that has fewer
      // would drop its own coalesce and split partitions the caller kept whole.
      int slots = Math.max(1, rows.sparkSession().sparkContext().defaultParallelism());
      Dataset<Row> load = rows.rdd().getNumPartitions() > slots ? rows.coalesce(slots) : rows;
      load.foreachPartition(new CopyPartitionFn(target, plan, runId, zone, loaded));
    } catch (Exception e) { // a SparkException (checked, undeclared by the Scala API) or a RuntimeException
      String message = "loading " + table + " for run " + runId + " failed: " + rootMessage(e);
      throw isConnectionLoss(e) ? new StoreUnavailableException(message, e) : new StoreException(message, e);
    }
    long count = loaded.value();
    long ms = Math.max(1, (System.nanoTime() - start) / 1_000_000);
    LOG.info("copied {} rows into {} for run {} in {} ms ({} rows/s, {})", count, table, runId, ms, count * 1000 / ms,
        plan.isBinary() ? "binary" : "csv");
    return count;
  }

  /** The table's columns from the catalog (in the connection's search path), or an empty list. */
  private List<TableColumn> tableColumns(String table) {
    CopyPlan.checkIdentifier(table);
    List<TableColumn> columns = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT a.attname, t.typname, a.attnotnull AND NOT a.atthasdef FROM pg_attribute a "
        + "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 "
        + "AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(new TableColumn(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
        }
      }
    } catch (SQLException e) {
      throw failure("cannot read the columns of " + table + ": " + e.getMessage(), e);
    }
    return columns;
  }

  /**
   * Loads a small sample of rejected input rows from the driver.
   *
   * @param rows each {@code {reason, source_row, details}} (source_row and details may be null)
   */
  public synchronized void copyRejectSample(String runId, List<String[]> rows) {
    if (rows.isEmpty()) {
      return;
    }
    StringWriter csv = new StringWriter();
    try (CSVPrinter printer = new CSVPrinter(csv, CopyEncoding.FORMAT)) {
      for (String[] row : rows) {
        if (row.length != 3) {
          throw new IllegalArgumentException("a rejected row sample is {reason, source_row, details}, not "
              + row.length + " values");
        }
        printer.printRecord(runId, row[0], row[1], row[2]);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e); // a StringWriter does not fail
    }
    String sql = CopyPlan.copySql("rejected_rows_sample", List.of("run_id", "reason", "source_row", "details"));
    try {
      connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new StringReader(csv.toString()));
    } catch (SQLException | IOException e) {
      throw new StoreException("cannot load the rejected rows sample of run " + runId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Publishes a run, in ONE transaction: {@code recommendation_current_run} names it, its log row says
   * 'completed' with finished_at and published_at; then {@code insideTransaction} (the Redis pointer
   * switch) runs, and only then COMMIT. Readers of the current_ views see the previous run until the
   * commit and the whole new run after it.
   *
   * <p>Why the Redis switch goes last, inside: if it fails, nothing in Postgres changed (rollback, and the
   * exception is rethrown as it is); the remaining window is a failed COMMIT after a successful switch,
   * which the caller sees as a StoreException and can answer by switching Redis back.
   *
   * @throws StoreException when the run is not 'running' or Postgres fails
   */
  public synchronized void publish(String runId, Runnable insideTransaction) {
    try {
      inTransaction(() -> {
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
      throw failure("cannot publish run " + runId + ": " + e.getMessage(), e);
    }
    LOG.info("run {} published: it is now the current run", runId);
    finishActive(runId);
  }

  /**
   * Marks a run failed with its error (and finished_at) and deletes its rows from every output table
   * except {@code rejected_rows_sample}, kept to show why the run failed (retention deletes it later).
   * Releases the run lock if this store holds it for the run. Best effort, for an error path: it never
   * throws, it logs. A run that is current, completed or rolled back is left alone.
   */
  public synchronized void fail(String runId, String error) {
    try {
      failRun(runId, error);
    } catch (SQLException | RuntimeException e) {
      LOG.error("could not record the failure of run {}: {}", runId, e.getMessage());
    } finally {
      finishActive(runId);
    }
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
    // The rejected rows sample stays: it is often why the run failed. Retention deletes it later.
    deleteRows(List.of(runId), OUTPUT_TABLES.stream().filter(t -> !t.equals(REJECTED_SAMPLE)).toList());
  }

  /** Deletes the runs' rows from every output table, each table on its own; false if one failed (logged). */
  private boolean deleteRows(List<String> runIds, List<String> tables) throws SQLException {
    boolean all = true;
    Array ids = connection.createArrayOf("text", runIds.toArray());
    for (String table : tables) {
      try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + table + " WHERE run_id = ANY(?)")) {
        ps.setArray(1, ids);
        int n = ps.executeUpdate();
        if (n > 0) {
          LOG.info("deleted {} rows of runs {} from {}", n, runIds, table);
        }
      } catch (SQLException e) {
        all = false;
        LOG.error("could not delete the rows of runs {} from {}: {}", runIds, table, e.getMessage());
        if (!connection.getAutoCommit()) {
          throw e; // inside a transaction nothing more can run
        }
      }
    }
    return all;
  }

  /**
   * Deletes the output rows of every finished run except the current run and the {@code runsToKeep}
   * newest completed runs (by publish time): older completed runs, rolled-back runs, and what failed
   * runs left. Running runs are never touched. Purged runs are marked ({@code purged_at}) so that
   * {@link #rollbackTo} refuses them. One transaction.
   */
  public synchronized void retain(int runsToKeep) {
    if (runsToKeep < 1) {
      throw new IllegalArgumentException("runs to keep must be at least 1: " + runsToKeep);
    }
    try {
      List<String> purged = inTransaction(() -> {
        lockCurrentRun();
        List<String> runs = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
            "UPDATE recommendation_job_log SET purged_at = now() WHERE purged_at IS NULL "
            + "AND status <> 'running' "
            + "AND run_id NOT IN (SELECT run_id FROM recommendation_current_run) "
            + "AND run_id NOT IN (SELECT run_id FROM recommendation_job_log WHERE status = 'completed' "
            + "  ORDER BY published_at DESC NULLS LAST, started_at DESC LIMIT ?) "
            + "RETURNING run_id")) {
          ps.setInt(1, runsToKeep);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              runs.add(rs.getString(1));
            }
          }
        }
        if (!runs.isEmpty()) {
          deleteRows(runs, OUTPUT_TABLES);
        }
        return runs;
      });
      LOG.info("retention kept the current run and the {} newest completed runs; deleted the rows of {}",
          runsToKeep, purged);
    } catch (SQLException e) {
      throw new StoreException("retention failed: " + e.getMessage(), e);
    }
  }

  /** The run the current_ views show. */
  public synchronized Optional<String> currentRun() {
    return queryOne("SELECT run_id FROM recommendation_current_run");
  }

  /** The newest completed run published before the current one (whose rows retention has kept). */
  public synchronized Optional<String> previousCompletedRun() {
    return queryOne("SELECT l.run_id FROM recommendation_job_log l, recommendation_current_run c "
        + "JOIN recommendation_job_log cl ON cl.run_id = c.run_id "
        + "WHERE l.status = 'completed' AND l.purged_at IS NULL AND l.run_id <> c.run_id "
        + "AND l.published_at < cl.published_at ORDER BY l.published_at DESC LIMIT 1");
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
  public synchronized void rollbackTo(String runId, Runnable insideTransaction) {
    try {
      String replaced = inTransaction(() -> {
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

  /**
   * The newest runs of {@code recommendation_run_history}, one map per run (column name to value; JSON
   * as its text, times as {@code Instant}, dates as {@code LocalDate}).
   */
  public synchronized List<Map<String, Object>> recentRuns(int n) {
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
      throw failure("cannot read the run history: " + e.getMessage(), e);
    }
    return runs;
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
        if (activeRunId != null) {
          LOG.warn("closing the store while run {} is still running", activeRunId);
          releaseRunLock();
          activeRunId = null;
        }
        connection.close();
      }
    } catch (SQLException e) {
      LOG.warn("closing the Postgres connection: {}", e.getMessage());
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------

  /** Serializes publish, rollback and retention; readers of the views (ACCESS SHARE) are not blocked. */
  private void lockCurrentRun() throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute("LOCK TABLE recommendation_current_run IN SHARE ROW EXCLUSIVE MODE");
    }
  }

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

  private void finishActive(String runId) {
    if (runId.equals(activeRunId)) {
      releaseRunLock();
      activeRunId = null;
    }
  }

  private Optional<String> queryOne(String sql) {
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
    } catch (SQLException e) {
      throw failure("query failed: " + e.getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  /** Runs the work in one transaction: COMMIT when it returns, ROLLBACK (and rethrow) when it throws. */
  private <T> T inTransaction(SqlWork<T> work) throws SQLException {
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

  private static String json(Map<String, Long> counts) {
    try {
      return JSON.writeValueAsString(counts == null ? Map.of() : counts);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("counts cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  private static String rootMessage(Throwable t) {
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

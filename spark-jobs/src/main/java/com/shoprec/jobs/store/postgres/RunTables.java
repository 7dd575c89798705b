package com.shoprec.jobs.store.postgres;

import com.shoprec.jobs.store.postgres.CopyPlan.TableColumn;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVPrinter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run tables ({@link #OUTPUT_TABLES}): every row carries the run id of the run that wrote it, and the
 * {@code current_*} views show the rows of the current run only.
 *
 * <p>Contract: {@link #copy} and {@link #copyRejectSample} add a run's rows while the run is not current, so
 * readers of the views do not see them until {@link Publication#publish}; they never change another run's
 * rows. {@link #retain} deletes the rows of runs nobody can go back to, and marks those runs purged.
 *
 * <p>Why a failed load leaves rows behind: each partition commits on its own (one COPY over its own
 * connection, see {@link CopyPartitionFn}), so a load is not one transaction. They are never visible (the
 * run is not current), and {@link RunLog#fail} deletes them ({@link #deleteFailedRunRows}), all but the
 * run's rejected rows sample, which is often why the run failed; retention deletes that later.
 *
 * <p>Why retention takes the current-run lock ({@link Publication#lockCurrentRun}): it chooses what to
 * delete by which run is current, so a publish or a rollback (of this process or another) must not change
 * that between the choice and the delete. The choice, the purge marks and the deletes are one transaction
 * under that lock.
 *
 * <p>Runs under the store's monitor (see {@link PostgresStore}), except the load of {@link #copy}: it holds
 * the monitor only while it reads the table's columns over the store's connection, and the executors load
 * over their own, so the job's other stages keep using the store during a long load.
 */
public final class RunTables {

  private static final Logger LOG = LoggerFactory.getLogger(RunTables.class);

  /** Every table that holds a run's output rows (deleted by {@link RunLog#fail} and {@link #retain}). */
  public static final List<String> OUTPUT_TABLES = List.of(
      "weekly_recommendations", "customer_segments", "popular_products", "similar_customers",
      "item_cooccurrence", "product_audience", "als_customer_factors", "als_product_factors",
      "product_catalog", "evaluation_results", "rejected_rows_sample");
  static final String REJECTED_SAMPLE = "rejected_rows_sample";

  private final PostgresStore store;
  private final Connection connection;

  RunTables(PostgresStore store) {
    this.store = store;
    this.connection = store.connection();
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
   * until {@link Publication#publish}. Each partition commits on its own: after a failed load,
   * {@link RunLog#fail} deletes what was loaded.
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
    synchronized (store) {
      plan = CopyPlan.of(table, rows.schema(), tableColumns(table), binaryIfPossible);
    }
    String zone = rows.sparkSession().conf().get("spark.sql.session.timeZone");
    LongAccumulator loaded = rows.sparkSession().sparkContext().longAccumulator("rows copied into " + table);
    long start = System.nanoTime();
    try {
      // At most one COPY per task slot: more partitions than slots add COPY statements and connections but no
      // parallelism, only a fixed cost per statement for the small tables. Only
      // ever fewer partitions: the optimizer merges adjacent coalesces, so coalescing a dataset that has fewer
      // would drop its own coalesce and split partitions the caller kept whole.
      int slots = Math.max(1, rows.sparkSession().sparkContext().defaultParallelism());
      Dataset<Row> load = rows.rdd().getNumPartitions() > slots ? rows.coalesce(slots) : rows;
      load.foreachPartition(new CopyPartitionFn(store.target(), plan, runId, zone, loaded));
    } catch (Exception e) { // a SparkException (checked, undeclared by the Scala API) or a RuntimeException
      String message = "loading " + table + " for run " + runId + " failed: " + PostgresStore.rootMessage(e);
      throw PostgresStore.isConnectionLoss(e) ? new StoreUnavailableException(message, e) : new StoreException(message, e);
    }
    long count = loaded.value();
    long ms = Math.max(1, (System.nanoTime() - start) / 1_000_000);
    LOG.info("copied {} rows into {} for run {} in {} ms ({} rows/s, {})", count, table, runId, ms, count * 1000 / ms,
        plan.isBinary() ? "binary" : "csv");
    return count;
  }

  /**
   * Loads a small sample of rejected input rows from the driver.
   *
   * @param rows each {@code {reason, source_row, details}} (source_row and details may be null)
   */
  public void copyRejectSample(String runId, List<String[]> rows) {
    synchronized (store) {
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
  }

  /**
   * Deletes the output rows of every finished run except the current run and the {@code runsToKeep}
   * newest completed runs (by publish time): older completed runs, rolled-back runs, and what failed
   * runs left. Running runs are never touched. Purged runs are marked ({@code purged_at}) so that
   * {@link Publication#rollbackTo} refuses them. One transaction.
   */
  public void retain(int runsToKeep) {
    synchronized (store) {
      if (runsToKeep < 1) {
        throw new IllegalArgumentException("runs to keep must be at least 1: " + runsToKeep);
      }
      try {
        List<String> purged = store.inTransaction(() -> {
          store.publication().lockCurrentRun();
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
  }

  // ---- for the run log (under the store's monitor) ------------------------------------------------

  /** Deletes a failed run's rows from every output table but the rejected rows sample. */
  void deleteFailedRunRows(String runId) throws SQLException {
    // The rejected rows sample stays: it is often why the run failed. Retention deletes it later.
    deleteRows(List.of(runId), OUTPUT_TABLES.stream().filter(t -> !t.equals(REJECTED_SAMPLE)).toList());
  }

  // ---- helpers -------------------------------------------------------------------------------------

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
      throw PostgresStore.failure("cannot read the columns of " + table + ": " + e.getMessage(), e);
    }
    return columns;
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
}

package com.shoprec.jobs.store.postgres;

import com.shoprec.jobs.store.postgres.CopyEncoding.Kind;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.ZoneId;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVPrinter;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Executor side of {@link RunTables#copy}: streams one partition's rows into
 * {@code COPY table (run_id, ...) FROM STDIN} (binary, {@link CopyBinary}, or CSV, {@link CopyEncoding}, as
 * the plan says) over one connection, taken from
 * {@link CopyConnections} only when the partition has rows and given back after a clean end, and adds the
 * number of rows COPY reports to {@code loaded}.
 *
 * <p>A partition loads in one statement in auto-commit mode: all of its rows or none. On any failure the
 * COPY is cancelled before the connection closes (closing the stream would end the COPY and commit what
 * was sent), so a retried task starts from nothing.
 *
 * <p>Receives only plain serializable values.
 */
final class CopyPartitionFn implements ForeachPartitionFunction<Row> {

  private static final long serialVersionUID = 1L;
  /** Bytes buffered before a CopyData message goes out. */
  static final int BUFFER = 1 << 16;

  private final PostgresTarget target;
  private final String table;
  private final String copySql;
  private final String runId;
  private final int[] fields;
  private final Kind[] kinds;
  private final CopyBinary.Type[] binary;
  private final List<String> columns;
  private final String zoneId;
  private final LongAccumulator loaded;

  CopyPartitionFn(PostgresTarget target, CopyPlan plan, String runId, String zoneId, LongAccumulator loaded) {
    this.target = target;
    this.table = plan.table();
    this.copySql = plan.copySql();
    this.runId = runId;
    this.fields = plan.fields();
    this.kinds = plan.kinds();
    this.binary = plan.binary();
    this.columns = List.copyOf(plan.columns().subList(1, plan.columns().size())); // serializable
    this.zoneId = zoneId;
    this.loaded = loaded;
  }

  @Override
  public void call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return; // no connection for an empty partition
    }
    ZoneId zone = ZoneId.of(zoneId);
    long sent = 0;
    Connection connection = null;
    try {
      connection = CopyConnections.borrow(target);
      PGCopyOutputStream copy = new PGCopyOutputStream(connection.unwrap(PGConnection.class), copySql, BUFFER);
      long rowsLoaded;
      try {
        if (binary != null) {
          CopyBinary.Writer out = new CopyBinary.Writer(copy, BUFFER);
          byte[] run = runId.getBytes(StandardCharsets.UTF_8);
          out.header();
          while (rows.hasNext()) {
            out.row(run, rows.next(), fields, binary, columns, zone);
            sent++;
          }
          out.trailer();
          out.flush();
        } else {
          Writer writer = new BufferedWriter(new OutputStreamWriter(copy, StandardCharsets.UTF_8), BUFFER);
          CSVPrinter printer = new CSVPrinter(writer, CopyEncoding.FORMAT);
          while (rows.hasNext()) {
            CopyEncoding.printRow(printer, runId, rows.next(), fields, kinds, zone);
            sent++;
          }
          printer.flush();
        }
        rowsLoaded = copy.endCopy();
      } catch (IOException | SQLException | RuntimeException e) {
        if (copy.isActive()) {
          try {
            copy.cancelCopy();
          } catch (SQLException cancel) {
            e.addSuppressed(cancel);
          }
        }
        throw e;
      }
      loaded.add(rowsLoaded);
      CopyConnections.giveBack(target, connection); // the COPY ended and committed: nothing is left open
      connection = null;
    } catch (IOException | SQLException e) {
      throw new StoreException("COPY into " + table + " for run " + runId + " at " + target.address()
          + " failed after " + sent + " rows of this partition: " + e.getMessage(), e);
    } finally {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException ignored) {
          // the failure above is what matters
        }
      }
    }
  }
}

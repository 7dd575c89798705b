package com.shoprec.jobs.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables and views of {@code sql/schema.sql}, read from the classpath (the spark-jobs jar packs the
 * repository's {@code sql/} directory).
 *
 * <p>Contract of {@link #ensure}: afterwards every relation of {@link #RELATIONS} exists. When all of them
 * already exist nothing is executed, so a job whose Postgres user may not create tables runs against a
 * database someone else prepared. When one is missing the whole script runs, in one transaction: every
 * statement of it can run again over an existing schema (and upgrades one of an earlier release), so
 * applying it whole is simpler and safer than working out which statements are missing, and a failure
 * leaves the schema as it was.
 *
 * <p>Why the lock: two jobs starting together against a new database both find relations missing and both
 * run the script; the advisory lock (shoprec, schema migration) makes the second wait for the first's
 * COMMIT instead of failing on a concurrent CREATE, and its own run of the script then changes nothing. It
 * is a transaction-level lock, so it ends with the COMMIT or ROLLBACK, and a key of its own: the schema is
 * applied before a run begins, without the run lock.
 *
 * <p>Runs under the store's monitor (see {@link PostgresStore}).
 */
public final class Schema {

  private static final Logger LOG = LoggerFactory.getLogger(Schema.class);

  /** Classpath location of the DDL (the repository's {@code sql/} directory). */
  static final String RESOURCE = "/sql/schema.sql";
  /** Every relation {@code sql/schema.sql} creates; {@link #ensure} applies it when one is missing. */
  static final List<String> RELATIONS;

  static {
    List<String> all = new ArrayList<>(List.of("recommendation_job_log", "recommendation_current_run",
        "recommendation_run_history", "recommendation_stage_timings", "recommendation_reject_counts",
        "evaluation_runs"));
    all.addAll(RunTables.OUTPUT_TABLES);
    RunTables.OUTPUT_TABLES.forEach(t -> all.add("current_" + t));
    RELATIONS = List.copyOf(all);
  }

  private final PostgresStore store;
  private final Connection connection;

  Schema(PostgresStore store) {
    this.store = store;
    this.connection = store.connection();
  }

  /**
   * Applies {@code sql/schema.sql} when any table or view of it is missing, in one transaction under an
   * advisory lock; does nothing when everything exists.
   *
   * @throws StoreException when the script cannot be read or Postgres refuses it, naming the address
   */
  public void ensure() {
    synchronized (store) {
      try {
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
            "SELECT r FROM unnest(?::text[]) r WHERE to_regclass(r) IS NULL")) {
          ps.setArray(1, connection.createArrayOf("text", RELATIONS.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              missing.add(rs.getString(1));
            }
          }
        }
        if (missing.isEmpty()) {
          return;
        }
        String ddl = script();
        store.inTransaction(() -> {
          try (Statement st = connection.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(" + PostgresStore.LOCK_SPACE + ", "
                + PostgresStore.SCHEMA_LOCK + ")");
            st.execute(ddl);
          }
          return null;
        });
        LOG.info("applied {} to Postgres (missing were {})", RESOURCE, missing);
      } catch (SQLException e) {
        throw new StoreException("cannot apply the schema " + RESOURCE + " at " + store.target().address()
            + ": " + e.getMessage(), e);
      }
    }
  }

  /** The DDL, read from the classpath. */
  static String script() {
    try (InputStream in = Schema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new StoreException(RESOURCE + " is not on the classpath (the spark-jobs jar packs sql/)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StoreException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
    }
  }
}

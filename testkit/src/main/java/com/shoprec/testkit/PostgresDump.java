package com.shoprec.testkit;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Postgres half of a {@link PublishedOutput} dump: every base table with a {@code run_id} column
 * (found in the catalog, so a table added later is dumped too), the rows of one run, normalized as
 * {@link PublishedOutput} documents, one file {@code pg.<table>.tsv} per table.
 *
 * <p>Values are Postgres' own text output (with the driver's {@code extra_float_digits=3}, which on
 * Postgres 12+ prints the shortest text that reads back as the same double or real): two equal strings
 * are two equal values, bit for bit. The header names each column with its type and marks the primary
 * key's columns other than run_id ({@code customer_id:text:key}), which the comparison pairs rows by.
 */
final class PostgresDump {

  /** Columns set by the run's clock, whatever the table: replaced by {@link #TIME} when not null. */
  static final Map<String, Set<String>> CLOCK_COLUMNS = Map.of(
      "recommendation_job_log", Set.of("started_at", "finished_at", "published_at", "purged_at"),
      "recommendation_current_run", Set.of("published_at"));
  static final String RUN = "{run}";
  static final String TIME = "{time}";
  static final String MILLIS = "{ms}";
  static final String URL = "{url}";

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

  private PostgresDump() {}

  /** The run {@code recommendation_current_run} names, or null. */
  static String currentRun(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT run_id FROM recommendation_current_run")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Writes one file per table with a run_id column; returns the parts by name. */
  static Map<String, DumpFormat.Part> dump(Connection c, String runId, Path dir) throws SQLException {
    Map<String, DumpFormat.Part> parts = new LinkedHashMap<>();
    for (String table : runTables(c)) {
      DumpFormat.Part part = dumpTable(c, table, runId, dir);
      parts.put(part.name(), part);
    }
    return parts;
  }

  /** Base tables (not views) of the current schema that have a run_id column, by name. */
  static List<String> runTables(Connection c) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT t.table_name FROM information_schema.tables t JOIN information_schema.columns col "
        + "ON col.table_schema = t.table_schema AND col.table_name = t.table_name AND col.column_name = 'run_id' "
        + "WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY t.table_name")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
    }
    return tables;
  }

  private record Column(String name, String type, boolean key, boolean clockDefault) {}

  private static DumpFormat.Part dumpTable(Connection c, String table, String runId, Path dir) throws SQLException {
    if (!IDENTIFIER.matcher(table).matches()) {
      throw new IllegalArgumentException("not a plain table name: " + table);
    }
    List<Column> columns = columns(c, table);
    StringBuilder header = new StringBuilder("#columns");
    List<String> select = new ArrayList<>();
    for (Column col : columns) {
      header.append('\t').append(col.name()).append(':').append(col.type()).append(col.key() ? ":key" : "");
      select.add(expression(table, col));
    }
    List<String> lines = new ArrayList<>();
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false); // a cursor: the driver streams fetchSize rows at a time
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT " + String.join(", ", select) + " FROM " + table + " WHERE run_id = ?")) {
      ps.setFetchSize(10_000);
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        StringBuilder line = new StringBuilder();
        while (rs.next()) {
          line.setLength(0);
          for (int i = 1; i <= columns.size(); i++) {
            line.append(i == 1 ? "" : "\t").append(DumpFormat.escape(rs.getString(i)));
          }
          lines.add(line.toString());
        }
      }
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
    return DumpFormat.writePart(dir, "pg." + table, header.toString(), lines);
  }

  /** The select expression of a column: the column as text, or its normalized form. */
  private static String expression(String table, Column col) {
    String q = '"' + col.name() + '"';
    if (col.name().equals("run_id")) {
      return "'" + RUN + "'";
    }
    if (col.clockDefault() || col.name().equals("created_at")
        || CLOCK_COLUMNS.getOrDefault(table, Set.of()).contains(col.name())) {
      return "CASE WHEN " + q + " IS NULL THEN NULL ELSE '" + TIME + "' END";
    }
    if (table.equals("recommendation_job_log") && col.name().equals("stage_timings")) {
      return "CASE WHEN jsonb_typeof(" + q + ") = 'object' THEN (SELECT coalesce(jsonb_object_agg(key, '\""
          + MILLIS + "\"'::jsonb), '{}'::jsonb) FROM jsonb_each(" + q + "))::text ELSE " + q + "::text END";
    }
    if (table.equals("recommendation_job_log") && col.name().equals("parameters")) {
      return "CASE WHEN jsonb_typeof(" + q + ") = 'object' THEN (SELECT coalesce(jsonb_object_agg(key, CASE "
          + "WHEN key LIKE '%url' AND jsonb_typeof(value) = 'string' THEN '\"" + URL + "\"'::jsonb "
          + "WHEN (key LIKE '%path' OR key LIKE '%dir') AND jsonb_typeof(value) = 'string' "
          + "THEN to_jsonb(regexp_replace(value #>> '{}', '^.*/', '')) "
          + "ELSE value END), '{}'::jsonb) FROM jsonb_each(" + q + "))::text ELSE " + q + "::text END";
    }
    return q + "::text";
  }

  private static List<Column> columns(Connection c, String table) throws SQLException {
    List<Column> columns = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT a.attname, t.typname, "
        + "coalesce(a.attnum = ANY(i.indkey), false) AND a.attname <> 'run_id', "
        + "coalesce(lower(pg_get_expr(d.adbin, d.adrelid)) IN ('now()', 'current_timestamp', "
        + "'clock_timestamp()', 'statement_timestamp()', 'transaction_timestamp()', 'localtimestamp'), false) "
        + "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        + "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
        + "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        + "WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(new Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4)));
        }
      }
    }
    return columns;
  }
}

package com.shoprec.jobs.store.postgres;

import com.shoprec.jobs.store.postgres.CopyEncoding.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which dataset field goes into which table column, and how it is encoded: the dataset's columns are
 * matched to the table's BY NAME (case-insensitively, as Spark does); {@code run_id} comes first and is
 * added by the store. Built on the driver, so that a misnamed or mistyped column fails before any
 * executor connects.
 *
 * @param table the table name (a plain lower-case SQL identifier)
 * @param columns the COPY column list, {@code run_id} first
 * @param fields for each column after run_id, the index of its field in the dataset's rows
 * @param kinds for each column after run_id, how its values are written as CSV text
 * @param binary for each column after run_id, how its values are written in COPY's binary format; null when
 *     the table loads as CSV (a column whose type pair has no binary form here, or binary not wanted)
 */
record CopyPlan(String table, List<String> columns, int[] fields, Kind[] kinds, CopyBinary.Type[] binary) {

  static final String RUN_ID = "run_id";
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  /**
   * A column of the table as the catalog describes it.
   *
   * @param name column name
   * @param udtName Postgres type name as in {@code information_schema.columns.udt_name}
   *     ({@code text}, {@code int4}, {@code float8}, {@code jsonb}, {@code _float4} for real[], ...)
   * @param required NOT NULL without a default: the dataset must provide it
   */
  record TableColumn(String name, String udtName, boolean required) {}

  /** The binary format where every column has a binary form, else CSV. */
  static CopyPlan of(String table, StructType schema, List<TableColumn> tableColumns) {
    return of(table, schema, tableColumns, true);
  }

  /**
   * @param binaryIfPossible false to load as CSV whatever the columns
   * @throws IllegalArgumentException naming the table and every column that does not fit
   */
  static CopyPlan of(String table, StructType schema, List<TableColumn> tableColumns, boolean binaryIfPossible) {
    checkIdentifier(table);
    if (tableColumns.isEmpty()) {
      throw new IllegalArgumentException("table " + table + " does not exist");
    }
    Map<String, TableColumn> byName = new LinkedHashMap<>();
    for (TableColumn c : tableColumns) {
      byName.put(c.name(), c);
    }
    if (!byName.containsKey(RUN_ID)) {
      throw new IllegalArgumentException("table " + table + " has no run_id column");
    }

    List<String> problems = new ArrayList<>();
    List<String> columns = new ArrayList<>();
    columns.add(RUN_ID);
    List<Integer> fields = new ArrayList<>();
    List<Kind> kinds = new ArrayList<>();
    List<CopyBinary.Type> binary = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    StructField[] dataFields = schema.fields();
    for (int i = 0; i < dataFields.length; i++) {
      String name = dataFields[i].name().toLowerCase(Locale.ROOT);
      if (!seen.add(name)) {
        problems.add("dataset column " + name + " appears twice");
        continue;
      }
      if (name.equals(RUN_ID)) {
        problems.add("the dataset must not have run_id: the store adds it");
        continue;
      }
      TableColumn column = byName.get(name);
      if (column == null) {
        problems.add("dataset column " + dataFields[i].name() + " is not a column of " + table);
        continue;
      }
      checkIdentifier(name);
      Kind kind = kind(dataFields[i].dataType(), column.udtName());
      if (kind == null) {
        problems.add("column " + name + ": a Spark " + dataFields[i].dataType().simpleString()
            + " cannot go into Postgres type " + column.udtName());
        continue;
      }
      columns.add(name);
      fields.add(i);
      kinds.add(kind);
      binary.add(CopyBinary.type(dataFields[i].dataType(), column.udtName()));
    }
    for (TableColumn c : tableColumns) {
      if (c.required() && !c.name().equals(RUN_ID) && !seen.contains(c.name())) {
        problems.add("column " + c.name() + " is NOT NULL but the dataset does not have it");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("cannot COPY the dataset " + schema.simpleString() + " into "
          + table + byName.keySet() + ": " + String.join("; ", problems));
    }
    boolean allBinary = binaryIfPossible && !binary.contains(null)
        && CopyBinary.type(DataTypes.StringType, byName.get(RUN_ID).udtName()) == CopyBinary.Type.TEXT;
    return new CopyPlan(table, List.copyOf(columns),
        fields.stream().mapToInt(Integer::intValue).toArray(), kinds.toArray(new Kind[0]),
        allBinary ? binary.toArray(new CopyBinary.Type[0]) : null);
  }

  boolean isBinary() {
    return binary != null;
  }

  /** {@code COPY table (run_id, ...) FROM STDIN WITH (FORMAT binary)}, or {@code (FORMAT csv)}. */
  String copySql() {
    return copySql(table, columns, isBinary() ? "binary" : "csv");
  }

  /** {@code COPY table (columns) FROM STDIN WITH (FORMAT csv)}. */
  static String copySql(String table, List<String> columns) {
    return copySql(table, columns, "csv");
  }

  private static String copySql(String table, List<String> columns, String format) {
    return "COPY " + table + " (" + String.join(", ", columns) + ") FROM STDIN WITH (FORMAT " + format + ")";
  }

  private static final Map<String, String> NUMERIC = new HashMap<>();

  static {
    for (String t : List.of("int2", "int4", "int8", "float4", "float8", "numeric")) {
      NUMERIC.put(t, t);
    }
  }

  /** How a Spark type is written into a Postgres type, or null when it cannot be. */
  static Kind kind(DataType spark, String udt) {
    if (spark.equals(DataTypes.StringType)) {
      return Kind.STRING; // Postgres parses the text into whatever the column is (json, jsonb, ...)
    }
    boolean text = udt.equals("text") || udt.equals("varchar") || udt.equals("bpchar");
    if (spark.equals(DataTypes.ByteType) || spark.equals(DataTypes.ShortType)
        || spark.equals(DataTypes.IntegerType) || spark.equals(DataTypes.LongType)) {
      return NUMERIC.containsKey(udt) || text ? Kind.NUMBER : null;
    }
    if (spark.equals(DataTypes.FloatType) || spark.equals(DataTypes.DoubleType)) {
      return udt.equals("float4") || udt.equals("float8") || udt.equals("numeric") || text ? Kind.NUMBER : null;
    }
    if (spark instanceof DecimalType) {
      return udt.equals("float4") || udt.equals("float8") || udt.equals("numeric") || text ? Kind.DECIMAL : null;
    }
    if (spark.equals(DataTypes.BooleanType)) {
      return udt.equals("bool") || text ? Kind.BOOLEAN : null;
    }
    if (spark.equals(DataTypes.DateType)) {
      return udt.equals("date") || udt.equals("timestamp") || udt.equals("timestamptz") || text ? Kind.DATE : null;
    }
    if (spark.equals(DataTypes.TimestampType)) {
      return udt.equals("timestamptz") ? Kind.TIMESTAMP_UTC
          : udt.equals("timestamp") ? Kind.TIMESTAMP_WALL : null;
    }
    if (spark.equals(DataTypes.TimestampNTZType)) {
      return udt.equals("timestamp") ? Kind.TIMESTAMP_NTZ : null;
    }
    if (spark instanceof ArrayType array && udt.startsWith("_")) {
      DataType element = array.elementType();
      String udtElement = udt.substring(1);
      if (element.equals(DataTypes.StringType)) {
        return text(udtElement) ? Kind.STRING_ARRAY : null;
      }
      Kind elementKind = kind(element, udtElement);
      return elementKind == Kind.NUMBER || elementKind == Kind.DECIMAL ? Kind.NUMBER_ARRAY : null;
    }
    return null;
  }

  private static boolean text(String udt) {
    return udt.equals("text") || udt.equals("varchar") || udt.equals("bpchar");
  }

  static void checkIdentifier(String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException("not a plain lower-case SQL identifier: '" + name + "'");
    }
  }
}

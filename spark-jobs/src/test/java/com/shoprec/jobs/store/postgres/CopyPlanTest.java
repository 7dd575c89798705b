package com.shoprec.jobs.store.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.store.postgres.CopyEncoding.Kind;
import com.shoprec.jobs.store.postgres.CopyPlan.TableColumn;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Matching a dataset's columns to a table's by name, with literal schemas. */
class CopyPlanTest {

  /** Shaped like customer_segments, plus a defaulted column. */
  private static final List<TableColumn> TABLE = List.of(
      new TableColumn("run_id", "text", true),
      new TableColumn("customer_id", "text", true),
      new TableColumn("segment", "text", true),
      new TableColumn("orders", "int4", false),
      new TableColumn("share", "float8", false),
      new TableColumn("last_order_at", "timestamp", false),
      new TableColumn("factors", "_float4", false),
      new TableColumn("created_at", "timestamptz", false));

  @Test
  void matchesByNameInDatasetOrder() {
    StructType schema = new StructType()
        .add("Segment", DataTypes.StringType)
        .add("factors", DataTypes.createArrayType(DataTypes.FloatType))
        .add("customer_id", DataTypes.StringType)
        .add("last_order_at", DataTypes.TimestampType)
        .add("orders", DataTypes.IntegerType);
    CopyPlan plan = CopyPlan.of("customer_segments", schema, TABLE);
    assertEquals(List.of("run_id", "segment", "factors", "customer_id", "last_order_at", "orders"), plan.columns());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, plan.fields());
    assertArrayEquals(new Kind[] {Kind.STRING, Kind.NUMBER_ARRAY, Kind.STRING, Kind.TIMESTAMP_WALL, Kind.NUMBER},
        plan.kinds());
    assertArrayEquals(new CopyBinary.Type[] {CopyBinary.Type.TEXT, CopyBinary.Type.FLOAT4_ARRAY,
        CopyBinary.Type.TEXT, CopyBinary.Type.TIMESTAMP_WALL, CopyBinary.Type.INT4}, plan.binary());
    assertEquals("COPY customer_segments (run_id, segment, factors, customer_id, last_order_at, orders) "
        + "FROM STDIN WITH (FORMAT binary)", plan.copySql());
    assertEquals("COPY customer_segments (run_id, segment, factors, customer_id, last_order_at, orders) "
        + "FROM STDIN WITH (FORMAT csv)", CopyPlan.of("customer_segments", schema, TABLE, false).copySql());
  }

  /** One column without a binary form here (a decimal into float8, which Postgres converts) makes the table CSV. */
  @Test
  void aColumnWithoutABinaryFormLoadsTheTableAsCsv() {
    StructType schema = new StructType()
        .add("customer_id", DataTypes.StringType)
        .add("segment", DataTypes.StringType)
        .add("share", DataTypes.createDecimalType(10, 4))
        .add("orders", DataTypes.IntegerType);
    CopyPlan plan = CopyPlan.of("customer_segments", schema, TABLE);
    assertEquals(null, plan.binary());
    assertArrayEquals(new Kind[] {Kind.STRING, Kind.STRING, Kind.DECIMAL, Kind.NUMBER}, plan.kinds());
    assertTrue(plan.copySql().endsWith("WITH (FORMAT csv)"), plan.copySql());
  }

  @Test
  void namesEveryProblemAtOnce() {
    StructType schema = new StructType()
        .add("run_id", DataTypes.StringType)
        .add("customer_id", DataTypes.StringType)
        .add("orders", DataTypes.DoubleType)
        .add("nickname", DataTypes.StringType);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CopyPlan.of("customer_segments", schema, TABLE));
    assertTrue(e.getMessage().contains("must not have run_id"), e.getMessage());
    assertTrue(e.getMessage().contains("column orders: a Spark double cannot go into Postgres type int4"), e.getMessage());
    assertTrue(e.getMessage().contains("nickname is not a column of customer_segments"), e.getMessage());
    assertTrue(e.getMessage().contains("column segment is NOT NULL but the dataset does not have it"), e.getMessage());
  }

  @Test
  void typeRules() {
    assertEquals(Kind.STRING, CopyPlan.kind(DataTypes.StringType, "jsonb"));
    assertEquals(Kind.TIMESTAMP_UTC, CopyPlan.kind(DataTypes.TimestampType, "timestamptz"));
    assertEquals(Kind.NUMBER, CopyPlan.kind(DataTypes.LongType, "int8"));
    assertEquals(Kind.NUMBER, CopyPlan.kind(DataTypes.FloatType, "float8"));
    assertEquals(Kind.NUMBER_ARRAY, CopyPlan.kind(DataTypes.createArrayType(DataTypes.DoubleType), "_float4"));
    assertEquals(Kind.STRING_ARRAY, CopyPlan.kind(DataTypes.createArrayType(DataTypes.StringType), "_text"));
    assertEquals(null, CopyPlan.kind(DataTypes.createArrayType(DataTypes.StringType), "_float4"));
    assertEquals(null, CopyPlan.kind(DataTypes.BooleanType, "int4"));
    assertEquals(null, CopyPlan.kind(DataTypes.DoubleType, "int8"));
  }

  @Test
  void refusesTablesThatAreNotPlainIdentifiers() {
    StructType schema = new StructType().add("customer_id", DataTypes.StringType);
    assertThrows(IllegalArgumentException.class, () -> CopyPlan.of("x; DROP TABLE y", schema, TABLE));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> CopyPlan.of("no_such_table", schema, List.of()));
    assertEquals("table no_such_table does not exist", missing.getMessage());
  }
}

package com.shoprec.jobs.store.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.eval.EvaluationReport;
import com.shoprec.jobs.eval.Metric;
import com.shoprec.testkit.EmbeddedStores;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PostgresStore} against a real embedded Postgres: every test gets a fresh database with the
 * schema, and loads a few literal rows with an explicit schema, so every expected value can be read off
 * the fixture.
 *
 * <p>One class for all four concerns ({@link Schema}, {@link RunLog}, {@link RunTables}, {@link Publication}):
 * most cases cross them, as a run does (begin, load, publish or fail, retain), and the fixture (a Spark
 * session and an embedded Postgres) is started once per class.
 */
class PostgresStoreIT extends SparkTestBase {

  private static final StructType WEEKLY = new StructType()
      .add("week", DataTypes.StringType)
      .add("customer_id", DataTypes.StringType)
      .add("product_id", DataTypes.StringType)
      .add("rank", DataTypes.IntegerType)
      .add("score", DataTypes.DoubleType)
      .add("source", DataTypes.StringType)
      .add("segment", DataTypes.StringType)
      .add("reason", DataTypes.StringType);
  private static final StructType SEGMENTS = new StructType()
      .add("customer_id", DataTypes.StringType)
      .add("segment", DataTypes.StringType)
      .add("orders", DataTypes.IntegerType)
      .add("products", DataTypes.IntegerType)
      .add("new_product_share", DataTypes.DoubleType)
      .add("last_order_at", DataTypes.TimestampType);
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private static EmbeddedStores stores;
  private PostgresTarget target;
  private PostgresStore store;
  private final List<PostgresStore> others = new ArrayList<>();

  @BeforeAll
  static void startPostgres() {
    stores = EmbeddedStores.start();
  }

  @AfterAll
  static void stopPostgres() {
    if (stores != null) {
      stores.close();
    }
  }

  @BeforeEach
  void freshDatabase() throws SQLException {
    String db = "store_it_" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    }
    target = new PostgresTarget("jdbc:postgresql://127.0.0.1:" + stores.postgresPort() + "/" + db, "postgres", null);
    store = PostgresStore.connect(target);
    store.schema().ensure();
  }

  @AfterEach
  void closeStores() {
    store.close();
    others.forEach(PostgresStore::close);
  }

  @Test
  void schemaAppliesTwiceWithoutError() throws SQLException {
    store.schema().ensure(); // everything exists: nothing to do
    try (Connection c = target.connect(); Statement st = c.createStatement()) {
      st.execute(Schema.script()); // the whole script again over the existing schema
      st.execute("DROP VIEW current_product_audience");
    }
    store.schema().ensure(); // a missing view: the script runs again
    for (String relation : Schema.RELATIONS) {
      assertEquals(relation, query("SELECT to_regclass('" + relation + "')::text").get(0).get(0));
    }
  }

  @Test
  void runIdsCountTheWeeksRuns() {
    String first = store.runLog().beginRun("2011_W49", LocalDate.of(2011, 12, 10), "{\"top_n\": 25}");
    assertEquals("2011_W49_1", first);
    store.runLog().fail(first, "test");
    assertEquals("2011_W49_2", store.runLog().beginRun("2011_W49", LocalDate.of(2011, 12, 10), null));
    assertEquals(List.of(List.of("2011_W49_1", "failed", "{\"top_n\": 25}"), List.of("2011_W49_2", "running", "{}")),
        query("SELECT run_id, status, parameters::text FROM recommendation_job_log ORDER BY run_id"));
    assertEquals(LocalDate.of(2011, 12, 10),
        ((java.sql.Date) query("SELECT as_of FROM recommendation_job_log WHERE run_id = '2011_W49_2'").get(0).get(0)).toLocalDate());
  }

  @Test
  void aSecondRunWaitsForTheFirst() {
    String first = store.runLog().beginRun("2011_W49", null, null);
    PostgresStore second = other();
    RunInProgressException e = assertThrows(RunInProgressException.class, () -> second.runLog().beginRun("2011_W49", null, null));
    assertEquals("2011_W49_1", e.runningRunId());
    assertTrue(e.getMessage().startsWith("run 2011_W49_1 is in progress (held by Postgres backend "), e.getMessage());
    // Nor can the same store begin a second run before finishing its first.
    assertThrows(RunInProgressException.class, () -> store.runLog().beginRun("2011_W50", null, null));

    store.runLog().fail(first, "stopped by the test");
    assertEquals("2011_W49_2", second.runLog().beginRun("2011_W49", null, null));
  }

  @Test
  void aRunLeftRunningByADeadProcessIsMarkedFailed() {
    String first = store.runLog().beginRun("2011_W49", null, null);
    copy(weekly("2011_W49", "c1"), "weekly_recommendations", first);
    store.close(); // as if the job died: the lock ends with its connection
    store = other();
    assertEquals("2011_W49_2", store.runLog().beginRun("2011_W49", null, null));
    assertEquals(List.of("failed", RunLog.ABANDONED),
        query("SELECT status, error FROM recommendation_job_log WHERE run_id = '2011_W49_1'").get(0));
    assertEquals(0L, count("SELECT count(*) FROM weekly_recommendations"));
  }

  @Test
  void copyLoadsExactlyTheRowsWithArraysJsonAndTimestamps() {
    String run = store.runLog().beginRun("2011_W49", null, null);
    Dataset<Row> weekly = spark.createDataFrame(List.of(
        RowFactory.create("2011_W49", "410169", "85123A", 1, 0.1 + 0.2, "repurchase", "LIGHT",
            "{\"times_bought\": 12, \"last_bought\": \"2011-12-01\"}"),
        RowFactory.create("2011_W49", "410169", "say \"hi\", twice\nand \\.", 2, null, "", "LIGHT", null),
        RowFactory.create("2011_W49", "17850", "22423", 1, -1.5e-300, "discovery", "HEAVY",
            "{\"neighbours\": 3, \"note\": \"a \\\"quoted\\\" word, é\"}")), WEEKLY).repartition(2);
    assertEquals(2, weekly.rdd().getNumPartitions());
    assertEquals(3L, store.runTables().copy(weekly, "weekly_recommendations", run));
    assertEquals(List.of(
            Arrays.asList(run, "2011_W49", "17850", "22423", 1, -1.5e-300, "discovery", "HEAVY",
                "{\"note\": \"a \\\"quoted\\\" word, é\", \"neighbours\": 3}"),
            Arrays.asList(run, "2011_W49", "410169", "85123A", 1, 0.30000000000000004, "repurchase", "LIGHT",
                "{\"last_bought\": \"2011-12-01\", \"times_bought\": 12}"),
            Arrays.asList(run, "2011_W49", "410169", "say \"hi\", twice\nand \\.", 2, null, "", "LIGHT", null)),
        query("SELECT run_id, week, customer_id, product_id, rank, score, source, segment, reason::text "
            + "FROM weekly_recommendations ORDER BY customer_id, rank"));
    assertEquals(12L, count("SELECT (reason->>'times_bought')::bigint FROM weekly_recommendations WHERE product_id = '85123A'"));

    StructType factorsSchema = new StructType()
        .add("customer_id", DataTypes.StringType)
        .add("factors", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> factors = spark.createDataFrame(List.of(
        RowFactory.create("410169", new float[] {0.25f, -1.5f, 0.003f, 1.0e-7f}),
        RowFactory.create("17850", new float[] {})), factorsSchema);
    assertEquals(2L, store.runTables().copy(factors, "als_customer_factors", run));
    try (Connection c = target.connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT customer_id, factors FROM als_customer_factors ORDER BY customer_id")) {
      assertTrue(rs.next());
      assertEquals("17850", rs.getString(1));
      assertArrayEquals(new Float[] {}, (Float[]) rs.getArray(2).getArray());
      assertTrue(rs.next());
      assertArrayEquals(new Float[] {0.25f, -1.5f, 0.003f, 1.0e-7f}, (Float[]) rs.getArray(2).getArray());
      assertFalse(rs.next());
    } catch (SQLException e) {
      throw new AssertionError(e);
    }

    // The session time zone is UTC: a Spark timestamp lands in `timestamp` as its UTC wall time.
    Dataset<Row> segments = spark.createDataFrame(List.of(
        RowFactory.create("410169", "LIGHT", 7, 5, 0.4, Timestamp.from(Instant.parse("2011-12-09T12:50:00.000123Z"))),
        RowFactory.create("17850", "HEAVY", 600, 40, null, null)), SEGMENTS);
    assertEquals(2L, store.runTables().copy(segments, "customer_segments", run));
    assertEquals(List.of(
            Arrays.asList("17850", "HEAVY", 600, 40, null, null),
            Arrays.asList("410169", "LIGHT", 7, 5, 0.4, "2011-12-09 12:50:00.000123")),
        query("SELECT customer_id, segment, orders, products, new_product_share, last_order_at::text "
            + "FROM customer_segments ORDER BY customer_id"));
  }

  /**
   * The same rows loaded as CSV and in the binary format leave exactly the same values in the tables, down to
   * the last bit of every double and float (compared through their text with extra_float_digits = 3): awkward
   * text, JSON with escapes, NULLs, extreme and special doubles, factor arrays, and timestamps in a session
   * zone that is not UTC.
   */
  @Test
  void binaryAndCsvLoadsLeaveTheSameValues() {
    String run = store.runLog().beginRun("2011_W49", null, null);
    Dataset<Row> weekly = spark.createDataFrame(List.of(
        RowFactory.create("2011_W49", "410169", "85123A", 1, 0.1 + 0.2, "repurchase", "LIGHT",
            "{\"times_bought\": 12, \"note\": \"a \\\"quoted\\\" word,\\n é ☕\"}"),
        RowFactory.create("2011_W49", "410169", "say \"hi\", twice\nand \\.", 2, null, "", "LIGHT", null),
        RowFactory.create("2011_W49", "17850", "22423", 3, -1.5e-300, "discovery", null, "[]"),
        RowFactory.create("2011_W49", "17850", "22424", 4, Double.NaN, "discovery", "HEAVY", "{}"),
        RowFactory.create("2011_W49", "17850", "22425", 5, Double.MAX_VALUE, "discovery", "HEAVY", "null"),
        RowFactory.create("2011_W49", "17850", "22426", 6, Double.NEGATIVE_INFINITY, "popular", "HEAVY",
            "{\"x\": 1e-7}")), WEEKLY).repartition(2);
    StructType factorsSchema = new StructType()
        .add("product_id", DataTypes.StringType)
        .add("factors", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> factors = spark.createDataFrame(List.of(
        RowFactory.create("85123A", new float[] {0.1f, -1.5f, Float.MIN_VALUE, 3.4028235e38f, 1.0e-7f}),
        RowFactory.create("22423", new float[] {})), factorsSchema);
    Dataset<Row> segments = spark.createDataFrame(List.of(
        RowFactory.create("410169", "LIGHT", 7, 5, 0.4, Timestamp.from(Instant.parse("2011-07-09T12:50:00.000123Z"))),
        RowFactory.create("12", "NEW", Integer.MAX_VALUE, 0, 1.0 / 3, Timestamp.from(Instant.parse("1999-12-31T23:59:59.5Z"))),
        RowFactory.create("17850", "HEAVY", 600, 40, null, null)), SEGMENTS);
    StructType popularSchema = new StructType()
        .add("scope", DataTypes.StringType)
        .add("product_id", DataTypes.StringType)
        .add("rank", DataTypes.IntegerType)
        .add("score", DataTypes.DoubleType)
        .add("orders", DataTypes.LongType)
        .add("customers", DataTypes.IntegerType); // an int into bigint
    Dataset<Row> popular = spark.createDataFrame(List.of(
        RowFactory.create("all", "85123A", 1, 2.5, Long.MAX_VALUE, 3),
        RowFactory.create("segment:HEAVY", "22423", 2, 0.0, -1L, null)), popularSchema);

    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    tables.put("weekly_recommendations", weekly);
    tables.put("als_product_factors", factors);
    tables.put("customer_segments", segments);
    tables.put("popular_products", popular);
    String previousZone = spark.conf().get("spark.sql.session.timeZone");
    spark.conf().set("spark.sql.session.timeZone", "America/New_York");
    try {
      for (Map.Entry<String, Dataset<Row>> t : tables.entrySet()) {
        String table = t.getKey();
        String select = "SELECT * FROM " + table + " t ORDER BY t::text";
        long rows = t.getValue().count();
        assertEquals(rows, store.runTables().copy(t.getValue(), table, run, false), table + " as CSV");
        List<List<Object>> asCsv = queryAsText(select);
        assertEquals(rows, asCsv.size());
        execute("DELETE FROM " + table);
        assertEquals(rows, store.runTables().copy(t.getValue(), table, run, true), table + " in binary");
        assertEquals(asCsv, queryAsText(select), table);
        execute("DELETE FROM " + table);
      }
    } finally {
      spark.conf().set("spark.sql.session.timeZone", previousZone);
    }
  }

  /** Every column as text, floats with every digit. */
  private List<List<Object>> queryAsText(String select) {
    try (Connection c = target.connect(); Statement st = c.createStatement()) {
      st.execute("SET extra_float_digits = 3");
      try (ResultSet rs = st.executeQuery(select)) {
        List<List<Object>> rows = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<Object> row = new ArrayList<>();
          for (int i = 1; i <= n; i++) {
            row.add(rs.getString(i));
          }
          rows.add(row);
        }
        return rows;
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private void execute(String sql) {
    try (Connection c = target.connect(); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void copiesReuseTheirConnectionsAndReplaceOnesTheServerEnded() {
    String run = store.runLog().beginRun("2011_W49", null, null);
    String backends = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        + "AND application_name = 'shoprec' AND pid <> pg_backend_pid() ORDER BY pid";
    List<List<Object>> before = query(backends); // the store's own connection
    int slots = spark.sparkContext().defaultParallelism();

    assertEquals(80L, copy(weekly("2011_W49", customers("a", 40)).repartition(8), "weekly_recommendations", run));
    List<List<Object>> copying = new ArrayList<>(query(backends));
    copying.removeAll(before);
    // 8 partitions, but one connection per task slot at most, kept for the next COPY
    assertTrue(!copying.isEmpty() && copying.size() <= slots, "COPY backends: " + copying);
    assertEquals(copying.size(), CopyConnections.idleCount(target));

    assertEquals(80L, copy(weekly("2011_W49", customers("b", 40)).repartition(8), "weekly_recommendations", run));
    List<List<Object>> again = new ArrayList<>(query(backends));
    again.removeAll(before);
    assertEquals(copying, again, "the second COPY started no new backend");

    // The server ends the idle connections: the next COPY notices, opens new ones and loads every row.
    for (List<Object> pid : copying) {
      assertEquals(true, query("SELECT pg_terminate_backend(" + pid.get(0) + ", 5000)").get(0).get(0)); // waits for it
    }
    assertEquals(80L, copy(weekly("2011_W49", customers("c", 40)).repartition(8), "weekly_recommendations", run));
    List<List<Object>> replaced = new ArrayList<>(query(backends));
    replaced.removeAll(before);
    assertFalse(replaced.isEmpty());
    assertTrue(replaced.stream().noneMatch(copying::contains), "reused an ended connection: " + replaced);
    assertEquals(240L, count("SELECT count(*) FROM weekly_recommendations WHERE run_id = '" + run + "'"));

    store.close(); // the job's end closes the idle COPY connections with the store
    assertEquals(0, CopyConnections.idleCount(target));
  }

  private static String[] customers(String prefix, int n) {
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = prefix + i;
    }
    return ids;
  }

  @Test
  void copyRefusesAMismatchedDatasetBeforeLoading() {
    String run = store.runLog().beginRun("2011_W49", null, null);
    Dataset<Row> wrong = weekly("2011_W49", "c1").withColumnRenamed("score", "scor");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store.runTables().copy(wrong, "weekly_recommendations", run));
    assertTrue(e.getMessage().contains("dataset column scor is not a column of weekly_recommendations"), e.getMessage());
  }

  @Test
  void aFailedPartitionLoadsNothing() {
    String run = store.runLog().beginRun("2011_W49", null, null);
    // One partition whose third row repeats the first's key: its COPY fails as a whole.
    Dataset<Row> duplicate = spark.createDataFrame(List.of(
        RowFactory.create("2011_W49", "c1", "p1", 1, 1.0, "repurchase", "LIGHT", null),
        RowFactory.create("2011_W49", "c1", "p2", 2, 0.5, "repurchase", "LIGHT", null),
        RowFactory.create("2011_W49", "c1", "p1", 3, 0.2, "repurchase", "LIGHT", null)), WEEKLY).coalesce(1);
    StoreException e = assertThrows(StoreException.class, () -> store.runTables().copy(duplicate, "weekly_recommendations", run));
    assertTrue(e.getMessage().startsWith("loading weekly_recommendations for run 2011_W49_1 failed: "), e.getMessage());
    assertTrue(e.getMessage().contains("duplicate key"), e.getMessage());
    assertEquals(0L, count("SELECT count(*) FROM weekly_recommendations"));
  }

  @Test
  void publishShowsTheWholeRunAtOnce() throws SQLException {
    String first = store.runLog().beginRun("2011_W49", null, null);
    assertEquals(4L, copy(weekly("2011_W49", "a", "b"), "weekly_recommendations", first));
    assertEquals(0L, count("SELECT count(*) FROM current_weekly_recommendations"));
    assertEquals(Optional.empty(), store.publication().currentRun());
    store.publication().publish(first, () -> { });
    assertEquals(Optional.of(first), store.publication().currentRun());
    assertEquals(4L, count("SELECT count(*) FROM current_weekly_recommendations"));

    String second = store.runLog().beginRun("2011_W50", null, null);
    copy(weekly("2011_W50", "c", "d", "e"), "weekly_recommendations", second);
    // Loaded but not published: readers still see the first run only.
    assertEquals(List.of(List.of(first, 4L)),
        query("SELECT run_id, count(*) FROM current_weekly_recommendations GROUP BY run_id"));
    try (Connection reader = target.connect()) {
      store.publication().publish(second, () -> {
        // Inside the publish transaction, before COMMIT: another session still sees the first run.
        assertEquals(List.of(List.of(first, 4L)), query(reader,
            "SELECT run_id, count(*) FROM current_weekly_recommendations GROUP BY run_id"));
      });
      assertEquals(List.of(List.of(second, 6L)), query(reader,
          "SELECT run_id, count(*) FROM current_weekly_recommendations GROUP BY run_id"));
    }
    assertEquals(List.of(Arrays.asList(second, "completed", true, true), Arrays.asList(first, "completed", true, true)),
        query("SELECT run_id, status, finished_at IS NOT NULL, published_at IS NOT NULL FROM recommendation_job_log "
            + "ORDER BY started_at DESC"));
    assertEquals(query("SELECT published_at FROM recommendation_current_run"),
        query("SELECT published_at FROM recommendation_job_log WHERE run_id = '" + second + "'"));
    assertEquals(Optional.of(first), store.publication().previousCompletedRun());
  }

  @Test
  void aFailingSwitchInsidePublishChangesNothing() {
    String first = store.runLog().beginRun("2011_W49", null, null);
    copy(weekly("2011_W49", "a"), "weekly_recommendations", first);
    store.publication().publish(first, () -> { });
    String second = store.runLog().beginRun("2011_W50", null, null);
    copy(weekly("2011_W50", "b", "c"), "weekly_recommendations", second);

    IllegalStateException redisDown = new IllegalStateException("Redis pointer switch failed");
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> store.publication().publish(second, () -> {
      throw redisDown;
    }));
    assertSame(redisDown, thrown);
    assertEquals(Optional.of(first), store.publication().currentRun());
    assertEquals(List.of("running"), query("SELECT status FROM recommendation_job_log WHERE run_id = '" + second + "'").get(0));
    assertEquals(List.of(List.of(first, 2L)),
        query("SELECT run_id, count(*) FROM current_weekly_recommendations GROUP BY run_id"));
    // Still this store's run: the lock is held until it is failed.
    assertThrows(RunInProgressException.class, () -> other().runLog().beginRun("2011_W50", null, null));
    store.runLog().fail(second, "publish failed: " + redisDown.getMessage());
    assertEquals("2011_W50_2", other().runLog().beginRun("2011_W50", null, null));
  }

  @Test
  void failDeletesTheRunsRowsAndRecordsTheError() {
    String kept = store.runLog().beginRun("2011_W49", null, null);
    copy(weekly("2011_W49", "a"), "weekly_recommendations", kept);
    store.publication().publish(kept, () -> { });

    String run = store.runLog().beginRun("2011_W50", null, null);
    copy(weekly("2011_W50", "b", "c"), "weekly_recommendations", run);
    store.runTables().copyRejectSample(run, List.<String[]>of(new String[] {"missing_customer", "536365,,85123A,2010-12-01 08:26,6,2.55", null}));
    assertEquals(4L, count("SELECT count(*) FROM weekly_recommendations WHERE run_id = '" + run + "'"));
    store.runLog().fail(run, "quality gate failed: only 2 customers");

    assertEquals(0L, count("SELECT count(*) FROM weekly_recommendations WHERE run_id = '" + run + "'"));
    // The rejected rows sample stays, to show why the run failed; retention deletes it later.
    assertEquals(List.of(Arrays.asList(run, "missing_customer", "536365,,85123A,2010-12-01 08:26,6,2.55", null)),
        query("SELECT run_id, reason, source_row, details FROM rejected_rows_sample"));
    assertEquals(2L, count("SELECT count(*) FROM weekly_recommendations WHERE run_id = '" + kept + "'"));
    assertEquals(Arrays.asList("failed", "quality gate failed: only 2 customers", true),
        query("SELECT status, error, finished_at IS NOT NULL FROM recommendation_job_log WHERE run_id = '" + run + "'").get(0));
    // The current run is never failed nor emptied.
    store.runLog().fail(kept, "too late");
    assertEquals(Arrays.asList("completed", null),
        query("SELECT status, error FROM recommendation_job_log WHERE run_id = '" + kept + "'").get(0));
    assertEquals(2L, count("SELECT count(*) FROM current_weekly_recommendations"));
    store.runTables().retain(1);
    assertEquals(0L, count("SELECT count(*) FROM rejected_rows_sample"));
    assertEquals(2L, count("SELECT count(*) FROM current_weekly_recommendations"));
  }

  @Test
  void retainKeepsTheNewestRunsAndNeverTheCurrentOne() {
    List<String> runs = new ArrayList<>();
    for (String week : List.of("2011_W47", "2011_W48", "2011_W49")) {
      String run = store.runLog().beginRun(week, null, null);
      copy(weekly(week, "a", "b"), "weekly_recommendations", run);
      store.publication().publish(run, () -> { });
      runs.add(run);
    }
    store.runTables().retain(2);
    assertEquals(List.of(List.of(runs.get(1), 4L), List.of(runs.get(2), 4L)),
        query("SELECT run_id, count(*) FROM weekly_recommendations GROUP BY run_id ORDER BY run_id"));
    StoreException purged = assertThrows(StoreException.class, () -> store.publication().rollbackTo(runs.get(0)));
    assertEquals("cannot roll back to run 2011_W47_1: retention deleted its rows", purged.getMessage());

    // After a rollback the current run is not the newest: retain(1) still keeps it.
    store.publication().rollbackTo(runs.get(1));
    store.runTables().retain(1);
    assertEquals(List.of(List.of(runs.get(1), 4L)),
        query("SELECT run_id, count(*) FROM weekly_recommendations GROUP BY run_id"));
    assertEquals(4L, count("SELECT count(*) FROM current_weekly_recommendations"));
    assertEquals(List.of(List.of(runs.get(0), true), List.of(runs.get(1), false), List.of(runs.get(2), true)),
        query("SELECT run_id, purged_at IS NOT NULL FROM recommendation_job_log ORDER BY run_id"));
  }

  @Test
  void rollbackRestoresThePreviousRun() {
    String first = store.runLog().beginRun("2011_W49", null, null);
    copy(weekly("2011_W49", "a"), "weekly_recommendations", first);
    store.publication().publish(first, () -> { });
    String second = store.runLog().beginRun("2011_W50", null, null);
    copy(weekly("2011_W50", "b", "c"), "weekly_recommendations", second);
    store.publication().publish(second, () -> { });

    assertEquals(Optional.of(first), store.publication().previousCompletedRun());
    store.publication().rollbackTo(store.publication().previousCompletedRun().orElseThrow());
    assertEquals(Optional.of(first), store.publication().currentRun());
    assertEquals(List.of(List.of(first, 2L)),
        query("SELECT run_id, count(*) FROM current_weekly_recommendations GROUP BY run_id"));
    assertEquals(List.of(List.of(first, "completed"), List.of(second, "rolled_back")),
        query("SELECT run_id, status FROM recommendation_job_log ORDER BY run_id"));
    assertEquals(Optional.empty(), store.publication().previousCompletedRun());

    // A rollback whose switch fails changes nothing; rolling forward again works.
    assertThrows(IllegalStateException.class, () -> store.publication().rollbackTo(second, () -> {
      throw new IllegalStateException("Redis down");
    }));
    assertEquals(Optional.of(first), store.publication().currentRun());
    store.publication().rollbackTo(second);
    assertEquals(List.of(List.of(first, "rolled_back"), List.of(second, "completed")),
        query("SELECT run_id, status FROM recommendation_job_log ORDER BY run_id"));
  }

  @Test
  void theRunLogKeepsCountsTimingsAndGates() {
    String run = store.runLog().beginRun("2011_W49", LocalDate.of(2011, 12, 10), "{\"as_of\": \"2011-12-10\"}");
    Map<String, Long> rejects = new LinkedHashMap<>();
    rejects.put("missing_customer", 135080L);
    rejects.put("non_positive_quantity", 10624L);
    store.runLog().recordInput(run, 541909, 396205, 145704, rejects);
    store.runLog().recordStage(run, "load", 1200);
    store.runLog().recordStage(run, "segments", 300);
    store.runLog().recordStage(run, "load", 1250);
    store.runLog().recordOutputs(run, Map.of("weekly_recommendations", 100L));
    store.runLog().recordOutputs(run, Map.of("customer_segments", 4L));
    store.runLog().recordGates(run, "{\"coverage\": \"ok\"}", true);
    store.publication().publish(run, () -> { });

    assertEquals(Arrays.asList(541909L, 396205L, 145704L,
            "{\"missing_customer\": 135080, \"non_positive_quantity\": 10624}",
            "{\"load\": 1250, \"segments\": 300}",
            "{\"customer_segments\": 4, \"weekly_recommendations\": 100}",
            "{\"coverage\": \"ok\"}", true),
        query("SELECT input_rows, used_rows, rejected_rows, reject_counts::text, stage_timings::text, "
            + "output_counts::text, gate_results::text, forced FROM recommendation_job_log").get(0));
    List<Map<String, Object>> recent = store.publication().recentRuns(5);
    assertEquals(1, recent.size());
    assertEquals(run, recent.get(0).get("run_id"));
    assertEquals("completed", recent.get(0).get("status"));
    assertEquals(true, recent.get(0).get("is_current"));
    assertEquals(LocalDate.of(2011, 12, 10), recent.get(0).get("as_of"));
    assertTrue(recent.get(0).get("started_at") instanceof Instant);
    assertTrue((Double) recent.get(0).get("duration_seconds") >= 0);
    assertThrows(StoreException.class, () -> store.runLog().recordStage("2011_W01_9", "load", 1));
  }

  @Test
  void anUnreachableDatabaseFailsFastNamingHostAndPort() throws Exception {
    int port = EmbeddedStores.freePort();
    PostgresTarget nowhere = new PostgresTarget("jdbc:postgresql://127.0.0.1:" + port + "/shop", "shoprec", "s3cret-pw");
    long start = System.nanoTime();
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> PostgresStore.connect(nowhere));
    assertTrue(System.nanoTime() - start < 15_000_000_000L);
    assertTrue(e.getMessage().startsWith("cannot connect to Postgres at 127.0.0.1:" + port
        + " (jdbc:postgresql://127.0.0.1:" + port + "/shop): "), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret-pw"));
    assertNotNull(e.getCause());
  }

  @Test
  void theCurrentRunTableTakesOneRowOnly() {
    String run = store.runLog().beginRun("2011_W49", null, null);
    store.publication().publish(run, () -> { });
    SqlError e = assertThrows(SqlError.class,
        () -> query("INSERT INTO recommendation_current_run VALUES ('" + run + "', now())"));
    assertEquals("23505", ((SQLException) e.getCause()).getSQLState());
    assertNull(store.publication().recentRuns(1).get(0).get("error"));
  }

  @Test
  void theCurrentEvaluationOfAProtocolIsItsNewest() {
    // Evaluations are not weekly runs: their ids are their own, and the newest of each protocol is current.
    store.runTables().copy(EvaluationReport.toRows(spark, "last-basket", List.of(
        new Metric("weekly", "ALL", "all", "recall", 25, 0.1, 100))), "evaluation_results", "eval_last_basket_1");
    store.runTables().copy(EvaluationReport.toRows(spark, "time-split", List.of(
        new Metric("weekly", "ALL", "all", "recall", 25, 0.4, 80))), "evaluation_results", "eval_time_split_1");
    store.runTables().copy(EvaluationReport.toRows(spark, "last-basket", List.of(
        new Metric("weekly", "ALL", "all", "recall", 25, 0.2, 120),
        new Metric("weekly", "LIGHT", "all", "recall", 25, 0.3, 50),
        new Metric("als", "ALL", "all", "recall", 25, 0.05, 120))), "evaluation_results", "eval_last_basket_2");

    assertEquals(List.of(List.of("eval_last_basket_2", "als", "ALL", 0.05, 120L),
            List.of("eval_last_basket_2", "weekly", "ALL", 0.2, 120L),
            List.of("eval_last_basket_2", "weekly", "LIGHT", 0.3, 50L),
            List.of("eval_time_split_1", "weekly", "ALL", 0.4, 80L)),
        query("SELECT run_id, method, segment, value, customers FROM current_evaluation_results "
            + "ORDER BY run_id, method, segment"));
    // one row per evaluation, newest first: customers of segment ALL, methods, rows
    assertEquals(List.of(List.of("eval_last_basket_2", "last-basket", 120L, 2L, 3L),
            List.of("eval_time_split_1", "time-split", 80L, 1L, 1L),
            List.of("eval_last_basket_1", "last-basket", 100L, 1L, 1L)),
        query("SELECT run_id, protocol, customers, methods, result_rows FROM evaluation_runs"));
    // a weekly run becoming current changes nothing here
    String run = store.runLog().beginRun("2011_W49", null, null);
    store.publication().publish(run, () -> { });
    assertEquals(4L, count("SELECT count(*) FROM current_evaluation_results"));
  }

  @Test
  void stageTimingsAndRejectCountsHaveARowEach() {
    String first = store.runLog().beginRun("2011_W49", null, null);
    store.runLog().recordStage(first, "read", 1500);
    store.runLog().recordStage(first, "als", 12_250);
    store.runLog().recordInput(first, 10, 7, 3, Map.of("missing_customer_id", 2L, "after_as_of", 1L));
    store.publication().publish(first, () -> { });
    String second = store.runLog().beginRun("2011_W50", null, null);
    store.runLog().recordStage(second, "read", 900);

    // newest run first, then its slowest stage / most frequent reason first
    assertEquals(List.of(List.of(second, "read", 0.9), List.of(first, "als", 12.25), List.of(first, "read", 1.5)),
        query("SELECT run_id, stage, seconds FROM recommendation_stage_timings"));
    assertEquals(List.of(List.of(first, "missing_customer_id", 2L), List.of(first, "after_as_of", 1L)),
        query("SELECT run_id, reason, rows FROM recommendation_reject_counts"));
  }

  @Test
  void aSchemaOfTheFirstReleaseIsUpgraded() {
    // The first release had no product_catalog, no customers column in evaluation_results, and a
    // current_evaluation_results view over the current weekly run.
    query("DROP VIEW current_product_catalog, current_evaluation_results, evaluation_runs, "
        + "recommendation_stage_timings, recommendation_reject_counts");
    query("DROP TABLE product_catalog");
    query("ALTER TABLE evaluation_results DROP COLUMN customers");
    query("CREATE VIEW current_evaluation_results AS SELECT t.* FROM evaluation_results t "
        + "JOIN recommendation_current_run c USING (run_id)");
    query("INSERT INTO evaluation_results (run_id, protocol, method, segment, items, metric, k, value) "
        + "VALUES ('eval_last_basket_1', 'last-basket', 'weekly', 'ALL', 'all', 'recall', 25, 0.1)");

    store.schema().ensure();
    for (String relation : Schema.RELATIONS) {
      assertEquals(relation, query("SELECT to_regclass('" + relation + "')::text").get(0).get(0));
    }
    assertEquals(Arrays.asList("eval_last_basket_1", null),
        query("SELECT run_id, customers FROM current_evaluation_results").get(0));
  }

  // ---- fixtures and helpers ----------------------------------------------------------------------

  /** Two recommendations per customer: p1 (repurchase, rank 1) and p2 (discovery, rank 2). */
  private static Dataset<Row> weekly(String week, String... customers) {
    List<Row> rows = new ArrayList<>();
    for (String c : customers) {
      rows.add(RowFactory.create(week, c, "p1", 1, 0.9, "repurchase", "LIGHT", "{\"times_bought\": 2}"));
      rows.add(RowFactory.create(week, c, "p2", 2, 0.4, "discovery", "LIGHT", "{\"neighbours\": 1}"));
    }
    return spark.createDataFrame(rows, WEEKLY);
  }

  private long copy(Dataset<Row> rows, String table, String run) {
    return store.runTables().copy(rows, table, run);
  }

  private PostgresStore other() {
    PostgresStore s = PostgresStore.connect(target);
    others.add(s);
    return s;
  }

  private long count(String sql) {
    return ((Number) query(sql).get(0).get(0)).longValue();
  }

  private List<List<Object>> query(String sql) {
    try (Connection c = target.connect()) {
      return query(c, sql);
    } catch (SQLException e) {
      throw new SqlError(e);
    }
  }

  private static List<List<Object>> query(Connection c, String sql) {
    List<List<Object>> rows = new ArrayList<>();
    try (Statement st = c.createStatement()) {
      if (!st.execute(sql)) {
        return rows;
      }
      try (ResultSet rs = st.getResultSet()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<Object> row = new ArrayList<>();
          for (int i = 1; i <= n; i++) {
            Object v = rs.getObject(i);
            row.add(v instanceof org.postgresql.util.PGobject pg ? pg.getValue() : v);
          }
          rows.add(row);
        }
      }
    } catch (SQLException e) {
      throw new SqlError(e);
    }
    return rows;
  }

  /** Lets a failing statement surface as its SQLException in assertThrows. */
  private static final class SqlError extends RuntimeException {
    SqlError(SQLException e) {
      super(e);
    }
  }
}

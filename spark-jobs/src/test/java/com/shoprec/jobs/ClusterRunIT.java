package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.shoprec.common.RedisKeys;
import com.shoprec.testkit.EmbeddedStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.ScanParams;
import redis.clients.jedis.ScanResult;

/**
 * The shaded job jar on a real Spark standalone cluster publishes what a {@code local[2]} run publishes.
 *
 * <p>A Master and a Worker (2 cores) run from Spark's own jars on loopback ({@link LoopbackSparkCluster}), and the
 * job is submitted through Spark's {@code SparkSubmit}, in client mode, with two executors of one core each: tasks
 * run in two other JVMs, shuffles cross process boundaries, the executors load the job's classes and libraries
 * (Jedis, the Postgres driver, relocated picocli and config) from the job jar only, and the COPY into Postgres and
 * the Redis writes come from there. The same jar is submitted the same way with {@code --master local[2]} on the
 * same input (half of the customers of the bundled sample, one file, one split either way), into the same
 * Postgres and Redis: the local run is {@value #LOCAL_RUN}, the cluster run {@value #CLUSTER_RUN} (so the
 * cluster run also reads the previous run's lists back through Spark's JDBC source, for the overlap gate). The
 * store URLs reach the driver only, through its environment. Every output table and every Redis key of one run
 * is then compared with the other's.
 *
 * <p>What is made identical, because it would change the result: the shuffle partition count
 * ({@code spark.sql.shuffle.partitions}; the job picks one for local masters only and a cluster keeps Spark's
 * 200, which adaptive execution coalesces differently); default parallelism (2 either way: {@code local[2]}, and
 * two executor cores); the input (one file, one split); every seed (configuration). Row order within a reduce
 * partition is the one thing that cannot be fixed: an executor takes shuffle blocks in the order they arrive
 * from the other executor and from itself, where {@code local[2]} reads them all in map order. The job's sums
 * are therefore order-free where they rank things ({@code model.Sums}); what remains is in ALS, see
 * {@link #TOLERANCE}.
 */
class ClusterRunIT {

  static final String LOCAL_RUN = "2011_W49_1";
  static final String CLUSTER_RUN = "2011_W49_2";

  /**
   * Relative tolerance for floating-point values; everything else must be equal: ids, ranks, sources, segments,
   * counts, the set of rows and keys.
   *
   * <p>The job's own sums feeding a ranking are order-free ({@code model.Sums}): before they were, this test
   * failed on swapped ranks of tied repurchase items, whose decayed frequencies differed by one unit in the
   * last place. What is left is inside MLlib's ALS: each customer's and product's normal equation is summed
   * in the order its ratings arrive from the shuffle, and YᵀY is merged in the order tasks finish (on
   * {@code local[2]} too). Those sums are doubles and the factors are rounded to floats after every
   * iteration, so a difference survives only where it crosses a float rounding boundary: about one float
   * unit in the last place (6e-8 relative), carried through the remaining iterations. Measured: no value
   * differed at all, out of about a million in Postgres and a million in Redis; 1e-6 leaves room for such a
   * rare float step and no more (a real difference, e.g. another seed or rank, changes the factors entirely).
   */
  static final double TOLERANCE = 1e-6;

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Path input;
  private static EmbeddedStores stores;
  private static LoopbackSparkCluster cluster;

  @BeforeAll
  static void runLocallyThenOnTheCluster() throws Exception {
    input = halfOfTheSample(dir.resolve("orders.csv"));
    stores = EmbeddedStores.start();
    cluster = LoopbackSparkCluster.prepare(dir, Path.of("target", "local-classpath.txt"));
    cluster.startMasterAndWorker(2, "2g");

    submit("local[2]", List.of(), LOCAL_RUN);
    submit(cluster.masterUrl(), List.of(
        "--deploy-mode", "client",
        "--conf", "spark.executor.cores=1",
        "--conf", "spark.executor.memory=640m",
        "--conf", "spark.cores.max=2"), CLUSTER_RUN);
  }

  /**
   * The customers of the bundled sample whose id is divisible by 12 (half of them, whole histories): small enough
   * for two runs on two cores, one split (a file far below {@code spark.sql.files.maxPartitionBytes}).
   */
  private static Path halfOfTheSample(Path out) throws Exception {
    try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
            new java.util.zip.GZIPInputStream(Files.newInputStream(Path.of("..", "sample", "online-retail-sample.csv.gz"))),
            StandardCharsets.UTF_8));
         java.io.BufferedWriter w = Files.newBufferedWriter(out)) {
      w.write(in.readLine());
      w.newLine();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (Long.parseLong(line.split(",", 3)[1]) % 12 == 0) {
          w.write(line);
          w.newLine();
        }
      }
    }
    return out.toAbsolutePath();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (stores != null) {
      stores.close();
    }
  }

  private static void submit(String master, List<String> masterArgs, String expectedRun) throws Exception {
    Path jar;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      jar = files.filter(f -> f.getFileName().toString().endsWith("-job.jar")).findFirst()
          .orElseThrow(() -> new AssertionError("no shaded job jar in target/: run `mvn package` first"));
    }
    List<String> args = new ArrayList<>(List.of("--master", master));
    args.addAll(masterArgs);
    args.addAll(List.of(
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=2",
        "--class", RecommendationJob.class.getName(),
        jar.toAbsolutePath().toString(),
        "--input", input.toString()));
    // smaller models than production, as in WeeklyJobIT: this test is about where the job runs
    args.addAll(SmallModels.ARGS);
    List<String> driverJvm = new ArrayList<>(List.of("-Xmx1g"));
    // In client mode the driver is the spark-submit JVM itself: it needs the Java 17 options on its command line
    // (the executors get them from SparkContext, which adds Spark's module options to their command).
    driverJvm.addAll(Files.readAllLines(Path.of("..", "conf", "spark-java17.jvmopts")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList());
    Path log = dir.resolve(expectedRun + ".log");
    long started = System.nanoTime();
    // The stores through the environment, as in production, and only the driver's: the executors must get what
    // they need with their tasks.
    int exit = cluster.submit(log, driverJvm, args,
        Map.of("REDIS_URL", stores.redisUrl(), "DATABASE_URL", stores.jdbcUrl()), RUN_TIMEOUT);
    System.out.printf("%s on %s: exit %d in %.1f s%n", expectedRun, master, exit, (System.nanoTime() - started) / 1e9);
    assertEquals(0, exit, "spark-submit --master " + master + " failed; its log ends with:\n"
        + LoopbackSparkCluster.tail(log, 60));
    String output = Files.readString(log);
    assertTrue(output.contains("published run " + expectedRun), "run " + expectedRun + " published");
    output.lines().filter(l -> l.startsWith("stage timings")).forEach(System.out::println);
  }

  @Test
  void theClusterRunRanItsTasksOnBothExecutors() throws Exception {
    List<Path> executors;
    try (Stream<Path> apps = Files.list(cluster.workDir())) {
      List<Path> appDirs = apps.filter(Files::isDirectory).toList();
      assertEquals(1, appDirs.size(), "one application ran on the cluster: " + appDirs);
      try (Stream<Path> ids = Files.list(appDirs.get(0))) {
        executors = ids.filter(Files::isDirectory).toList();
      }
    }
    assertEquals(2, executors.size(), "two executors of one core: " + executors);
    for (Path executor : executors) {
      long tasks = Files.readAllLines(executor.resolve("stderr"), StandardCharsets.UTF_8).stream()
          .filter(l -> l.contains("Finished task")).count();
      assertTrue(tasks > 50, executor + " ran " + tasks + " tasks");
    }
  }

  @Test
  void everyOutputTableHoldsTheSameRows() throws Exception {
    List<String> tables = new ArrayList<>();
    try (Connection c = db(); ResultSet r = c.createStatement().executeQuery(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'run_id' "
            + "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE') "
            + "AND table_name NOT IN ('recommendation_job_log', 'recommendation_current_run', 'evaluation_results') "
            + "ORDER BY table_name")) {
      while (r.next()) {
        tables.add(r.getString(1));
      }
    }
    assertTrue(tables.containsAll(List.of("weekly_recommendations", "customer_segments", "popular_products",
        "similar_customers", "item_cooccurrence", "product_audience", "als_customer_factors", "als_product_factors")),
        tables.toString());
    Differences differences = new Differences();
    List<String> differentRows = new ArrayList<>();
    for (String table : tables) {
      Map<String, List<Object>> local = rows(table, LOCAL_RUN);
      Map<String, List<Object>> onCluster = rows(table, CLUSTER_RUN);
      differentRows.addAll(keyDifferences(table + ": rows (by every non-floating column)", local.keySet(),
          onCluster.keySet()));
      for (Map.Entry<String, List<Object>> row : local.entrySet()) {
        List<Object> other = onCluster.get(row.getKey());
        for (int i = 0; other != null && i < row.getValue().size(); i++) {
          differences.compare(table + " " + row.getKey() + " #" + i, row.getValue().get(i), other.get(i));
        }
      }
      System.out.printf("%s: %d rows local, %d on the cluster%n", table, local.size(), onCluster.size());
    }
    differences.report();
    assertTrue(differentRows.isEmpty(), String.join("\n", differentRows));
  }

  @Test
  void everyRedisKeyHoldsTheSamePayload() throws Exception {
    Differences differences = new Differences();
    Map<String, String> local = new TreeMap<>();
    Map<String, String> onCluster = new TreeMap<>();
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = redis.scan(cursor, new ScanParams().count(1000));
        for (String key : page.getResult()) {
          if (key.contains(LOCAL_RUN)) {
            local.put(key.replace(LOCAL_RUN, "{run}"), key);
          } else if (key.contains(CLUSTER_RUN)) {
            onCluster.put(key.replace(CLUSTER_RUN, "{run}"), key);
          }
        }
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
      String runInfo = RedisKeys.withoutNamespace().runInfo(LOCAL_RUN).replace(LOCAL_RUN, "{run}");
      assertTrue(local.containsKey(runInfo), "run info of the local run");
      List<String> differentKeys = keyDifferences("Redis keys (but for the run id)", local.keySet(), onCluster.keySet());
      assertTrue(differentKeys.isEmpty(), String.join("\n", differentKeys));
      for (Map.Entry<String, String> key : local.entrySet()) {
        JsonNode a = withoutRunStamps(JSON.readTree(redis.get(key.getValue())), LOCAL_RUN);
        JsonNode b = withoutRunStamps(JSON.readTree(redis.get(onCluster.get(key.getKey()))), CLUSTER_RUN);
        differences.compare(key.getKey(), a, b);
      }
    }
    System.out.printf("redis: %d keys each%n", local.size());
    differences.report();
  }

  @Test
  void theJobLogCountsTheSameRowsAndOutputs() throws Exception {
    String columns = "week, status, as_of, input_rows, used_rows, rejected_rows, reject_counts, output_counts, parameters";
    List<Object> local = jobLog(columns, LOCAL_RUN);
    List<Object> onCluster = jobLog(columns, CLUSTER_RUN);
    assertEquals(local, onCluster, columns);
  }

  /** A message naming a few of the keys that only one run has, or none. */
  private static List<String> keyDifferences(String what, java.util.Set<String> local, java.util.Set<String> onCluster) {
    long onlyLocal = local.stream().filter(k -> !onCluster.contains(k)).count();
    if (onlyLocal == 0 && local.size() == onCluster.size()) {
      return List.of();
    }
    return List.of(what + " differ (" + local.size() + " local, " + onCluster.size() + " on the cluster, "
        + onlyLocal + " only local): only local " + local.stream().filter(k -> !onCluster.contains(k)).limit(10).toList()
        + ", only on the cluster " + onCluster.stream().filter(k -> !local.contains(k)).limit(10).toList());
  }

  /** One run's rows of {@code table}, without run_id, keyed by their non-floating columns. */
  private static Map<String, List<Object>> rows(String table, String run) throws Exception {
    Map<String, List<Object>> rows = new TreeMap<>();
    try (Connection c = db();
         PreparedStatement s = c.prepareStatement("SELECT * FROM " + table + " WHERE run_id = ?")) {
      s.setString(1, run);
      try (ResultSet r = s.executeQuery()) {
        ResultSetMetaData meta = r.getMetaData();
        while (r.next()) {
          StringBuilder key = new StringBuilder();
          List<Object> values = new ArrayList<>();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            String name = meta.getColumnName(i);
            if (name.equals("run_id")) {
              continue;
            }
            int type = meta.getColumnType(i);
            Object value = r.getObject(i);
            if (type == Types.DOUBLE || type == Types.REAL || type == Types.FLOAT || type == Types.ARRAY
                || "jsonb".equals(meta.getColumnTypeName(i))) {
              values.add(value instanceof Array a ? a.getArray() : value == null ? null
                  : "jsonb".equals(meta.getColumnTypeName(i)) ? JSON.readTree(value.toString()) : value);
            } else {
              key.append(name).append('=').append(value).append(' ');
            }
          }
          List<Object> previous = rows.put(key.toString().strip(), values);
          assertTrue(previous == null, table + ": two rows with " + key);
        }
      }
    }
    return rows;
  }

  private static List<Object> jobLog(String columns, String run) throws Exception {
    try (Connection c = db();
         PreparedStatement s = c.prepareStatement("SELECT " + columns + " FROM recommendation_job_log WHERE run_id = ?")) {
      s.setString(1, run);
      try (ResultSet r = s.executeQuery()) {
        assertTrue(r.next(), "job log row of " + run);
        List<Object> values = new ArrayList<>();
        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
          Object v = r.getObject(i);
          values.add("jsonb".equals(r.getMetaData().getColumnTypeName(i)) && v != null ? JSON.readTree(v.toString()) : v);
        }
        return values;
      }
    }
  }

  /** The payload without what names the run or the time it was made. */
  private static JsonNode withoutRunStamps(JsonNode node, String run) {
    if (node instanceof ObjectNode o) {
      o.remove(List.of("generated_at", "list_generated_at", "published_at", "run_id"));
      Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (f.getValue().isTextual() && f.getValue().asText().equals(run)) {
          f.setValue(JSON.getNodeFactory().textNode("{run}"));
        } else {
          withoutRunStamps(f.getValue(), run);
        }
      }
    } else if (node != null && node.isArray()) {
      node.forEach(child -> withoutRunStamps(child, run));
    }
    return node;
  }

  private static Connection db() throws Exception {
    return DriverManager.getConnection(stores.jdbcUrl());
  }

  /**
   * Compares values, exactly unless they are floating-point numbers (then within {@link #TOLERANCE}), and counts
   * floating-point values that are not bit for bit the same, to report how far apart the runs are.
   */
  static final class Differences {
    long compared;
    long inexact;
    double largest;
    String largestAt;

    void compare(String where, Object a, Object b) {
      if (a instanceof JsonNode x && b instanceof JsonNode y) {
        json(where, x, y);
      } else if (a instanceof Number x && b instanceof Number y && (a instanceof Double || a instanceof Float)) {
        number(where, x.doubleValue(), y.doubleValue());
      } else if (a instanceof Object[] x && b instanceof Object[] y) {
        assertEquals(x.length, y.length, where + ": array length");
        for (int i = 0; i < x.length; i++) {
          compare(where + "[" + i + "]", x[i], y[i]);
        }
      } else {
        assertEquals(a, b, where);
      }
    }

    private void json(String where, JsonNode a, JsonNode b) {
      if (a.isFloatingPointNumber() || b.isFloatingPointNumber()) {
        assertTrue(a.isNumber() && b.isNumber(), where + ": " + a + " vs " + b);
        number(where, a.doubleValue(), b.doubleValue());
      } else if (a.isObject()) {
        assertTrue(b.isObject(), where + ": " + a + " vs " + b);
        List<String> names = new ArrayList<>();
        a.fieldNames().forEachRemaining(names::add);
        List<String> otherNames = new ArrayList<>();
        b.fieldNames().forEachRemaining(otherNames::add);
        assertEquals(names, otherNames, where + ": fields");
        names.forEach(n -> json(where + "." + n, a.get(n), b.get(n)));
      } else if (a.isArray()) {
        assertEquals(a.size(), b.size(), where + ": array size");
        for (int i = 0; i < a.size(); i++) {
          json(where + "[" + i + "]", a.get(i), b.get(i));
        }
      } else {
        assertEquals(a, b, where);
      }
    }

    private void number(String where, double a, double b) {
      compared++;
      if (a == b) {
        return;
      }
      inexact++;
      double relative = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
      if (relative > largest) {
        largest = relative;
        largestAt = where + ": " + a + " vs " + b;
      }
    }

    /** Prints how far apart the runs are and fails if the largest difference is beyond {@link #TOLERANCE}. */
    void report() {
      System.out.printf("floating-point values compared: %d, not bit-identical: %d, largest relative difference %g%s%n",
          compared, inexact, largest, largestAt == null ? "" : " at " + largestAt);
      assertTrue(largest <= TOLERANCE, "largest relative difference " + largest + " at " + largestAt);
    }
  }
}

package com.shoprec.jobs.store.postgres;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import com.shoprec.jobs.store.postgres.CopyEncoding.Kind;
import com.shoprec.testkit.EmbeddedStores;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVPrinter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * COPY throughput of {@link RunTables#copy} against {@code psql \copy} of the same rows, into
 * {@code weekly_recommendations} of an embedded Postgres. Not part of the test suite; run by hand:
 *
 * <pre>
 * mvn -o -q -pl spark-jobs test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt
 * java -cp spark-jobs/target/test-classes:spark-jobs/target/classes:$(cat spark-jobs/target/bench-cp.txt) \
 *   [--add-opens flags of the parent pom] com.shoprec.jobs.store.postgres.CopyThroughputBench [rows] [partitions] [rounds]
 * </pre>
 *
 * <p>The dataset (25 recommendations per customer with a JSON reason, as the job writes them) is cached
 * before timing, and the psql input file is written from it with the same encoder, so both load the
 * same bytes into the same table with the same primary key; the table is truncated before every load.
 * Prints rows/s of each and their ratio (best and median of the rounds).
 */
public final class CopyThroughputBench {

  private static final String PSQL = "/usr/bin/psql";

  private CopyThroughputBench() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;

    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName("copy-throughput-bench")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    Path csv = Files.createTempFile("copy-bench", ".csv");
    try (EmbeddedStores stores = EmbeddedStores.start()) {
      PostgresTarget target = new PostgresTarget(
          "jdbc:postgresql://127.0.0.1:" + stores.postgresPort() + "/postgres", "postgres", null);
      try (PostgresStore store = PostgresStore.connect(target)) {
        store.schema().ensure();
        String runId = store.runLog().beginRun("2011_W49", null, null);
        Dataset<Row> weekly = weeklyShaped(spark, rows, partitions).cache();
        System.out.printf("rows: %d in %d partitions%n", weekly.count(), weekly.rdd().getNumPartitions());
        long bytes = writeCsv(weekly, runId, csv);
        System.out.printf("psql input: %s, %.1f MB%n", csv, bytes / 1e6);

        List<Double> viaCopy = new ArrayList<>();
        List<Double> psql = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
          truncate(target);
          long t0 = System.nanoTime();
          long loaded = store.runTables().copy(weekly, "weekly_recommendations", runId);
          double copySeconds = (System.nanoTime() - t0) / 1e9;
          check(loaded, rows, "copy()");
          truncate(target);
          t0 = System.nanoTime();
          psqlCopy(stores.postgresPort(), csv);
          double psqlSeconds = (System.nanoTime() - t0) / 1e9;
          check(count(target), rows, "psql \\copy");
          viaCopy.add(rows / copySeconds);
          psql.add(rows / psqlSeconds);
          System.out.printf("round %d: copy() %.2f s = %,.0f rows/s; psql \\copy %.2f s = %,.0f rows/s; ratio %.2f%n",
              round, copySeconds, rows / copySeconds, psqlSeconds, rows / psqlSeconds, psqlSeconds / copySeconds);
        }
        double bestSpark = Collections.max(viaCopy);
        double bestPsql = Collections.max(psql);
        System.out.printf("best: copy() %,.0f rows/s, psql \\copy %,.0f rows/s, ratio copy()/psql = %.2f%n",
            bestSpark, bestPsql, bestSpark / bestPsql);
        double medianSpark = median(viaCopy);
        double medianPsql = median(psql);
        System.out.printf("median: copy() %,.0f rows/s, psql \\copy %,.0f rows/s, ratio copy()/psql = %.2f%n",
            medianSpark, medianPsql, medianSpark / medianPsql);
        store.runLog().fail(runId, "benchmark");
      }
    } finally {
      Files.deleteIfExists(csv);
      spark.stop();
    }
  }

  /** Rows shaped like the job's weekly lists: 25 per customer, a JSON reason, distinct products per customer. */
  static Dataset<Row> weeklyShaped(SparkSession spark, long rows, int partitions) {
    return spark.range(0, rows, 1, partitions)
        .select(
            lit("2011_W49").as("week"),
            concat(lit("C"), col("id").divide(25).cast(DataTypes.LongType).cast(DataTypes.StringType)).as("customer_id"),
            concat(lit("P"), col("id").mod(25).multiply(1000).plus(col("id").divide(25).cast(DataTypes.LongType).mod(1000))
                .cast(DataTypes.StringType)).as("product_id"),
            col("id").mod(25).plus(1).cast(DataTypes.IntegerType).as("rank"),
            lit(1.0).divide(col("id").mod(25).plus(1)).as("score"),
            when(col("id").mod(25).lt(15), lit("repurchase")).otherwise(lit("discovery")).as("source"),
            lit("REGULAR_EXPLORATORY").as("segment"),
            when(col("id").mod(25).lt(15), concat(lit("{\"times_bought\":"), col("id").mod(13).cast(DataTypes.StringType),
                lit(",\"last_bought\":\"2011-12-01\"}")))
                .otherwise(concat(lit("{\"neighbours\":"), col("id").mod(7).cast(DataTypes.StringType),
                    lit(",\"co_bought\":\"85123A\"}"))).as("reason"));
  }

  private static long writeCsv(Dataset<Row> weekly, String runId, Path csv) throws IOException {
    CopyPlan plan = CopyPlan.of("weekly_recommendations", weekly.schema(), List.of(
        new CopyPlan.TableColumn("run_id", "text", true), new CopyPlan.TableColumn("week", "text", false),
        new CopyPlan.TableColumn("customer_id", "text", true), new CopyPlan.TableColumn("product_id", "text", true),
        new CopyPlan.TableColumn("rank", "int4", true), new CopyPlan.TableColumn("score", "float8", false),
        new CopyPlan.TableColumn("source", "text", false), new CopyPlan.TableColumn("segment", "text", false),
        new CopyPlan.TableColumn("reason", "jsonb", false)));
    Kind[] kinds = plan.kinds();
    try (Writer w = new BufferedWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8), 1 << 16);
         CSVPrinter printer = new CSVPrinter(w, CopyEncoding.FORMAT)) {
      Iterator<Row> it = weekly.toLocalIterator();
      while (it.hasNext()) {
        CopyEncoding.printRow(printer, runId, it.next(), plan.fields(), kinds, ZoneId.of("UTC"));
      }
    }
    return Files.size(csv);
  }

  private static void psqlCopy(int port, Path csv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
        Integer.toString(port), "-U", "postgres", "-d", "postgres", "-c",
        "\\copy weekly_recommendations (run_id, week, customer_id, product_id, rank, score, source, segment, reason) "
        + "FROM '" + csv + "' WITH (FORMAT csv)")
        .inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("psql exited with " + p.exitValue());
    }
  }

  private static void truncate(PostgresTarget target) throws SQLException {
    try (Connection c = target.connect(); Statement st = c.createStatement()) {
      st.execute("TRUNCATE weekly_recommendations");
      st.execute("CHECKPOINT");
    }
  }

  private static long count(PostgresTarget target) throws SQLException {
    try (Connection c = target.connect(); Statement st = c.createStatement();
         java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM weekly_recommendations")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void check(long actual, long expected, String what) {
    if (actual != expected) {
      throw new IllegalStateException(what + " loaded " + actual + " rows, not " + expected);
    }
  }
}

package com.shoprec.jobs.model.signals;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.shoprec.jobs.config.JobSettings;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Cost and recall of {@link JaccardNeighbours} on a whole orders file, run by {@code bench/neighbours.sh}:
 * the default caps, a tighter buyer cap, and no caps at all (the baseline), each against the brute-force
 * top-K over all pairs. The input is read and cached before any timing; each run's wall time covers
 * {@code compute} and the counts it does (the output is materialised). A warm-up run on a tenth of the
 * customers goes first.
 *
 * <p>Arguments: {@code --input PATH [--partitions N]}.
 */
public final class JaccardNeighboursBench {

  private record Run(String name, JaccardNeighbours.Stats stats, double seconds, double recall, long inexact) {}

  private JaccardNeighboursBench() {}

  public static void main(String[] args) {
    String input = null;
    int partitions = 4;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--input" -> input = args[i + 1];
        case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (input == null) {
      throw new IllegalArgumentException("--input PATH is required");
    }
    SparkSession spark = SparkSession.builder().master("local[2]").appName("neighbours-bench")
        .config("spark.sql.shuffle.partitions", partitions)
        .config("spark.default.parallelism", partitions)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");

    Dataset<Row> orders = spark.read().option("header", true).csv(input).select("customer_id", "product_id").cache();
    System.err.printf("input: %d order lines%n", orders.count());
    JaccardNeighbours.Settings defaults = JobSettings.of(java.util.Map.of("shoprec.job.input.path", input)).neighbours();

    long w0 = System.nanoTime();
    JaccardNeighbours.compute(orders.where(pmod(xxhash64(col("customer_id"), lit(11)), lit(10)).equalTo(0)), defaults)
        .neighbours().unpersist();
    System.err.printf("warm-up on a tenth of the customers: %.1f s%n", seconds(w0));

    long b0 = System.nanoTime();
    Dataset<Row> all = JaccardNeighboursBruteForce.allPairs(orders, defaults.minSimilarity()).cache();
    long allCount = all.count();
    Dataset<Row> truth = JaccardNeighboursBruteForce.topK(all, defaults.topK()).cache();
    long truthCount = truth.count();
    double bruteSeconds = seconds(b0);
    System.err.printf("brute force: %d ordered pairs >= %s, %d true top-%d rows, %.1f s%n", allCount,
        defaults.minSimilarity(), truthCount, defaults.topK(), bruteSeconds);

    List<Run> runs = new ArrayList<>();
    runs.add(run(spark, orders, all, truth, "defaults", defaults));
    runs.add(run(spark, orders, all, truth, "cap 300, no budget", defaults.withCaps(300,
        defaults.maxProductsPerCustomer(), 0)));
    for (long budget : new long[] {1000, 500, 250}) {
      runs.add(run(spark, orders, all, truth, "budget " + budget + "/cust", defaults.withCaps(
          defaults.maxBuyersPerProduct(), defaults.maxProductsPerCustomer(), budget)));
    }
    runs.add(run(spark, orders, all, truth, "cap 100, no budget", defaults.withCaps(100,
        defaults.maxProductsPerCustomer(), 0)));
    runs.add(run(spark, orders, all, truth, "uncapped (baseline)", defaults.withCaps(Integer.MAX_VALUE,
        Integer.MAX_VALUE, 0)));

    Run base = runs.get(runs.size() - 1);
    long customers = base.stats().customers();
    System.out.printf("%nwhole file: %d customers, %d order lines, %d unordered pairs; top %d, J >= %s; local[2], "
            + "%d shuffle partitions%n", customers, orders.count(), customers * (customers - 1) / 2, defaults.topK(),
        defaults.minSimilarity(), partitions);
    System.out.printf("brute force (uncapped join-count over all pairs + top-K): %.1f s%n%n", bruteSeconds);
    System.out.printf("%-20s %8s %8s %8s %9s %11s %11s %9s %7s %8s %9s %8s %7s %7s%n", "run", "cap", "largest",
        "capped", "cust>cap", "joined", "candidates", "kept", "wall s", "cust/s", "recall", "inexact", "cand/x",
        "time/x");
    for (Run r : runs) {
      JaccardNeighbours.Stats s = r.stats();
      System.out.printf("%-20s %8s %8d %8d %9d %11d %11d %9d %7.1f %8.0f %9.4f %8d %7.3f %7.3f%n", r.name(),
          s.buyerCap() == Integer.MAX_VALUE ? "none" : Integer.toString(s.buyerCap()), s.largestDegree(),
          s.cappedProducts(), s.cappedCustomers(), s.joinedPairs(), s.candidatePairs(), s.keptPairs(), r.seconds(),
          s.customers() / r.seconds(), r.recall(), r.inexact(),
          (double) s.candidatePairs() / base.stats().candidatePairs(), r.seconds() / base.seconds());
    }
    spark.stop();
  }

  private static Run run(SparkSession spark, Dataset<Row> orders, Dataset<Row> all, Dataset<Row> truth, String name,
      JaccardNeighbours.Settings s) {
    long t0 = System.nanoTime();
    JaccardNeighbours.Result r = JaccardNeighbours.compute(orders, s);
    double secs = seconds(t0);
    JaccardNeighboursBruteForce.Recall recall = JaccardNeighboursBruteForce.recall(truth, r.neighbours(), s.topK());
    long inexact = JaccardNeighboursBruteForce.inexact(r.neighbours(), all);
    System.err.printf("%s: %s in %.1f s; recall %.4f (%d of %d), %d inexact%n", name, r.stats(), secs,
        recall.ratio(), recall.found(), recall.trueNeighbours(), inexact);
    r.neighbours().unpersist();
    return new Run(name, r.stats(), secs, recall.ratio(), inexact);
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}

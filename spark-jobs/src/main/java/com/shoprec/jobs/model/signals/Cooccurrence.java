package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.kernels.PackedSets;
import com.shoprec.jobs.model.kernels.InMemoryCooccurrence;
import com.shoprec.jobs.model.kernels.SlicedRows;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;


import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Products bought in the same order. For products a and b over N orders, with n(a) orders containing a
 * and n(a,b) containing both: support n(a,b)/N, confidence n(a,b)/n(a) (the chance an order with a also
 * has b), lift n(a,b)·N/(n(a)·n(b)), Jaccard n(a,b)/(n(a)+n(b)−n(a,b)).
 *
 * <p>A basket of more than {@code maxBasketSize} distinct products (a wholesale restock, not a choice of
 * things that go together) enters pair counting with a seeded sample of that many, so the cost of one
 * order is bounded; such baskets are counted. n(a) always counts every order. Pairs seen in fewer than
 * {@code minCoCount} orders are dropped; each product keeps its best {@code topK} partners by
 * {@code rankBy}. Output: product_id, other_product_id, co_count, support, confidence, lift, jaccard, rank.
 *
 * <p>The pairs are counted in memory ({@link InMemoryCooccurrence}) when the baskets, as numbers, fit in a
 * broadcast ({@link #MAX_BROADCAST_BYTES}, or an eighth of the driver's heap), else as rows: each basket joined
 * with itself and the pairs aggregated. Both give the same rows ({@code CooccurrenceCountingIT}).
 */
public final class Cooccurrence {

  /** How a product's partners are ranked. */
  public enum Rank { CONFIDENCE, LIFT, CO_COUNT, JACCARD }

  /** {@code shoprec.job.cooccurrence}. */
  public record Settings(int minCoCount, int topK, int maxBasketSize, Rank rankBy, long seed)
      implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.atLeast("min-co-count", 1), s.atLeast("top-k", 1), s.atLeast("max-basket-size", 2),
          s.oneOf(Rank.class, "rank-by"), s.getLong("seed"));
    }
  }


  private static final Logger LOG = LoggerFactory.getLogger(Cooccurrence.class);

  public record Stats(long orders, long cappedBaskets, long keptPairs) implements Serializable {}

  public record Result(Dataset<Row> pairs, Stats stats) {}

  private Cooccurrence() {}

  /** Largest basket tables counted in memory (also at most an eighth of the driver's heap). */
  static final long MAX_BROADCAST_BYTES = 512L << 20;

  /** How the pairs are counted: AUTO counts in memory when the baskets can be broadcast. */
  enum Counting { AUTO, IN_MEMORY, BY_JOINS }

  static final StructType PAIRS_SCHEMA = new StructType()
      .add("product_id", DataTypes.StringType)
      .add("other_product_id", DataTypes.StringType)
      .add("co_count", DataTypes.LongType, false)
      .add("support", DataTypes.DoubleType, false)
      .add("confidence", DataTypes.DoubleType, false)
      .add("lift", DataTypes.DoubleType, false)
      .add("jaccard", DataTypes.DoubleType, false)
      .add("rank", DataTypes.IntegerType, false);

  /**
   * {@code orderLines}: order_id, product_id (any other columns ignored; duplicates counted once). The pairs
   * (cached): {@link #PAIRS_SCHEMA}.
   */
  public static Result compute(Dataset<Row> orderLines, Cooccurrence.Settings s) {
    return compute(orderLines, s, Counting.AUTO);
  }

  /** {@link #compute(Dataset, Cooccurrence.Settings)} with the counting chosen (tests compare the two). */
  static Result compute(Dataset<Row> orderLines, Cooccurrence.Settings s, Counting counting) {
    long started = System.nanoTime();
    boolean inMemory = counting == Counting.IN_MEMORY;
    if (counting == Counting.AUTO) {
      // Two ints per distinct order line (the baskets and the inverted index), bounded by the order lines.
      long bytes = orderLines.count() * 2 * Integer.BYTES;
      inMemory = bytes <= Math.min(MAX_BROADCAST_BYTES, Runtime.getRuntime().maxMemory() / 8);
    }
    Result r = inMemory ? countInMemory(orderLines, s) : countByJoins(orderLines, s);
    LOG.info("co-occurrence: {} orders, {} baskets over {} products sampled, {} partner rows kept (min co-count {}, "
            + "top {}), counted {} in {} ms", r.stats().orders(), r.stats().cappedBaskets(), s.maxBasketSize(),
        r.stats().keptPairs(), s.minCoCount(), s.topK(), inMemory ? "in memory" : "by joins",
        (System.nanoTime() - started) / 1_000_000);
    return r;
  }

  /**
   * The baskets numbered and sampled on the driver (about 8 bytes per distinct order line while they are
   * collected, 4 once numbered), broadcast with their inverted index and counted by {@link InMemoryCooccurrence}
   * in slices of products ({@link SlicedRows#rows}).
   */
  private static Result countInMemory(Dataset<Row> orderLines, Cooccurrence.Settings s) {
    SparkSession spark = orderLines.sparkSession();
    List<Row> productRows = orderLines.select(col("product_id")).distinct()
        .select(col("product_id"), xxhash64(col("product_id")).as("item"),
            xxhash64(col("product_id"), lit(s.seed())).as("draw"))
        .orderBy("product_id")
        .collectAsList();
    int p = productRows.size();
    String[] names = new String[p];
    long[] hash = new long[p];
    long[] draw = new long[p];
    Integer[] byHash = new Integer[p];
    for (int a = 0; a < p; a++) {
      Row r = productRows.get(a);
      names[a] = r.getString(0);
      hash[a] = r.getLong(1);
      draw[a] = r.getLong(2);
      byHash[a] = a;
    }
    Arrays.sort(byHash, (x, y) -> Long.compare(hash[x], hash[y]));
    long[] sortedHashes = new long[p];
    for (int i = 0; i < p; i++) {
      sortedHashes[i] = hash[byHash[i]];
    }

    List<Row> basketRows = orderLines
        .select(xxhash64(col("order_id")).as("basket"), xxhash64(col("product_id")).as("item"))
        .groupBy("basket").agg(PackedSets.packUdf().apply(collect_set(col("item"))).as("items"))
        .select("items")
        .collectAsList();
    int baskets = basketRows.size();
    long[] productOrders = new long[p];
    int[][] sampled = new int[baskets][];
    long capped = 0;
    for (int k = 0; k < baskets; k++) {
      long[] items = PackedSets.unpack((byte[]) basketRows.get(k).get(0));
      int[] numbers = new int[items.length];
      for (int i = 0; i < items.length; i++) {
        numbers[i] = byHash[Arrays.binarySearch(sortedHashes, items[i])];
      }
      Arrays.sort(numbers);
      for (int a : numbers) {
        productOrders[a]++;
      }
      if (numbers.length > s.maxBasketSize()) {
        capped++;
      }
      sampled[k] = InMemoryCooccurrence.sample(numbers, s.maxBasketSize(), draw, hash);
    }
    basketRows = null;
    InMemoryCooccurrence.Tables tables = InMemoryCooccurrence.Tables.of(names, productOrders, baskets, sampled);
    sampled = null;

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<InMemoryCooccurrence.Tables> shared = jsc.broadcast(tables);
    int minCoCount = s.minCoCount();
    int topK = s.topK();
    Cooccurrence.Rank rankBy = s.rankBy();
    JavaRDD<Row> rows = SlicedRows.rows(jsc,
        (owned, slices) -> InMemoryCooccurrence.rows(shared.value(), owned, slices, minCoCount, topK, rankBy));
    Dataset<Row> pairs = spark.createDataFrame(rows, PAIRS_SCHEMA).cache();
    long kept = pairs.count();
    shared.unpersist();
    LOG.info("co-occurrence: counted in memory, {} baskets, {} products, tables of about {} MiB, {} tasks",
        baskets, p, tables.bytes() >> 20, rows.getNumPartitions());
    return new Result(pairs, new Stats(baskets, capped, kept));
  }

  /** Pairs as rows: each basket's sample joined with itself, the pairs counted by a hash aggregation. */
  private static Result countByJoins(Dataset<Row> orderLines, Cooccurrence.Settings s) {
    // Orders and products are keyed by their 64-bit hashes while pairs are counted: the self-join, the shuffle
    // and the count then work on longs, not strings (at 2 M order lines the string keys' hash lookups were most
    // of the model's time). Two ids with the same hash (odds about n²/2⁶⁵) would merge; the product ids are
    // joined back before the ranking, whose ties go to the smaller other_product_id as before.
    Dataset<Row> products = orderLines.select(col("product_id")).distinct()
        .select(xxhash64(col("product_id")).as("item"), col("product_id"));
    Dataset<Row> baskets = orderLines
        .select(xxhash64(col("order_id")).as("basket"), xxhash64(col("product_id")).as("item"),
            xxhash64(col("product_id"), lit(s.seed())).as("draw"))
        .distinct()
        .withColumn("basket_size", count(lit(1)).over(Window.partitionBy("basket")))
        .cache();
    long orders = baskets.select("basket").distinct().count();
    long capped = baskets.where(col("basket_size").gt(s.maxBasketSize())).select("basket").distinct().count();

    Dataset<Row> productOrders = baskets.groupBy("item").agg(count(lit(1)).as("n"));
    Dataset<Row> sampled = baskets
        .withColumn("pick", row_number().over(Window.partitionBy("basket").orderBy(col("draw"), col("item"))))
        .where(col("pick").leq(s.maxBasketSize()))
        .select("basket", "item");

    Dataset<Row> a = sampled.select(col("basket"), col("item").as("a"));
    Dataset<Row> b = sampled.select(col("basket").as("basket_b"), col("item").as("b"));
    Dataset<Row> upper = a.join(b, a.col("basket").equalTo(b.col("basket_b")).and(a.col("a").lt(b.col("b"))))
        .groupBy("a", "b").agg(count(lit(1)).as("co_count"))
        .where(col("co_count").geq(s.minCoCount()));
    Dataset<Row> both = upper.select(col("a").as("item"), col("b").as("other"), col("co_count"))
        .unionByName(upper.select(col("b").as("item"), col("a").as("other"), col("co_count")));

    Dataset<Row> na = productOrders.select(col("item").as("pa"), col("n").as("n_a"));
    Dataset<Row> nb = productOrders.select(col("item").as("pb"), col("n").as("n_b"));
    Dataset<Row> namesA = products.select(col("item").as("ia"), col("product_id"));
    Dataset<Row> namesB = products.select(col("item").as("ib"), col("product_id").as("other_product_id"));
    Column co = col("co_count").cast("double");
    Dataset<Row> measured = both
        .join(na, both.col("item").equalTo(na.col("pa")))
        .join(nb, both.col("other").equalTo(nb.col("pb")))
        .join(namesA, both.col("item").equalTo(namesA.col("ia")))
        .join(namesB, both.col("other").equalTo(namesB.col("ib")))
        .withColumn("support", co.divide(orders))
        .withColumn("confidence", co.divide(col("n_a")))
        .withColumn("lift", co.multiply(orders).divide(col("n_a").multiply(col("n_b"))))
        .withColumn("jaccard", co.divide(col("n_a").plus(col("n_b")).minus(col("co_count"))));
    Column rankBy = switch (s.rankBy()) {
      case CONFIDENCE -> col("confidence");
      case LIFT -> col("lift");
      case CO_COUNT -> col("co_count");
      case JACCARD -> col("jaccard");
    };
    Dataset<Row> pairs = measured
        .withColumn("rank", row_number().over(Window.partitionBy("product_id")
            .orderBy(rankBy.desc(), col("co_count").desc(), col("other_product_id"))))
        .where(col("rank").leq(s.topK()))
        .select(col("product_id"), col("other_product_id"), col("co_count"), col("support"), col("confidence"),
            col("lift"), col("jaccard"), col("rank").cast("int"))
        .cache();
    long kept = pairs.count();
    baskets.unpersist();
    return new Result(pairs, new Stats(orders, capped, kept));
  }
}

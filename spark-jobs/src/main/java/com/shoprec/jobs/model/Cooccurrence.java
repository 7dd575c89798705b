package com.shoprec.jobs.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import com.shoprec.jobs.config.JobSettings;
import java.io.Serializable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
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
 */
public final class Cooccurrence {

  private static final Logger LOG = LoggerFactory.getLogger(Cooccurrence.class);

  public record Stats(long orders, long cappedBaskets, long keptPairs) implements Serializable {}

  public record Result(Dataset<Row> pairs, Stats stats) {}

  private Cooccurrence() {}

  /** {@code orderLines}: order_id, product_id (any other columns ignored; duplicates counted once). */
  public static Result compute(Dataset<Row> orderLines, JobSettings.Cooccurrence s) {
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
    Stats stats = new Stats(orders, capped, kept);
    LOG.info("co-occurrence: {} orders, {} baskets over {} products sampled, {} partner rows kept (min co-count {}, top {})",
        orders, capped, s.maxBasketSize(), kept, s.minCoCount(), s.topK());
    return new Result(pairs, stats);
  }
}

package com.shoprec.jobs.model.signals;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * The reference for {@link JaccardNeighbours}: every pair of customers that shares a product, its
 * intersection counted by an uncapped join on the product id strings, so it shares neither the caps nor the
 * hashed merge with the job. Quadratic in the buyers of each product; for tests and the benchmark only.
 */
final class JaccardNeighboursBruteForce {

  /** Recall of the true top-K: true neighbours, how many were found, and the ratio. */
  record Recall(long trueNeighbours, long found) {
    double ratio() {
      return trueNeighbours == 0 ? 1.0 : (double) found / trueNeighbours;
    }
  }

  private JaccardNeighboursBruteForce() {}

  /**
   * Every ordered pair (both directions) with similarity ≥ minSimilarity: customer_id, similar_customer_id,
   * similarity, common_products (int). Counts |PA ∩ PB| for all pairs at once by joining the distinct
   * (customer, product) rows with themselves on the product, uncapped; pairs that share nothing have J = 0
   * and are below any threshold, so nothing above it is missed.
   */
  static Dataset<Row> allPairs(Dataset<Row> customerProducts, double minSimilarity) {
    Dataset<Row> owned = customerProducts
        .select(col("customer_id").cast("string").as("customer_id"), col("product_id").cast("string").as("product_id"))
        .where(col("customer_id").isNotNull().and(col("product_id").isNotNull()))
        .distinct();
    Dataset<Row> sizes = owned.groupBy("customer_id").agg(count(lit(1)).as("n"));
    Dataset<Row> a = owned.select(col("customer_id").as("a"), col("product_id"));
    Dataset<Row> b = owned.select(col("customer_id").as("b"), col("product_id").as("product_b"));
    Dataset<Row> na = sizes.select(col("customer_id").as("a"), col("n").as("na"));
    Dataset<Row> nb = sizes.select(col("customer_id").as("b"), col("n").as("nb"));
    Dataset<Row> upper = a.join(b, a.col("product_id").equalTo(b.col("product_b")).and(a.col("a").lt(b.col("b"))))
        .groupBy("a", "b").agg(count(lit(1)).cast("int").as("common"))
        .join(na, "a").join(nb, "b")
        .withColumn("similarity", col("common").cast("double")
            .divide(col("na").plus(col("nb")).minus(col("common")).cast("double")))
        .where(col("similarity").geq(minSimilarity))
        .select("a", "b", "similarity", "common");
    return upper.select(col("a").as("customer_id"), col("b").as("similar_customer_id"), col("similarity"),
            col("common").as("common_products"))
        .unionByName(upper.select(col("b").as("customer_id"), col("a").as("similar_customer_id"), col("similarity"),
            col("common").as("common_products")));
  }

  /** The true top-K of {@link #allPairs}, ranked like the job: similarity desc, then similar_customer_id. */
  static Dataset<Row> topK(Dataset<Row> allPairs, int k) {
    return allPairs.withColumn("rank", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("similarity").desc(), col("similar_customer_id"))))
        .where(col("rank").leq(k));
  }

  /**
   * How many of the true top-K neighbours the job found. A true neighbour counts as found when the job lists
   * it, or when it ties at the cut: its similarity equals the customer's true K-th similarity and the job's
   * list for that customer is full (K rows) down to that same similarity, filled with other neighbours as
   * similar.
   */
  static Recall recall(Dataset<Row> trueTopK, Dataset<Row> found, int k) {
    Dataset<Row> cutTrue = trueTopK.groupBy("customer_id")
        .agg(count(lit(1)).as("true_n"), min("similarity").as("true_kth"));
    Dataset<Row> cutFound = found.groupBy(col("customer_id").as("fc"))
        .agg(count(lit(1)).as("found_n"), min("similarity").as("found_kth"));
    Dataset<Row> f = found.select(col("customer_id").as("fa"), col("similar_customer_id").as("fb"), lit(1).as("hit"));
    Row r = trueTopK
        .join(f, trueTopK.col("customer_id").equalTo(f.col("fa"))
            .and(trueTopK.col("similar_customer_id").equalTo(f.col("fb"))), "left")
        .join(cutTrue, "customer_id")
        .join(cutFound, col("customer_id").equalTo(col("fc")), "left")
        .agg(count(lit(1)),
            sum(when(col("hit").isNotNull()
                .or(col("true_n").equalTo(k).and(col("similarity").equalTo(col("true_kth")))
                    .and(col("found_n").equalTo(k)).and(col("found_kth").equalTo(col("true_kth")))), 1).otherwise(0)))
        .first();
    return new Recall(r.getLong(0), r.isNullAt(1) ? 0 : r.getLong(1));
  }

  /**
   * Rows of the job's output whose similarity or common_products differ from the brute force (or that the
   * brute force does not have at all).
   */
  static long inexact(Dataset<Row> found, Dataset<Row> allPairs) {
    Dataset<Row> t = allPairs.select(col("customer_id").as("ta"), col("similar_customer_id").as("tb"),
        col("similarity").as("t_sim"), col("common_products").as("t_common"));
    return found.join(t, found.col("customer_id").equalTo(t.col("ta"))
            .and(found.col("similar_customer_id").equalTo(t.col("tb"))), "left")
        .where(col("ta").isNull().or(col("t_sim").notEqual(col("similarity")))
            .or(col("t_common").notEqual(col("common_products"))))
        .count();
  }
}

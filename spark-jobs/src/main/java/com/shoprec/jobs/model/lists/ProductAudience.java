package com.shoprec.jobs.model.lists;

import com.shoprec.jobs.model.Joins;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;


import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * For every product, the customers most likely to buy it next: ALS's best customers for the product and its
 * past buyers, scored {@code w × als + (1 − w) × repurchase}, each signal first divided by its best value
 * for the product (so both lie in [0, 1]). Output: product_id, customer_id, score, rank, reason
 * ({@code {"als":0.7123,"repurchase":0.5}}).
 */
public final class ProductAudience {

  /** {@code shoprec.job.audience}. */
  public record Settings(int topK, int alsCandidates, double alsWeight) implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.atLeast("top-k", 1), s.atLeast("als-candidates", 1), s.fraction("als-weight"));
    }
  }


  private ProductAudience() {}

  /**
   * @param alsForProducts product_id, customer_id, score
   * @param repurchase customer_id, product_id, score (every past purchase)
   */
  public static Dataset<Row> compute(Dataset<Row> alsForProducts, Dataset<Row> repurchase, ProductAudience.Settings s) {
    Dataset<Row> als = scaled(alsForProducts.select(col("product_id"), col("customer_id"), col("score")), "als");
    Dataset<Row> rep = scaled(repurchase.select(col("product_id"), col("customer_id"), col("score")), "repurchase");
    Column score = coalesce(col("als"), lit(0.0)).multiply(s.alsWeight())
        .plus(coalesce(col("repurchase"), lit(0.0)).multiply(1 - s.alsWeight()));
    return Joins.outer(als, rep, "product_id", "customer_id")
        .withColumn("score", score)
        .withColumn("rank", row_number().over(Window.partitionBy("product_id")
            .orderBy(col("score").desc(), col("customer_id"))))
        .where(col("rank").leq(s.topK()))
        .select(col("product_id"), col("customer_id"), col("score"), col("rank").cast("int"),
            format_string("{\"als\":%s,\"repurchase\":%s}", round(coalesce(col("als"), lit(0.0)), 4),
                round(coalesce(col("repurchase"), lit(0.0)), 4)).as("reason"));
  }

  private static Dataset<Row> scaled(Dataset<Row> scores, String name) {
    return scores.withColumn(name, col("score").divide(max("score").over(Window.partitionBy("product_id"))))
        .select("product_id", "customer_id", name);
  }
}

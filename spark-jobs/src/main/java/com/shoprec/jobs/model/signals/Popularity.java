package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.model.kernels.Sums;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;

import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.input.CustomerAttributes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Time-decayed popularity for cold start and for filling short lists: each order containing a product
 * adds {@code 2^(−age/halfLife)}; only orders within the window count. Scores are divided by the top
 * product's, so the first of every list scores 1. Lists: overall ({@code all}), per segment
 * ({@code segment:HEAVY}, …), with a product catalog per category ({@code category:Gifts}, …), and with a
 * customers file per value of each customer attribute ({@code gender:F}, {@code age_band:25-34}, …).
 */
public final class Popularity {

  /** {@code shoprec.job.popularity}. */
  public record Settings(double halfLifeDays, int windowDays, int listSize) implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.positive("half-life-days"), s.atLeast("window-days", 1), s.atLeast("list-size", 1));
    }
  }


  private Popularity() {}

  /**
   * {@code orderLines} from {@link BaseTables}; {@code segments}: customer_id, segment.
   * Output: scope, product_id, rank, score, orders, customers — the top {@code listSize} per scope.
   */
  public static Dataset<Row> compute(Dataset<Row> orderLines, Dataset<Row> segments, double halfLifeDays,
      int windowDays, int listSize) {
    return compute(orderLines, segments, null, null, halfLifeDays, windowDays, listSize);
  }

  /**
   * As above, plus a list per category of {@code catalog} (product_id, category; rows without a category
   * ignored), when not null, and a list per value of each customer attribute of {@code customerAttributes}
   * (customer_id and the {@link CustomerAttributes#ATTRIBUTES}; scope {@code gender:F}, …), when not null: the
   * products most bought by the customers with that value.
   */
  public static Dataset<Row> compute(Dataset<Row> orderLines, Dataset<Row> segments, Dataset<Row> catalog,
      Dataset<Row> customerAttributes, double halfLifeDays, int windowDays, int listSize) {
    Dataset<Row> recent = orderLines.where(col("age_days").lt(windowDays))
        .withColumn("weight", BaseTables.decay(col("age_days"), halfLifeDays));
    Dataset<Row> all = recent.withColumn("scope", lit(RedisKeys.PopularScope.all()));
    Dataset<Row> bySegment = recent.join(segments.select("customer_id", "segment"), "customer_id")
        .withColumn("scope", concat(lit(RedisKeys.PopularScope.segment("")), col("segment")))
        .drop("segment");
    Dataset<Row> scoped = all.unionByName(bySegment);
    if (catalog != null) {
      scoped = scoped.unionByName(recent.join(catalog.select("product_id", "category")
              .where(col("category").isNotNull()), "product_id")
          .withColumn("scope", concat(lit(RedisKeys.PopularScope.category("")), col("category")))
          .drop("category"));
    }
    if (customerAttributes != null) {
      for (String attribute : CustomerAttributes.ATTRIBUTES) {
        scoped = scoped.unionByName(recent.join(customerAttributes.select(col("customer_id"), col(attribute).as("value"))
                .where(col("value").isNotNull()), "customer_id")
            .withColumn("scope", concat(lit(RedisKeys.PopularScope.attribute(attribute, "")), col("value")))
            .drop("value"));
      }
    }
    Dataset<Row> counted = scoped
        .groupBy("scope", "product_id")
        .agg(Sums.orderFree(col("weight")).as("raw_score"), count(lit(1)).as("orders"), countDistinct("customer_id").as("customers"));
    return counted
        .withColumn("rank", row_number().over(Window.partitionBy("scope")
            .orderBy(col("raw_score").desc(), col("product_id"))))
        .where(col("rank").leq(listSize))
        .withColumn("score", col("raw_score").divide(max("raw_score").over(Window.partitionBy("scope"))))
        .select(col("scope"), col("product_id"), col("rank").cast("int"), col("score"), col("orders"), col("customers"));
  }
}

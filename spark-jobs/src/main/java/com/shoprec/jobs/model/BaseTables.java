package com.shoprec.jobs.model;

import com.shoprec.jobs.model.kernels.Sums;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.unix_timestamp;
import static org.apache.spark.sql.functions.when;

import com.shoprec.jobs.config.JobSettings;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The cached tables every model reads, built once from the valid history.
 *
 * <ul>
 *   <li>{@code orderLines}: one row per (customer, product, order): {@code ts} (earliest line),
 *       {@code quantity} (summed), {@code age_days} before as-of. Duplicate lines of an order count once.
 *   <li>{@code customerProducts}: per (customer, product): {@code times_bought} (orders), {@code quantity},
 *       {@code first_ts}, {@code last_ts}, {@code days_since_last}, {@code interval_days} (usual days
 *       between orders of it, null when bought once) and {@code decayed_frequency}.
 *   <li>{@code customers}: per customer: {@code orders}, {@code products}, {@code first_order_at},
 *       {@code last_order_at}, {@code new_product_share} (share of the recent window's products that were
 *       new to the customer), {@code active}, {@code revenue} (quantity × price summed; null without prices) and
 *       {@code priced_orders} (orders with a price).
 * </ul>
 */
public record BaseTables(Dataset<Row> orderLines, Dataset<Row> customerProducts, Dataset<Row> customers) {

  private static final double SECONDS_PER_DAY = 86_400.0;

  /** {@code history}: valid orders before as-of (order_id, customer_id, product_id, ts, quantity, price). */
  public static BaseTables build(Dataset<Row> history, RunWindow window, JobSettings settings) {
    Column ageDays = unix_timestamp(lit(window.asOfStart())).minus(unix_timestamp(col("ts"))).divide(SECONDS_PER_DAY);
    Dataset<Row> orderLines = history
        .groupBy("customer_id", "product_id", "order_id")
        .agg(min("ts").as("ts"), sum("quantity").as("quantity"))
        .withColumn("age_days", ageDays);

    double halfLife = settings.repurchase().halfLifeDays();
    Dataset<Row> customerProducts = orderLines
        .groupBy("customer_id", "product_id")
        .agg(count(lit(1)).as("times_bought"),
            sum("quantity").as("quantity"),
            min("ts").as("first_ts"),
            max("ts").as("last_ts"),
            Sums.orderFree(decay(col("age_days"), halfLife)).as("decayed_frequency"),
            min("age_days").as("days_since_last"))
        .withColumn("interval_days", when(col("times_bought").gt(1),
            unix_timestamp(col("last_ts")).minus(unix_timestamp(col("first_ts")))
                .divide(SECONDS_PER_DAY).divide(col("times_bought").minus(1))));

    java.sql.Timestamp recentStart = window.daysBefore(settings.segments().recentDays());
    Dataset<Row> customers = customerProducts
        .groupBy("customer_id")
        .agg(count(lit(1)).as("products"),
            min("first_ts").as("first_order_at"),
            max("last_ts").as("last_order_at"),
            sum(when(col("last_ts").geq(lit(recentStart)), 1).otherwise(0)).as("recent_products"),
            sum(when(col("first_ts").geq(lit(recentStart)), 1).otherwise(0)).as("new_recent_products"))
        .join(history.groupBy("customer_id").agg(countDistinct("order_id").as("orders"),
            sum(col("quantity").multiply(col("price"))).as("revenue"),
            countDistinct(when(col("price").isNotNull(), col("order_id"))).as("priced_orders")), "customer_id")
        .withColumn("new_product_share", when(col("recent_products").gt(0),
            col("new_recent_products").divide(col("recent_products"))).otherwise(lit(0.0)))
        .withColumn("active", col("last_order_at").geq(lit(window.activeSince())))
        .drop("recent_products", "new_recent_products");

    return new BaseTables(orderLines, customerProducts, customers);
  }

  /** {@code 2^(-age/halfLife)}: a purchase {@code halfLife} days old weighs half of one made today. */
  public static Column decay(Column ageDays, double halfLifeDays) {
    return exp(ageDays.multiply(-Math.log(2) / halfLifeDays));
  }

  public BaseTables cache() {
    return new BaseTables(orderLines.cache(), customerProducts.cache(), customers.cache());
  }

  public void unpersist() {
    orderLines.unpersist();
    customerProducts.unpersist();
    customers.unpersist();
  }
}

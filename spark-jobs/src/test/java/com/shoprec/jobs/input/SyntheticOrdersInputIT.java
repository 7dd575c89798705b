package com.shoprec.jobs.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.testkit.SyntheticOrders;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The synthetic orders the scale benchmark runs on are read by the job's default configuration with zero
 * rejects: 20,000 generated lines (seed 11), every one used, with the generator's own counts of orders,
 * customers and products.
 */
class SyntheticOrdersInputIT extends SparkTestBase {

  @Test
  void everyGeneratedLineIsUsed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("orders.csv.gz");
    SyntheticOrders.Summary generated = SyntheticOrders.write(file, 20_000, 11);
    JobSettings settings = JobSettings.of(Map.of("shoprec.job.input.path", file.toString()));
    Dataset<Row> classified = OrderValidation.applyAsOf(
        OrderValidation.classify(OrdersReader.read(spark, settings.input()), settings.input()),
        Timestamp.valueOf("2025-01-01 00:00:00")).cache();

    assertEquals(20_000L, classified.count());
    assertEquals(0L, classified.where(col(OrderValidation.REASON).isNotNull()).count(),
        () -> "rejected: " + classified.where(col(OrderValidation.REASON).isNotNull()).limit(5).collectAsList());
    Row distinct = classified.agg(countDistinct("order_id"), countDistinct("customer_id"),
        countDistinct("product_id")).first();
    assertEquals(generated.orders(), distinct.getLong(0));
    assertEquals(generated.customers(), distinct.getLong(1));
    assertEquals(generated.products(), distinct.getLong(2));
    classified.unpersist();
  }
}

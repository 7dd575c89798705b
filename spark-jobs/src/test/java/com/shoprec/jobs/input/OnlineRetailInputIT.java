package com.shoprec.jobs.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shoprec.jobs.SharedData;
import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.sql.Timestamp;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The whole shared file: 397,924 lines, all with a customer and a positive quantity (see SOURCE.md), of
 * which 1,554 carry non-merchandise codes (POST 1,099, M 290, C2 133, DOT 16, BANK CHARGES 12, PADS 4),
 * which the default configuration rejects as excluded_product. Nothing else is rejected, and the default
 * as-of (the day after the last order, 2011-12-10) leaves no order after it.
 */
class OnlineRetailInputIT extends SparkTestBase {

  @Test
  void everyLineIsUsedOrRejectedWithItsReason() {
    JobSettings settings = JobSettings.of(Map.of("shoprec.job.input.path", SharedData.onlineRetail().toString()));
    Dataset<Row> typed = OrderValidation.classify(OrdersReader.read(spark, settings.input()), settings.input()).cache();
    Timestamp last = typed.where(col(OrderValidation.REASON).isNull()).agg(max("ts")).first().getTimestamp(0);
    assertEquals(Timestamp.valueOf("2011-12-09 12:50:00"), last);

    Dataset<Row> classified = OrderValidation.applyAsOf(typed, Timestamp.valueOf("2011-12-10 00:00:00"));
    Map<String, Long> reasons = new TreeMap<>();
    for (Row r : classified.groupBy(OrderValidation.REASON).count().collectAsList()) {
      reasons.put(r.isNullAt(0) ? "used" : r.getString(0), r.getLong(1));
    }
    assertEquals(Map.of("used", 396_370L, "excluded_product", 1_554L), reasons);
    assertEquals(397_924L, classified.count());
    assertEquals(4_339L, classified.where(col(OrderValidation.REASON).isNull()).select("customer_id").distinct().count()
        + classified.where(col(OrderValidation.REASON).isNotNull())
            .select("customer_id").except(classified.where(col(OrderValidation.REASON).isNull()).select("customer_id"))
            .count());
    typed.unpersist();
  }
}

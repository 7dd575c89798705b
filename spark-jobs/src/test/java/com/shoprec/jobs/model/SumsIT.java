package com.shoprec.jobs.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.shoprec.jobs.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The same three terms in two orders, each in one partition so that Spark adds them in that order:
 * {@code 0.1 + 0.2 + 0.3 = 0.6000000000000001} but {@code 0.3 + 0.2 + 0.1 = 0.6}.
 */
class SumsIT extends SparkTestBase {

  private Dataset<Row> terms(double... values) {
    StructType schema = new StructType().add("k", DataTypes.StringType).add("x", DataTypes.DoubleType);
    List<Row> rows = java.util.Arrays.stream(values).mapToObj(v -> RowFactory.create("a", v)).toList();
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  private static double total(Dataset<Row> terms, org.apache.spark.sql.Column aggregate) {
    return terms.groupBy("k").agg(aggregate.as("s")).first().getDouble(1);
  }

  @Test
  void theOrderOfTheTermsDoesNotChangeTheTotal() {
    Dataset<Row> forward = terms(0.1, 0.2, 0.3);
    Dataset<Row> backward = terms(0.3, 0.2, 0.1);
    // what a plain sum does: the reason for Sums
    assertNotEquals(total(forward, sum(col("x"))), total(backward, sum(col("x"))));
    assertEquals(0.6, total(forward, Sums.orderFree(col("x"))));
    assertEquals(0.6, total(backward, Sums.orderFree(col("x"))));
  }
}

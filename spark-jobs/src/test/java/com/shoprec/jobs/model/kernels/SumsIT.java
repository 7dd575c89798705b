package com.shoprec.jobs.model.kernels;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * {@link Sums#orderFree}: the same terms in two orders, each order in one partition so that Spark adds them in
 * that order, give the same total, where a plain sum does not: {@code 0.1 + 0.2 + 0.3 = 0.6000000000000001} but
 * {@code 0.3 + 0.2 + 0.1 = 0.6}.
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
    double a = total(forward, Sums.orderFree(col("x")));
    assertEquals(a, total(backward, Sums.orderFree(col("x"))));
    assertEquals(0.6, a, 1e-15);
  }

  @Test
  void manyTermsAndLargeWholePartsStayExactAndOrderFree() {
    java.util.Random random = new java.util.Random(7);
    double[] values = new double[20_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = i % 100 == 0 ? 1e6 * random.nextDouble() : random.nextDouble();
    }
    double[] reversed = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      reversed[i] = values[values.length - 1 - i];
    }
    java.math.BigDecimal exact = java.math.BigDecimal.ZERO;
    for (double v : values) {
      exact = exact.add(new java.math.BigDecimal(v));
    }
    double forward = total(terms(values), Sums.orderFree(col("x")));
    assertEquals(forward, total(terms(reversed), Sums.orderFree(col("x"))));
    // each term is rounded to 2^-50: the total is within 20,000 half-units of the exact sum
    assertEquals(exact.doubleValue(), forward, 20_000 * Math.scalb(1.0, -51) + Math.ulp(forward));
  }

  @Test
  void nullTermsAreSkippedAndAllNullsGiveNull() {
    StructType schema = new StructType().add("k", DataTypes.StringType).add("x", DataTypes.DoubleType);
    Dataset<Row> rows = spark.createDataFrame(List.of(RowFactory.create("a", 0.25), RowFactory.create("a", null),
        RowFactory.create("b", null)), schema);
    List<Row> totals = rows.groupBy("k").agg(Sums.orderFree(col("x")).as("s")).orderBy("k").collectAsList();
    assertEquals(0.25, totals.get(0).getDouble(1));
    assertTrue(totals.get(1).isNullAt(1));
  }
}

package com.shoprec.jobs.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** One literal row per rejection reason, each named by its order id, plus valid rows. */
class OrderValidationIT extends SparkTestBase {

  private static final String TS = "2011-12-01T10:00:00";

  @Test
  void everyRowIsUsedOrGetsTheFirstReasonThatApplies() {
    List<Row> rows = new ArrayList<>();
    Map<String, String> expected = new LinkedHashMap<>();
    add(rows, expected, "ok", "c1", "p1", TS, "2", "1.5", false, null);
    add(rows, expected, "ok-default-qty", "c1", "p1", TS, "", "1.5", false, null);
    add(rows, expected, "ok-trimmed", " c1 ", " p2 ", " " + TS + " ", " 3 ", "", false, null);
    add(rows, expected, "ok-zero-price", "c1", "p1", TS, "1", "0", false, null);
    add(rows, expected, "malformed", "c1", "p1", TS, "1", "1", true, "malformed_line");
    add(rows, expected, "", "c1", "p1", TS, "1", "1", false, "missing_order_id");
    add(rows, expected, "no-customer", "", "p1", TS, "1", "1", false, "missing_customer_id");
    add(rows, expected, "ctrl-customer", "c\u0001", "p1", TS, "1", "1", false, "invalid_customer_id");
    add(rows, expected, "no-product", "c1", null, TS, "1", "1", false, "missing_product_id");
    add(rows, expected, "long-product", "c1", "p".repeat(129), TS, "1", "1", false, "invalid_product_id");
    add(rows, expected, "postage", "c1", "POST", TS, "1", "1", false, "excluded_product");
    add(rows, expected, "no-ts", "c1", "p1", "", "1", "1", false, "missing_ts");
    add(rows, expected, "bad-ts", "c1", "p1", "01/12/2011 10:00", "1", "1", false, "unparseable_ts");
    add(rows, expected, "bad-qty", "c1", "p1", TS, "six", "1", false, "unparseable_quantity");
    add(rows, expected, "nan-qty", "c1", "p1", TS, "NaN", "1", false, "unparseable_quantity");
    add(rows, expected, "return", "c1", "p1", TS, "-1", "1", false, "non_positive_quantity");
    add(rows, expected, "zero-qty", "c1", "p1", TS, "0", "1", false, "non_positive_quantity");
    add(rows, expected, "bad-price", "c1", "p1", TS, "1", "£1", false, "unparseable_price");
    add(rows, expected, "neg-price", "c1", "p1", TS, "1", "-0.5", false, "negative_price");
    add(rows, expected, "future", "c1", "p1", "2011-12-10T00:00:00", "1", "1", false, "after_as_of");
    add(rows, expected, "postage-future", "c1", "POST", "2011-12-11T00:00:00", "1", "1", false, "excluded_product");

    InputSettings input = JobSettings.of(Map.of("shoprec.job.input.path", "x")).input();
    Dataset<Row> classified = OrderValidation.applyAsOf(
        OrderValidation.classify(spark.createDataFrame(rows, OrdersReader.rawSchema()), input),
        Timestamp.from(Instant.parse("2011-12-10T00:00:00Z")));

    Map<String, String> actual = new LinkedHashMap<>();
    for (Row r : classified.select(OrdersReader.ORDER_ID, OrderValidation.REASON).collectAsList()) {
      actual.put(r.getString(0), r.getString(1));
    }
    assertEquals(expected, actual);

    Row trimmed = classified.where("order_id = 'ok-trimmed'").first();
    assertEquals("c1", trimmed.getAs("customer_id"));
    assertEquals("p2", trimmed.getAs("product_id"));
    assertEquals(3.0, (double) trimmed.getAs("quantity"));
    assertNull(trimmed.getAs("price"));
    assertEquals(1.0, (double) classified.where("order_id = 'ok-default-qty'").first().getAs("quantity"));
  }

  private static void add(List<Row> rows, Map<String, String> expected, String orderId, String customer,
      String product, String ts, String qty, String price, boolean malformed, String reason) {
    rows.add(RowFactory.create(orderId, customer, product, ts, qty, price,
        String.join(",", orderId, String.valueOf(customer), String.valueOf(product), ts, qty, price), malformed));
    expected.put(orderId.trim(), reason);
  }
}

package com.shoprec.jobs.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.to_timestamp;

import java.sql.Date;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * The two evaluation protocols. A basket is the distinct products of one {@code order_id}; a customer's
 * baskets are ordered by their earliest {@code ts}, then by {@code order_id}. Input orders need
 * order_id, customer_id, product_id and ts (a timestamp); no row is dropped or cleaned here.
 */
public final class Splits {

  public static final String LAST_BASKET = "last-basket";
  public static final String TIME_SPLIT = "time-split";
  /** Customers evaluated by {@code last-basket}: 3 to 50 baskets, the usual next-basket filter. */
  public static final int DEFAULT_MIN_BASKETS = 3;
  public static final int DEFAULT_MAX_BASKETS = 50;
  /** Length of the {@code time-split} test period: one weekly refresh. */
  public static final int DEFAULT_TEST_DAYS = 7;

  private static final List<String> REQUIRED = List.of("order_id", "customer_id", "product_id", "ts");

  private Splits() {}

  /**
   * {@code last-basket}: customers with {@code minBaskets} to {@code maxBaskets} baskets (both included);
   * each one's last basket is the test basket, its earlier baskets are the history. Other customers'
   * orders are in neither table.
   */
  public static Split lastBasket(Dataset<Row> orders, int minBaskets, int maxBaskets) {
    checkColumns(orders);
    if (minBaskets < 2 || maxBaskets < minBaskets) {
      throw new IllegalArgumentException("need 2 <= minBaskets <= maxBaskets, got " + minBaskets + ", " + maxBaskets);
    }
    Dataset<Row> baskets = baskets(orders)
        .withColumn("baskets", count(lit(1)).over(Window.partitionBy("customer_id")))
        .where(col("baskets").between(minBaskets, maxBaskets));
    Dataset<Row> historyBaskets = baskets.where(col("basket_no").lt(col("baskets"))).select("customer_id", "order_id");
    Dataset<Row> testBaskets = baskets.where(col("basket_no").equalTo(col("baskets"))).select("customer_id", "order_id");
    Column[] inputColumns = Arrays.stream(orders.columns()).map(c -> orders.col(c)).toArray(Column[]::new);
    Dataset<Row> history = orders.join(historyBaskets, Cols.seq("customer_id", "order_id"), "left_semi")
        .select(inputColumns);
    Dataset<Row> test = orders.join(testBaskets, Cols.seq("customer_id", "order_id"), "left_semi")
        .select("customer_id", "product_id").distinct();
    Dataset<Row> customers = testBaskets.select("customer_id").distinct();
    Row last = history.agg(max(to_date(col("ts")))).first();
    LocalDate cutoff = last.isNullAt(0) ? null : ((Date) last.get(0)).toLocalDate().plusDays(1);
    return new Split(history, test, customers, LAST_BASKET, cutoff);
  }

  /**
   * {@code time-split}: history = every order before day {@code t} (00:00 in the session time zone), test =
   * the orders of the {@code days} days from {@code t}; evaluated customers have at least one order in each.
   * {@code t == null} means {@link #defaultTimeSplitDate}.
   */
  public static Split timeSplit(Dataset<Row> orders, LocalDate t, int days) {
    checkColumns(orders);
    if (days < 1) {
      throw new IllegalArgumentException("test period must be at least one day, got " + days);
    }
    LocalDate start = t != null ? t : defaultTimeSplitDate(orders, days);
    Dataset<Row> history = orders.where(col("ts").lt(to_timestamp(lit(start.toString()))));
    Dataset<Row> testLines = orders.where(col("ts").geq(to_timestamp(lit(start.toString())))
        .and(col("ts").lt(to_timestamp(lit(start.plusDays(days).toString())))));
    Dataset<Row> customers = testLines.select("customer_id").distinct()
        .join(history.select("customer_id").distinct(), "customer_id");
    Dataset<Row> test = testLines.select("customer_id", "product_id").distinct()
        .join(customers, Cols.seq("customer_id"), "left_semi");
    return new Split(history, test, customers, TIME_SPLIT, start);
  }

  /**
   * The first days of {@code weeks} consecutive test periods of {@code days} days each, the last one starting
   * on {@code last}: oldest first, {@code days} apart, so that no two test periods overlap.
   */
  public static List<LocalDate> weeklyCutoffs(LocalDate last, int weeks, int days) {
    if (weeks < 1 || days < 1) {
      throw new IllegalArgumentException("need at least one period of at least one day, got " + weeks + " of " + days);
    }
    List<LocalDate> cutoffs = new java.util.ArrayList<>(weeks);
    for (int w = weeks - 1; w >= 0; w--) {
      cutoffs.add(last.minusDays((long) days * w));
    }
    return cutoffs;
  }

  /** T such that the test period ends at the day after the last order: that day minus {@code days}. */
  public static LocalDate defaultTimeSplitDate(Dataset<Row> orders, int days) {
    Row last = orders.agg(max(to_date(col("ts")))).first();
    if (last.isNullAt(0)) {
      throw new IllegalArgumentException("no order has a timestamp: cannot place the time split");
    }
    return ((Date) last.get(0)).toLocalDate().plusDays(1).minusDays(days);
  }

  /** One row per basket: customer_id, order_id, basket_ts (earliest ts), basket_no (1-based, in time order). */
  static Dataset<Row> baskets(Dataset<Row> orders) {
    return orders.groupBy("customer_id", "order_id").agg(min("ts").as("basket_ts"))
        .withColumn("basket_no", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("basket_ts").asc_nulls_last(), col("order_id"))));
  }

  private static void checkColumns(Dataset<Row> orders) {
    List<String> present = Arrays.asList(orders.columns());
    for (String name : REQUIRED) {
      if (!present.contains(name)) {
        throw new IllegalArgumentException("orders lack column '" + name + "' (have " + present + ")");
      }
    }
    if (!orders.schema().apply("ts").dataType().equals(DataTypes.TimestampType)) {
      throw new IllegalArgumentException("orders.ts must be a timestamp, is " + orders.schema().apply("ts").dataType());
    }
  }
}

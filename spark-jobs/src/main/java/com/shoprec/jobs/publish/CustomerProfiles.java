package com.shoprec.jobs.publish;

import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.model.Joins;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * One profile per customer with history ({@code customer_profile:{run}:{customer_id}}): segment, orders, distinct
 * products, first and last order, days since the last (as of the run), average basket value, top categories (with
 * a catalog), and whether the run made a personal list. Every customer of the history gets one, active or not, so
 * that a store front can tell a lapsed customer (no personal list: the fallback answers) from an unknown one (404).
 */
public final class CustomerProfiles {

  /** Categories kept per customer, best first. */
  public static final int TOP_CATEGORIES = 3;

  private static final double SECONDS_PER_DAY = 86_400.0;

  private CustomerProfiles() {}

  /**
   * The profiles' Redis values (key, value).
   *
   * @param customers the base tables' customers (customer_id, orders, products, first_order_at, last_order_at,
   *     revenue, priced_orders)
   * @param segments customer_id, segment
   * @param lists customer_id of every customer with a personal list
   * @param topCategories customer_id, top_categories ({@link #topCategories}); null without a catalog
   * @param asOf the run's as-of instant: days since the last order count from it
   */
  public static Dataset<Row> payloads(Dataset<Row> customers, Dataset<Row> segments, Dataset<Row> lists,
      Dataset<Row> topCategories, Timestamp asOf, RedisPayloads.RunStamp stamp) {
    Dataset<Row> rows = customers.select("customer_id", "orders", "products", "first_order_at", "last_order_at",
        "revenue", "priced_orders");
    rows = Joins.left(rows, segments.select("customer_id", "segment"), "customer_id");
    rows = Joins.left(rows, lists.select(col("customer_id"), lit(true).as("has_list")), "customer_id");
    if (topCategories == null) {
      rows = rows.withColumn("top_categories", lit(null).cast(DataTypes.createArrayType(CATEGORY)));
    } else {
      // Renamed: derived from the same base tables as the customers, the two would share the column's identity
      // and Spark could not tell the join's sides apart.
      Dataset<Row> top = topCategories.select(col("customer_id").as("top_customer_id"), col("top_categories"));
      rows = rows.join(top, rows.col("customer_id").equalTo(top.col("top_customer_id")), "left")
          .drop("top_customer_id");
    }
    return rows.select("customer_id", "segment", "orders", "products", "first_order_at", "last_order_at",
            "revenue", "priced_orders", "has_list", "top_categories")
        .mapPartitions(new ProfilePayloadFn(stamp, asOf.getTime() / 1000), Encoders.row(RedisPayloads.KEY_VALUE));
  }

  private static final org.apache.spark.sql.types.StructType CATEGORY = new org.apache.spark.sql.types.StructType()
      .add("r", DataTypes.IntegerType, false)
      .add("category", DataTypes.StringType, false)
      .add("products", DataTypes.LongType, false)
      .add("orders", DataTypes.LongType, false);

  /**
   * Each customer's {@value #TOP_CATEGORIES} categories with the most orders of their products (then the most
   * distinct products, then by name): customer_id, top_categories (array of r, category, products, orders).
   *
   * @param customerProducts customer_id, product_id, times_bought
   * @param catalog product_id, category
   */
  public static Dataset<Row> topCategories(Dataset<Row> customerProducts, Dataset<Row> catalog) {
    Dataset<Row> perCategory = customerProducts.select("customer_id", "product_id", "times_bought")
        .join(catalog.where(col("category").isNotNull()).select("product_id", "category"), "product_id")
        .groupBy("customer_id", "category")
        .agg(count(lit(1)).as("products"), sum("times_bought").as("orders"));
    return perCategory
        .withColumn("r", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("orders").desc(), col("products").desc(), col("category"))))
        .where(col("r").leq(TOP_CATEGORIES))
        .groupBy("customer_id")
        .agg(array_sort(collect_list(struct(col("r"), col("category"), col("products"), col("orders"))))
            .as("top_categories"));
  }

  /** Whole days from {@code last} to {@code asOf}, 0 for an order on the as-of day or later. */
  static int daysBetween(long lastEpochSecond, long asOfEpochSecond) {
    return (int) Math.max(0, Math.floor((asOfEpochSecond - lastEpochSecond) / SECONDS_PER_DAY));
  }

  /** Revenue per priced order, rounded to cents; null when no order had a price. */
  static Double averageBasketValue(Double revenue, long pricedOrders) {
    if (revenue == null || pricedOrders <= 0) {
      return null;
    }
    return Math.round(revenue / pricedOrders * 100) / 100.0;
  }

  /** Executor side: one writer per partition, one key and payload per customer. */
  static final class ProfilePayloadFn implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final RedisPayloads.RunStamp stamp;
    private final long asOfEpochSecond;

    ProfilePayloadFn(RedisPayloads.RunStamp stamp, long asOfEpochSecond) {
      this.stamp = stamp;
      this.asOfEpochSecond = asOfEpochSecond;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> customers) {
      PayloadWriter writer = new PayloadWriter();
      RedisKeys keys = stamp.keys();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return customers.hasNext();
        }

        @Override
        public Row next() {
          Row r = customers.next();
          String customer = r.getString(0);
          Instant first = r.getTimestamp(4).toInstant();
          Instant last = r.getTimestamp(5).toInstant();
          List<PayloadWriter.CategoryShare> top = new ArrayList<>();
          if (!r.isNullAt(9)) {
            for (Row c : r.<Row>getList(9)) {
              top.add(new PayloadWriter.CategoryShare(c.getString(1), (int) c.getLong(2), (int) c.getLong(3)));
            }
          }
          PayloadWriter.Profile p = new PayloadWriter.Profile(customer, r.isNullAt(1) ? null : r.getString(1),
              (int) ((Number) r.get(2)).longValue(), (int) ((Number) r.get(3)).longValue(), first, last,
              daysBetween(last.getEpochSecond(), asOfEpochSecond),
              averageBasketValue(r.isNullAt(6) ? null : r.getDouble(6), r.getLong(7)),
              top, !r.isNullAt(8) && r.getBoolean(8));
          byte[] value = writer.customerProfile(p, stamp.week(), stamp.generatedAt());
          return RowFactory.create(keys.payload(PayloadKind.CUSTOMER_PROFILE, stamp.runId(), customer), value);
        }
      };
    }
  }
}

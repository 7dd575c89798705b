package com.shoprec.jobs.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_timestamp;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import com.shoprec.common.Ids;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Types the raw orders and gives every row that cannot be used exactly one reason, the first that applies,
 * in the order of {@link Reason}. Ids are trimmed; a row's id must also pass {@link Ids#isValid} so that
 * everything published can be looked up by the server.
 */
public final class OrderValidation {

  /** Why a row is not used. The name is what the job log and the reject sample record. */
  public enum Reason {
    MALFORMED_LINE,
    MISSING_ORDER_ID,
    MISSING_CUSTOMER_ID,
    INVALID_CUSTOMER_ID,
    MISSING_PRODUCT_ID,
    INVALID_PRODUCT_ID,
    EXCLUDED_PRODUCT,
    MISSING_TS,
    UNPARSEABLE_TS,
    UNPARSEABLE_QUANTITY,
    NON_POSITIVE_QUANTITY,
    UNPARSEABLE_PRICE,
    NEGATIVE_PRICE,
    /** On or after the run's as-of day: the future of this run, not its history. */
    AFTER_AS_OF;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final String REASON = "reject_reason";

  private static final UserDefinedFunction VALID_ID =
      udf((UDF1<String, Boolean>) Ids::isValid, DataTypes.BooleanType);

  private OrderValidation() {}

  /**
   * Adds typed columns ({@code ts} timestamp, {@code quantity} and {@code price} double) and
   * {@value #REASON} (null for usable rows) to the raw orders; {@code after_as_of} is decided later by
   * {@link #applyAsOf}, once the as-of day is known.
   */
  public static Dataset<Row> classify(Dataset<Row> raw, InputSettings input) {
    Column orderId = trim(col(OrdersReader.ORDER_ID));
    Column customerId = trim(col(OrdersReader.CUSTOMER_ID));
    Column productId = trim(col(OrdersReader.PRODUCT_ID));
    Column ts = parseTs(raw.schema().apply(OrdersReader.TS).dataType(), input.timestampFormat());
    Column rawQty = trimmedText(raw, OrdersReader.QUANTITY);
    Column qty = when(rawQty.isNull().or(rawQty.equalTo("")), lit(1.0)).otherwise(rawQty.cast("double"));
    Column rawPrice = trimmedText(raw, OrdersReader.PRICE);
    Column price = when(rawPrice.isNull().or(rawPrice.equalTo("")), lit(null).cast("double"))
        .otherwise(rawPrice.cast("double"));

    Dataset<Row> typed = raw.select(
        orderId.as(OrdersReader.ORDER_ID),
        customerId.as(OrdersReader.CUSTOMER_ID),
        productId.as(OrdersReader.PRODUCT_ID),
        ts.as(OrdersReader.TS),
        qty.as(OrdersReader.QUANTITY),
        price.as(OrdersReader.PRICE),
        rawTs(raw).as("ts_text"),
        rawPrice.as("price_text"),
        col(OrdersReader.SOURCE_ROW),
        col(OrdersReader.MALFORMED));

    Map<Reason, Column> rules = new LinkedHashMap<>();
    rules.put(Reason.MALFORMED_LINE, col(OrdersReader.MALFORMED));
    rules.put(Reason.MISSING_ORDER_ID, blank(OrdersReader.ORDER_ID));
    rules.put(Reason.MISSING_CUSTOMER_ID, blank(OrdersReader.CUSTOMER_ID));
    rules.put(Reason.INVALID_CUSTOMER_ID, VALID_ID.apply(col(OrdersReader.CUSTOMER_ID)).equalTo(false));
    rules.put(Reason.MISSING_PRODUCT_ID, blank(OrdersReader.PRODUCT_ID));
    rules.put(Reason.INVALID_PRODUCT_ID, VALID_ID.apply(col(OrdersReader.PRODUCT_ID)).equalTo(false));
    rules.put(Reason.EXCLUDED_PRODUCT, input.excludedProducts().isEmpty() ? lit(false)
        : col(OrdersReader.PRODUCT_ID).isin(input.excludedProducts().toArray()));
    rules.put(Reason.MISSING_TS, col("ts_text").isNull().or(col("ts_text").equalTo("")));
    rules.put(Reason.UNPARSEABLE_TS, col(OrdersReader.TS).isNull());
    rules.put(Reason.UNPARSEABLE_QUANTITY, col(OrdersReader.QUANTITY).isNull()
        .or(isnan(col(OrdersReader.QUANTITY))).or(col(OrdersReader.QUANTITY).isin(
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)));
    rules.put(Reason.NON_POSITIVE_QUANTITY, col(OrdersReader.QUANTITY).leq(0));
    rules.put(Reason.UNPARSEABLE_PRICE, col("price_text").isNotNull().and(col("price_text").notEqual(""))
        .and(col(OrdersReader.PRICE).isNull().or(isnan(col(OrdersReader.PRICE)))));
    rules.put(Reason.NEGATIVE_PRICE, col(OrdersReader.PRICE).lt(0));

    Column reason = lit(null).cast("string");
    List<Map.Entry<Reason, Column>> ordered = new ArrayList<>(rules.entrySet());
    for (int i = ordered.size() - 1; i >= 0; i--) {
      Map.Entry<Reason, Column> rule = ordered.get(i);
      reason = when(rule.getValue(), lit(rule.getKey().label())).otherwise(reason);
    }
    return typed.withColumn(REASON, reason).drop("ts_text", "price_text", OrdersReader.MALFORMED);
  }

  /** Marks otherwise usable rows at or after {@code asOf} (the start of the as-of day) as after_as_of. */
  public static Dataset<Row> applyAsOf(Dataset<Row> classified, Timestamp asOf) {
    return classified.withColumn(REASON, when(col(REASON).isNull().and(col(OrdersReader.TS).geq(lit(asOf))),
        lit(Reason.AFTER_AS_OF.label())).otherwise(col(REASON)));
  }

  private static Column blank(String column) {
    return col(column).isNull().or(col(column).equalTo(""));
  }

  private static Column trimmedText(Dataset<Row> raw, String column) {
    DataType type = raw.schema().apply(column).dataType();
    Column c = col(column);
    return type == DataTypes.StringType ? trim(c) : c.cast("string");
  }

  private static Column rawTs(Dataset<Row> raw) {
    return trimmedText(raw, OrdersReader.TS);
  }

  private static Column parseTs(DataType type, String format) {
    Column c = col(OrdersReader.TS);
    if (type == DataTypes.TimestampType || type == DataTypes.TimestampNTZType) {
      return c.cast("timestamp");
    }
    if (type == DataTypes.DateType) {
      return c.cast("timestamp");
    }
    return to_timestamp(trim(c.cast("string")), format);
  }
}

package com.shoprec.jobs.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;

import com.shoprec.jobs.model.RunWindow;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * The orders of a run after validation: every row classified (valid, or rejected with a reason), the run's
 * as-of day (given, or the day after the last valid order), the counts and a sample of rejected rows per reason.
 *
 * @param classified every input row with its reason (null when valid): a projection of {@code cached}
 * @param cached     the typed rows, the only copy of the input held in memory until {@link #release}
 */
public record ValidatedOrders(Dataset<Row> classified, Dataset<Row> cached, LocalDate asOf, long inputRows,
    long usedRows, Map<String, Long> rejects, List<String[]> rejectSample) {

  /**
   * Classifies {@code raw} ({@link OrdersReader#read}) and counts it.
   *
   * @param asOf the configured day, if any
   * @throws InputException when no row is usable (naming the input and the reasons), or the input cannot be read
   */
  public static ValidatedOrders of(Dataset<Row> raw, InputSettings input, Optional<LocalDate> asOf, int activeDays) {
    try {
      return validate(raw, input, asOf, activeDays);
    } catch (InputException e) {
      throw e;
    } catch (Exception e) { // a SparkException reading a truncated or corrupt file becomes an input error
      throw OrdersReader.readFailure(input, e);
    }
  }

  /** The valid orders: order_id, customer_id, product_id, ts, quantity, price. */
  public Dataset<Row> valid() {
    return classified.where(col(OrderValidation.REASON).isNull())
        .select("order_id", "customer_id", "product_id", "ts", "quantity", "price");
  }

  public long rejectedRows() {
    return inputRows - usedRows;
  }

  /** Frees the cached input, once the base tables hold what the models need of it. */
  public void release() {
    cached.unpersist();
  }

  private static ValidatedOrders validate(Dataset<Row> raw, InputSettings input, Optional<LocalDate> configured,
      int activeDays) {
    Dataset<Row> typed = OrderValidation.classify(raw, input).cache();
    ZoneId zone = ZoneId.of(input.timezone());
    LocalDate asOf = configured.orElseGet(() -> {
      Row last = typed.where(col(OrderValidation.REASON).isNull()).agg(max(OrdersReader.TS)).first();
      if (last.isNullAt(0)) {
        return null;
      }
      return last.getTimestamp(0).toInstant().atZone(zone).toLocalDate().plusDays(1);
    });
    if (asOf == null) {
      Map<String, Long> rejects = rejectCounts(typed);
      typed.unpersist();
      throw new InputException("no usable order in " + input.describe() + ": every row was rejected " + rejects);
    }
    Timestamp asOfStart = new RunWindow(asOf, zone, activeDays).asOfStart();
    // Not cached: the as-of rule is a cheap projection of the cached typed rows, and a second cached copy of
    // the input would double the heap this stage holds.
    Dataset<Row> classified = OrderValidation.applyAsOf(typed, asOfStart);
    Map<String, Long> rejects = rejectCounts(classified);
    long rows = classified.count();
    long rejected = rejects.values().stream().mapToLong(Long::longValue).sum();
    if (rows == rejected) {
      throw new InputException("no usable order before " + asOf + " in " + input.describe() + ": " + rejects);
    }
    return new ValidatedOrders(classified, typed, asOf, rows, rows - rejected, rejects,
        rejectSample(classified, input.rejectSamplePerReason()));
  }

  private static Map<String, Long> rejectCounts(Dataset<Row> classified) {
    Map<String, Long> counts = new TreeMap<>();
    for (Row r : classified.where(col(OrderValidation.REASON).isNotNull())
        .groupBy(OrderValidation.REASON).count().collectAsList()) {
      counts.put(r.getString(0), r.getLong(1));
    }
    return counts;
  }

  private static List<String[]> rejectSample(Dataset<Row> classified, int perReason) {
    List<String[]> out = new ArrayList<>();
    if (perReason == 0) {
      return out;
    }
    for (Row r : classified.where(col(OrderValidation.REASON).isNotNull())
        .withColumn("n", row_number().over(Window.partitionBy(OrderValidation.REASON).orderBy(OrdersReader.SOURCE_ROW)))
        .where(col("n").leq(perReason))
        .select(OrderValidation.REASON, OrdersReader.SOURCE_ROW, OrdersReader.CUSTOMER_ID, OrdersReader.PRODUCT_ID)
        .collectAsList()) {
      out.add(new String[] {r.getString(0), r.getString(1),
          "customer_id=" + r.getString(2) + " product_id=" + r.getString(3)});
    }
    return out;
  }
}

package com.shoprec.jobs.model.lists;

import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;


import java.io.Serializable;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customer segments by order count: HEAVY (at least {@code heavyMin} orders), LIGHT (fewer than
 * {@code lightMax}), and in between REGULAR_EXPLORATORY when at least {@code exploratoryMinNewShare} of
 * the recent window's products were new to the customer, else REGULAR_CONSISTENT.
 *
 * <p>Quantile mode takes both thresholds from the order-count distribution instead; auto mode starts from
 * the absolute thresholds and switches to quantiles when one segment would hold more than
 * {@code autoMaxShare} of the customers (a catalog of occasional buyers puts everyone in LIGHT).
 */
public final class Segments {

  /** The segments, in the order of the settings and reports. */
  public static final java.util.List<String> NAMES =
      java.util.List.of("HEAVY", "REGULAR_CONSISTENT", "REGULAR_EXPLORATORY", "LIGHT");

  public enum Mode { ABSOLUTE, QUANTILE, AUTO }

  /** {@code shoprec.job.segments}. */
  public record Settings(Mode mode, int heavyMinOrders, int lightMaxOrders, double heavyQuantile,
      double lightQuantile, double autoMaxShare, int recentDays, double exploratoryMinNewShare,
      java.util.Map<String, Double> discoveryShare) implements java.io.Serializable {

    public static Settings from(Section s) {
      java.util.Map<String, Double> shares = new java.util.LinkedHashMap<>();
      for (String segment : NAMES) {
        String key = "discovery-share." + segment;
        if (!s.has(key)) {
          throw new com.shoprec.jobs.config.SettingsException(s.name(key) + " is missing");
        }
        shares.put(segment, s.fraction(key));
      }
      Settings settings = new Settings(s.oneOf(Mode.class, "mode"), s.atLeast("heavy-min-orders", 1),
          s.atLeast("light-max-orders", 1), s.fraction("heavy-quantile"), s.fraction("light-quantile"),
          s.fraction("auto-max-share"), s.atLeast("recent-days", 1), s.fraction("exploratory-min-new-share"),
          java.util.Map.copyOf(shares));
      if (settings.lightMaxOrders() > settings.heavyMinOrders()) {
        throw new com.shoprec.jobs.config.SettingsException(s.name("light-max-orders") + " ("
            + settings.lightMaxOrders() + ") must not exceed heavy-min-orders (" + settings.heavyMinOrders() + ")");
      }
      if (settings.lightQuantile() > settings.heavyQuantile()) {
        throw new com.shoprec.jobs.config.SettingsException(s.name("light-quantile")
            + " must not exceed heavy-quantile");
      }
      return settings;
    }
  }


  private static final Logger LOG = LoggerFactory.getLogger(Segments.class);

  public static final String HEAVY = "HEAVY";
  public static final String REGULAR_CONSISTENT = "REGULAR_CONSISTENT";
  public static final String REGULAR_EXPLORATORY = "REGULAR_EXPLORATORY";
  public static final String LIGHT = "LIGHT";

  /** The thresholds in force and how they were chosen. */
  public record Thresholds(long heavyMinOrders, long lightMaxOrders, double exploratoryMinNewShare, String mode)
      implements Serializable {}

  /** Segments of every customer with history, and the thresholds used. */
  public record Result(Dataset<Row> segments, Thresholds thresholds) {}

  private Segments() {}

  /** The segment of one customer. */
  static String segmentOf(long orders, double newProductShare, Thresholds t) {
    if (orders >= t.heavyMinOrders()) {
      return HEAVY;
    }
    if (orders < t.lightMaxOrders()) {
      return LIGHT;
    }
    return newProductShare >= t.exploratoryMinNewShare() ? REGULAR_EXPLORATORY : REGULAR_CONSISTENT;
  }

  /**
   * Quantile thresholds: HEAVY from the {@code heavyQuantile} order count, LIGHT below the
   * {@code lightQuantile} one (given as the two order counts at those quantiles).
   */
  static Thresholds quantileThresholds(double lightQuantileOrders, double heavyQuantileOrders, double exploratoryMin) {
    long heavy = Math.max(1, (long) Math.ceil(heavyQuantileOrders));
    long light = Math.min(heavy, Math.max(1, (long) Math.ceil(lightQuantileOrders)));
    return new Thresholds(heavy, light, exploratoryMin, "quantile");
  }

  /**
   * {@code customers}: customer_id, orders, products, new_product_share, last_order_at (from
   * {@link BaseTables}). Output: customer_id, segment, orders, products, new_product_share, last_order_at.
   */
  public static Result compute(Dataset<Row> customers, Segments.Settings s) {
    Thresholds absolute = new Thresholds(s.heavyMinOrders(), s.lightMaxOrders(), s.exploratoryMinNewShare(), "absolute");
    Thresholds chosen = absolute;
    if (s.mode() == Segments.Mode.QUANTILE) {
      chosen = quantiles(customers, s);
    } else if (s.mode() == Segments.Mode.AUTO) {
      double largestShare = largestShare(assign(customers, absolute));
      if (largestShare > s.autoMaxShare()) {
        chosen = quantiles(customers, s);
        LOG.info("segments: absolute thresholds put {} of customers in one segment (> {}); using quantiles",
            String.format("%.3f", largestShare), s.autoMaxShare());
      }
    }
    LOG.info("segments: {}", chosen);
    return new Result(assign(customers, chosen), chosen);
  }

  private static Thresholds quantiles(Dataset<Row> customers, Segments.Settings s) {
    double[] q = customers.stat().approxQuantile("orders", new double[] {s.lightQuantile(), s.heavyQuantile()}, 0.0);
    if (q.length < 2) {
      return new Thresholds(s.heavyMinOrders(), s.lightMaxOrders(), s.exploratoryMinNewShare(), "absolute (no customers)");
    }
    return quantileThresholds(q[0], q[1], s.exploratoryMinNewShare());
  }

  private static Dataset<Row> assign(Dataset<Row> customers, Thresholds t) {
    var segmentOf = udf((UDF2<Long, Double, String>) (orders, share) -> segmentOf(orders, share, t), DataTypes.StringType);
    return customers.select(
        col("customer_id"),
        segmentOf.apply(col("orders").cast("long"), col("new_product_share")).as("segment"),
        col("orders").cast("int").as("orders"),
        col("products").cast("int").as("products"),
        col("new_product_share"),
        col("last_order_at"));
  }

  private static double largestShare(Dataset<Row> segments) {
    long total = 0;
    long largest = 0;
    for (Row r : segments.groupBy("segment").count().collectAsList()) {
      long n = r.getLong(1);
      total += n;
      largest = Math.max(largest, n);
    }
    return total == 0 ? 0 : (double) largest / total;
  }

  /** Counts per segment, for the log and the run info. */
  public static Map<String, Long> counts(Dataset<Row> segments) {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (Row r : segments.groupBy("segment").count().collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }
}

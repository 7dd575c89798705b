package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.udf;


import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.types.DataTypes;

/**
 * How much a customer is expected to buy a product again now: the time-decayed purchase frequency,
 * scaled by how due the product is.
 *
 * <p>{@code score = decayedFrequency × (1 − w + w × due)}, with {@code w} the due weight. For a product
 * bought at least twice, with usual interval {@code I} days and {@code d} days since the last order:
 * {@code due = d / I} while {@code d ≤ I} (it rises as the next purchase nears) and
 * {@code exp(−(d/I − 1) / k)} once overdue (it fades over {@code k} intervals, as the habit may have
 * ended). A product bought once has a fixed {@code due}. So of two products bought equally often, the one
 * due again ranks above the one just bought.
 */
public final class RepurchaseScore {

  /** {@code shoprec.job.repurchase}. */
  public record Settings(double halfLifeDays, double dueWeight, double singlePurchaseDue,
      double overdueDecayIntervals) implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.positive("half-life-days"), s.fraction("due-weight"), s.fraction("single-purchase-due"),
          s.positive("overdue-decay-intervals"));
    }
  }


  private RepurchaseScore() {}

  /** The due factor in [0, 1]; {@code intervalDays} is null or not positive for a product bought once. */
  static double due(long timesBought, double daysSinceLast, Double intervalDays, RepurchaseScore.Settings s) {
    if (timesBought < 2 || intervalDays == null || !(intervalDays > 0)) {
      return s.singlePurchaseDue();
    }
    double ratio = Math.max(0, daysSinceLast) / intervalDays;
    return ratio <= 1 ? ratio : Math.exp(-(ratio - 1) / s.overdueDecayIntervals());
  }

  static double score(double decayedFrequency, long timesBought, double daysSinceLast, Double intervalDays,
      RepurchaseScore.Settings s) {
    double due = due(timesBought, daysSinceLast, intervalDays, s);
    return decayedFrequency * (1 - s.dueWeight() + s.dueWeight() * due);
  }

  /**
   * Every (customer, product) the customer has bought, scored:
   * customer_id, product_id, score, reason ({@code {"times_bought":n,"last_bought":"yyyy-MM-dd"}}).
   */
  public static Dataset<Row> candidates(Dataset<Row> customerProducts, RepurchaseScore.Settings s) {
    var scoreOf = udf((UDF4<Double, Long, Double, Double, Double>)
        (freq, times, since, interval) -> score(freq, times, since, interval, s), DataTypes.DoubleType);
    return customerProducts.select(
        col("customer_id"),
        col("product_id"),
        scoreOf.apply(col("decayed_frequency"), col("times_bought"), col("days_since_last"), col("interval_days"))
            .as("score"),
        to_json(struct(col("times_bought"), date_format(col("last_ts"), "yyyy-MM-dd").as("last_bought")))
            .as("reason"));
  }
}

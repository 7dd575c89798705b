package com.shoprec.jobs.model;

import com.shoprec.jobs.model.signals.AlsFactors;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The customers' preferences ({@link AlsFactors#preferences}), aggregated from the order lines once per half-life
 * and cached for every model that reads them: ALS and EASE learn from the same table by default (both 30 days), and
 * ALS alone reads it several times (its customer and product indexes, the ratings, what each customer bought).
 * Safe to share between the models trained at the same time; {@link #close} releases what was cached.
 */
public final class SharedPreferences implements AutoCloseable {

  private final BaseTables base;
  private final Map<Double, Dataset<Row>> byHalfLife = new ConcurrentHashMap<>();

  public SharedPreferences(BaseTables base) {
    this.base = base;
  }

  /** customer_id, product_id, preference with this half-life in days (0: order counts), cached. */
  public Dataset<Row> of(double halfLifeDays) {
    return byHalfLife.computeIfAbsent(halfLifeDays, h -> AlsFactors.preferences(base, h).cache());
  }

  @Override
  public void close() {
    byHalfLife.values().forEach(Dataset::unpersist);
    byHalfLife.clear();
  }
}

package com.shoprec.jobs.model;

import static org.apache.spark.sql.functions.sum;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;

/**
 * Sums of doubles that do not depend on the order in which their terms arrive.
 *
 * <p>Double addition is not associative, and on a cluster the order is not fixed: an executor reads shuffle
 * blocks in the order they arrive from itself and from the other executors. The same terms then add up to
 * totals one unit in the last place apart, and two items whose scores are equal in exact arithmetic (two
 * products a customer always bought in the same orders) swap ranks between runs; {@code ClusterRunIT} caught
 * exactly that. Here each term is rounded to 18 decimal places and the terms are added as decimals, which is
 * exact and so independent of order; the total is the double nearest to that exact sum.
 */
public final class Sums {

  /** 20 integer and 18 fractional digits: terms below 1e20 (weights, similarities, confidences are ≤ 1). */
  private static final DecimalType TERM = DataTypes.createDecimalType(38, 18);

  private Sums() {}

  /** {@code sum(term)} as a double, the same whatever the order of the terms. */
  public static Column orderFree(Column term) {
    return sum(term.cast(TERM)).cast(DataTypes.DoubleType);
  }
}

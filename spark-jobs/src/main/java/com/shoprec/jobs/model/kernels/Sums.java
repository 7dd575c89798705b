package com.shoprec.jobs.model.kernels;

import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.shiftright;
import static org.apache.spark.sql.functions.sum;

import org.apache.spark.sql.Column;

/**
 * Sums of doubles that do not depend on the order in which their terms arrive.
 *
 * <p>Double addition is not associative, and on a cluster the order is not fixed: an executor reads shuffle
 * blocks in the order they arrive from itself and from the other executors. The same terms then add up to
 * totals one unit in the last place apart, and two items whose scores are equal in exact arithmetic (two
 * products a customer always bought in the same orders) swap ranks between runs; {@code ClusterRunIT} caught
 * exactly that.
 *
 * <p>Here each term is split into fixed-point integers: its whole part, and its fraction in units of 2⁻⁵⁰
 * (about 9e-16), itself cut into a high and a low 25 bits. The three are added as longs, which is exact and so
 * independent of order, and the total is rebuilt as a double from the three exact sums. The whole parts may
 * reach ±9.2e18 in all; the fraction sums stay exact in a double up to 2²⁸ terms. (Casting each term to a 38-digit
 * decimal did the same, but the cast goes through the double's decimal string: at 2 M order lines that
 * conversion and the decimal additions were 4–6 % of the job's CPU samples.)
 */
public final class Sums {

  private static final int FRACTION_BITS = 50;
  private static final int LOW_BITS = 25;

  private Sums() {}

  /** {@code sum(term)} as a double, the same whatever the order of the terms; null when every term is null. */
  public static Column orderFree(Column term) {
    Column whole = floor(term); // a long
    // the fraction in [0, 1), times 2^50 (exact), rounded half up: 0 to 2^50
    Column fraction = floor(term.minus(whole).multiply(lit(Math.scalb(1.0, FRACTION_BITS))).plus(lit(0.5)));
    Column high = shiftright(fraction, LOW_BITS);
    Column low = fraction.minus(high.multiply(lit(1L << LOW_BITS)));
    // Each exact sum converts to a double exactly below 2^53 (2^28 terms); the additions are then the same
    // whatever the order of the terms was.
    return sum(whole).cast("double")
        .plus(sum(high).cast("double").multiply(lit(Math.scalb(1.0, LOW_BITS - FRACTION_BITS))))
        .plus(sum(low).cast("double").multiply(lit(Math.scalb(1.0, -FRACTION_BITS))));
  }
}

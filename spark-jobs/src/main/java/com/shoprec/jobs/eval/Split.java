package com.shoprec.jobs.eval;

import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A train/test split of the orders, built by {@link Splits}.
 *
 * @param history   order lines the models may see: order_id, customer_id, product_id, ts and every other
 *                  input column, unchanged
 * @param test      what the evaluated customers bought in the test period: customer_id, product_id (distinct)
 * @param customers the evaluated customers: customer_id (distinct); every one has at least one test item
 * @param protocol  {@code last-basket} or {@code time-split}
 * @param cutoff    the as-of date for the models: the day after the last history order ({@code last-basket})
 *                  or T ({@code time-split}); no history order is on or after it
 */
public record Split(Dataset<Row> history, Dataset<Row> test, Dataset<Row> customers, String protocol,
    LocalDate cutoff) {

  /** The same split with its three tables cached (the evaluation reads each of them several times). */
  public Split cache() {
    return new Split(history.cache(), test.cache(), customers.cache(), protocol, cutoff);
  }

  /** Frees what {@link #cache()} kept. */
  public void unpersist() {
    history.unpersist();
    test.unpersist();
    customers.unpersist();
  }
}

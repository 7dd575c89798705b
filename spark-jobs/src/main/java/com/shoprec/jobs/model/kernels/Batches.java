package com.shoprec.jobs.model.kernels;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Predicate;
import org.apache.spark.sql.Row;

/**
 * Output rows made a batch at a time, for the partition functions that score a block of input rows together:
 * {@code refill} is handed an empty list to add the next batch's rows to (none is fine) and returns false once
 * its input is exhausted. Only one batch is held at a time.
 */
public final class Batches implements Iterator<Row> {

  private final Predicate<List<Row>> refill;
  private final List<Row> out = new ArrayList<>();
  private int at;

  private Batches(Predicate<List<Row>> refill) {
    this.refill = refill;
  }

  public static Iterator<Row> of(Predicate<List<Row>> refill) {
    return new Batches(refill);
  }

  @Override
  public boolean hasNext() {
    while (at >= out.size()) {
      out.clear();
      at = 0;
      if (!refill.test(out)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return out.get(at++);
  }
}

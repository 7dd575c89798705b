package com.shoprec.jobs.model.kernels;

import java.io.Serializable;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

/**
 * The rows of one task of an in-memory model that splits its keys (customers, products: 0..n−1) into slices,
 * key k going to slice {@code k % slices}: for each key of the task's slices in turn, its best-first results,
 * each as a row with its 1-based rank. Computed lazily, key by key, so a task holds one key's results at a time.
 */
public final class SlicedRows {

  /** The row of one result of a key, ranked {@code rank} (1-based) among the key's results. */
  interface RowOf<T> {
    Row row(int key, T result, int rank);
  }

  /** What one task does with the slices it owns: its rows, typically from {@link #of}. */
  public interface Task extends Serializable {
    public Iterator<Row> rows(Set<Integer> owned, int slices);
  }

  private SlicedRows() {}

  /**
   * The rows of {@code 4 × defaultParallelism} slices, one task per slice (so that each task gets its share of
   * the large keys, whose numbers are spread over the slices).
   */
  public static JavaRDD<Row> rows(JavaSparkContext jsc, Task task) {
    int slices = Math.max(1, jsc.sc().defaultParallelism()) * 4;
    return jsc.parallelize(IntStream.range(0, slices).boxed().toList(), slices)
        .mapPartitions((FlatMapFunction<Iterator<Integer>, Row>) sliceIds -> {
          Set<Integer> owned = new HashSet<>();
          sliceIds.forEachRemaining(owned::add);
          return task.rows(owned, slices);
        });
  }

  /** {@code whenDone} runs once, after the last row has been read. */
  static <T> Iterator<Row> of(int keys, Set<Integer> owned, int slices, IntFunction<List<T>> resultsOf,
      RowOf<T> rowOf, Runnable whenDone) {
    return new Iterator<>() {
      private int next;
      private int of = -1;
      private List<T> current = List.of();
      private int at;
      private boolean done;

      @Override
      public boolean hasNext() {
        while (at >= current.size()) {
          while (next < keys && !owned.contains(next % slices)) {
            next++;
          }
          if (next >= keys) {
            if (!done) {
              done = true;
              whenDone.run();
            }
            return false;
          }
          of = next++;
          current = resultsOf.apply(of);
          at = 0;
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        T result = current.get(at++);
        return rowOf.row(of, result, at);
      }
    };
  }
}

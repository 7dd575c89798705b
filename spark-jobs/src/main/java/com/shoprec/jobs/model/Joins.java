package com.shoprec.jobs.model;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/** Joins on same-named columns, which Spark's Java API only offers through Scala sequences. */
public final class Joins {
  private Joins() {}

  public static Seq<String> columns(String... names) {
    List<String> list = Arrays.asList(names);
    return JavaConverters.asScalaBuffer(list).toSeq();
  }

  /** Rows of {@code left} whose key columns match no row of {@code right}. */
  public static Dataset<Row> without(Dataset<Row> left, Dataset<Row> right, String... keys) {
    return left.join(right.select(keys[0], Arrays.copyOfRange(keys, 1, keys.length)), columns(keys), "left_anti");
  }

  public static Dataset<Row> left(Dataset<Row> left, Dataset<Row> right, String... keys) {
    return left.join(right, columns(keys), "left");
  }

  public static Dataset<Row> outer(Dataset<Row> left, Dataset<Row> right, String... keys) {
    return left.join(right, columns(keys), "full_outer");
  }
}

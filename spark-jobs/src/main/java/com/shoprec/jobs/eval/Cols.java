package com.shoprec.jobs.eval;

import java.util.Arrays;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/** Column-name lists for joins on same-named columns (Spark's Java API wants a Scala Seq). */
final class Cols {

  private Cols() {}

  static Seq<String> seq(String... names) {
    return JavaConverters.asScalaBuffer(Arrays.asList(names)).toSeq();
  }
}

package com.shoprec.jobs.model.kernels;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The top-k by dot product against Spark's own {@code recommendForAllUsers/Items} on a trained model: the same
 * targets in the same order, the same scores. 300 users and 5,000 items, so that the items span two chunks of
 * targets and the users several query blocks.
 */
class FactorTopKIT extends SparkTestBase {

  @Test
  void sameAnswerAsSparksRecommendForAll() {
    Random random = new Random(3);
    List<Row> ratings = new ArrayList<>();
    for (int u = 0; u < 300; u++) {
      for (int k = 0; k < 60; k++) {
        int item = random.nextInt(10) < 7
            ? random.nextInt(5000) : (int) Math.min(4999, Math.abs(random.nextGaussian()) * 300);
        ratings.add(RowFactory.create(u, item, 1f + random.nextInt(3)));
      }
    }
    StructType schema = new StructType().add("u", DataTypes.IntegerType).add("i", DataTypes.IntegerType)
        .add("r", DataTypes.FloatType);
    ALSModel model = new ALS().setImplicitPrefs(true).setRank(8).setMaxIter(3).setSeed(1)
        .setUserCol("u").setItemCol("i").setRatingCol("r")
        .fit(spark.createDataFrame(ratings, schema).groupBy("u", "i").sum("r").withColumnRenamed("sum(r)", "r"));
    long items = model.itemFactors().count();
    assertTrue(items > FactorTopK.TARGET_CHUNK, "items span more than one chunk: " + items);

    compare(model.recommendForAllUsers(25).select(col("u").as("query"), explode(col("recommendations")).as("x"))
            .select(col("query"), col("x.i").as("target"), col("x.rating").as("score")),
        FactorTopK.topK(model.userFactors(), model.itemFactors(), 25), 300 * 25);
    compare(model.recommendForAllItems(7).select(col("i").as("query"), explode(col("recommendations")).as("x"))
            .select(col("query"), col("x.u").as("target"), col("x.rating").as("score")),
        FactorTopK.topK(model.itemFactors(), model.userFactors(), 7), items * 7);
  }

  /** Per query, the targets in order and the scores (within float rounding of a different summation order). */
  private static void compare(Dataset<Row> spark, Dataset<Row> ours, long expectedRows) {
    Map<Integer, List<Row>> theirs = byQuery(spark);
    Map<Integer, List<Row>> mine = byQuery(ours);
    assertEquals(expectedRows, ours.count());
    assertEquals(theirs.keySet(), mine.keySet());
    for (Map.Entry<Integer, List<Row>> e : theirs.entrySet()) {
      List<Row> a = e.getValue();
      List<Row> b = mine.get(e.getKey());
      assertEquals(a.size(), b.size(), "query " + e.getKey());
      for (int i = 0; i < a.size(); i++) {
        assertEquals(a.get(i).getFloat(2), b.get(i).getFloat(2), 1e-5, "score " + i + " of query " + e.getKey());
        assertEquals(a.get(i).getInt(1), b.get(i).getInt(1), "target " + i + " of query " + e.getKey());
      }
    }
  }

  private static Map<Integer, List<Row>> byQuery(Dataset<Row> rows) {
    Map<Integer, List<Row>> m = new HashMap<>();
    for (Row r : rows.collectAsList()) {
      m.computeIfAbsent(r.getInt(0), k -> new ArrayList<>()).add(r);
    }
    return m;
  }
}

package com.shoprec.jobs.eval;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log2;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Scores ranked lists against a {@link Split}'s test baskets, entirely in Spark. Any method plugs in as a
 * Dataset of customer_id, product_id, rank (smaller is better; ties broken by product_id; a product listed
 * twice counts at its best rank; customers outside the split are ignored, evaluated customers without a
 * list score 0).
 *
 * <p>For every K: recall, ndcg, hit_rate, precision and map as defined in {@link RankingMetrics}, averaged
 * over the evaluated customers, for items {@code all} (the whole test basket), {@code repeat} (test items
 * the customer has in its history) and {@code explore} (the others); the repeat and explore values apply
 * the same formulas to that part of the basket only, averaged over the customers who have such items.
 * Plus {@code coverage} (items {@code all}): distinct products in the top-K lists / distinct products in
 * the history (products unknown to the history do not count). Everything for segment {@code ALL} and,
 * when segments are given, for each segment (evaluated customers without one fall in {@link #NO_SEGMENT}).
 */
public final class Evaluator {

  /** Segment of evaluated customers missing from {@code segmentOfCustomer}. */
  public static final String NO_SEGMENT = "NONE";
  public static final int[] DEFAULT_KS = {10, 20, 25};

  private static final List<String> ITEMS = List.of(Metric.ALL_ITEMS, Metric.REPEAT_ITEMS, Metric.EXPLORE_ITEMS);
  private static final List<String> RANKING_METRICS = List.of("recall", "ndcg", "hit_rate", "precision", "map");

  private Evaluator() {}

  /** {@link #evaluate} for each method in turn, in the map's order. */
  public static List<Metric> evaluateAll(Split s, Map<String, Dataset<Row>> recsByMethod,
      Dataset<Row> segmentOfCustomer, int[] ks) {
    List<Metric> results = new ArrayList<>();
    recsByMethod.forEach((method, recs) -> results.addAll(evaluate(s, method, recs, segmentOfCustomer, ks)));
    return results;
  }

  /**
   * @param recs              customer_id, product_id, rank
   * @param segmentOfCustomer customer_id, segment; {@code null} for {@code ALL} only
   * @param ks                cut-offs, e.g. {@link #DEFAULT_KS}
   */
  public static List<Metric> evaluate(Split s, String method, Dataset<Row> recs, Dataset<Row> segmentOfCustomer,
      int[] ks) {
    if (ks.length == 0 || Arrays.stream(ks).anyMatch(k -> k < 1)) {
      throw new IllegalArgumentException("cut-offs must be positive, got " + Arrays.toString(ks));
    }
    int maxK = Arrays.stream(ks).max().getAsInt();
    Dataset<Row> customers = segments(s.customers(), segmentOfCustomer);

    // pos: 0-based position in the customer's list, first maxK distinct products only
    Dataset<Row> ranked = recs
        .select(col("customer_id").cast("string"), col("product_id").cast("string"), col("rank").cast("double"))
        .join(s.customers(), Cols.seq("customer_id"), "left_semi")
        .groupBy("customer_id", "product_id").agg(min("rank").as("rank"))
        .withColumn("pos", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("rank").asc_nulls_last(), col("product_id"))).minus(1))
        .where(col("pos").lt(maxK))
        .select("customer_id", "product_id", "pos");

    Dataset<Row> bought = s.history().select("customer_id", "product_id").distinct()
        .withColumn("bought", lit(true));
    Dataset<Row> test = s.test().select("customer_id", "product_id").distinct()
        .join(s.customers(), Cols.seq("customer_id"), "left_semi")
        .join(bought, Cols.seq("customer_id", "product_id"), "left")
        .withColumn("items", explode(array(lit(Metric.ALL_ITEMS),
            when(col("bought").isNotNull(), lit(Metric.REPEAT_ITEMS)).otherwise(lit(Metric.EXPLORE_ITEMS)))))
        .drop("bought");

    // j: 1-based index of the test item in its (customer, items) group, hits first in list order, so
    // for a hit at pos, j = hits at positions 0..pos; and Σ 1/log2(j+1) over the group is the ideal DCG.
    Dataset<Row> scored = test.join(ranked, Cols.seq("customer_id", "product_id"), "left")
        .withColumn("j", row_number().over(Window.partitionBy("customer_id", "items")
            .orderBy(col("pos").asc_nulls_last(), col("product_id"))));
    List<Column> sums = new ArrayList<>();
    sums.add(sum(lit(1.0).divide(log2(col("j").plus(1)))).as("idcg"));
    for (int k : ks) {
      Column inTopK = col("pos").lt(k);
      sums.add(sum(when(inTopK, 1.0).otherwise(0.0)).as("hits_" + k));
      sums.add(sum(when(inTopK, lit(1.0).divide(log2(col("pos").plus(2)))).otherwise(0.0)).as("dcg_" + k));
      sums.add(sum(when(inTopK, col("j").divide(col("pos").plus(1))).otherwise(0.0)).as("ap_" + k));
    }
    Dataset<Row> perCustomer = scored.groupBy(col("customer_id"), col("items"))
        .agg(count(lit(1)).as("n"), sums.toArray(new Column[0]));

    List<Column> metrics = new ArrayList<>(List.of(col("customer_id"), col("items")));
    for (int k : ks) {
      Column hits = col("hits_" + k);
      metrics.add(hits.divide(col("n")).as("recall_" + k));
      metrics.add(col("dcg_" + k).divide(col("idcg")).as("ndcg_" + k));
      metrics.add(when(hits.gt(0), 1.0).otherwise(0.0).as("hit_rate_" + k));
      metrics.add(hits.divide(k).as("precision_" + k));
      metrics.add(col("ap_" + k).divide(least(col("n"), lit(k))).as("map_" + k));
    }
    Dataset<Row> bySegment = withAllSegment(perCustomer.select(metrics.toArray(new Column[0]))
        .join(customers, Cols.seq("customer_id")));
    List<Column> averages = new ArrayList<>();
    for (int k : ks) {
      for (String metric : RANKING_METRICS) {
        averages.add(avg(metric + "_" + k).as(metric + "_" + k));
      }
    }
    List<Metric> results = new ArrayList<>();
    for (Row r : bySegment.groupBy("segment", "items")
        .agg(count(lit(1)).as("customers"), averages.toArray(new Column[0])).collectAsList()) {
      for (int k : ks) {
        for (String metric : RANKING_METRICS) {
          results.add(new Metric(method, r.getAs("segment"), r.getAs("items"), metric, k,
              r.getAs(metric + "_" + k), r.getAs("customers")));
        }
      }
    }
    results.addAll(coverage(s, method, ranked, customers, ks));
    results.sort(ORDER);
    return results;
  }

  /**
   * Several evaluations of the same methods as one (the weeks of a rolling {@code time-split}): each value
   * the mean of the parts' values weighted by their {@code customers}, which are summed. The ranking metrics
   * are means over customers, so this is exactly their mean over every customer of every part; coverage
   * becomes the customer-weighted mean of the parts' coverages. A value no part measured for some customers
   * (a segment absent from a week) comes from the parts that have it; order: the first part's, then new keys
   * as they appear.
   */
  public static List<Metric> pool(List<List<Metric>> parts) {
    Map<List<Object>, double[]> sums = new java.util.LinkedHashMap<>(); // key -> {Σ value·customers, Σ customers}
    Map<List<Object>, Metric> first = new java.util.HashMap<>();
    for (List<Metric> part : parts) {
      for (Metric m : part) {
        List<Object> key = List.of(m.method(), m.segment(), m.items(), m.metric(), m.k());
        first.putIfAbsent(key, m);
        double[] s = sums.computeIfAbsent(key, x -> new double[2]);
        s[0] += m.value() * m.customers();
        s[1] += m.customers();
      }
    }
    List<Metric> pooled = new ArrayList<>(sums.size());
    sums.forEach((key, s) -> {
      Metric m = first.get(key);
      pooled.add(new Metric(m.method(), m.segment(), m.items(), m.metric(), m.k(), s[1] == 0 ? 0.0 : s[0] / s[1],
          (long) s[1]));
    });
    return pooled;
  }

  /**
   * Distinct products of the history in the top-K lists of each segment's customers / distinct products in
   * the history (products the history never saw are not part of the catalog and do not count).
   */
  private static List<Metric> coverage(Split s, String method, Dataset<Row> ranked, Dataset<Row> customers, int[] ks) {
    Dataset<Row> products = s.history().select("product_id").distinct();
    long catalog = products.count();
    List<Column> distinct = new ArrayList<>();
    for (int k : ks) {
      distinct.add(countDistinct(when(col("pos").lt(k), col("product_id"))).as("products_" + k));
    }
    Dataset<Row> inCatalog = ranked.join(products, Cols.seq("product_id"), "left_semi");
    Dataset<Row> lists = withAllSegment(customers.join(inCatalog, Cols.seq("customer_id"), "left"));
    List<Metric> results = new ArrayList<>();
    for (Row r : lists.groupBy("segment")
        .agg(countDistinct("customer_id").as("customers"), distinct.toArray(new Column[0])).collectAsList()) {
      for (int k : ks) {
        long listed = r.getAs("products_" + k);
        results.add(new Metric(method, r.getAs("segment"), Metric.ALL_ITEMS, "coverage", k,
            catalog == 0 ? 0.0 : (double) listed / catalog, r.getAs("customers")));
      }
    }
    return results;
  }

  /** customer_id, segment for every evaluated customer. */
  private static Dataset<Row> segments(Dataset<Row> customers, Dataset<Row> segmentOfCustomer) {
    Dataset<Row> ids = customers.select("customer_id").distinct();
    if (segmentOfCustomer == null) {
      return ids.withColumn("segment", lit(null).cast("string"));
    }
    Dataset<Row> given = segmentOfCustomer
        .select(col("customer_id").cast("string"), col("segment").cast("string"))
        .dropDuplicates("customer_id");
    return ids.join(given, Cols.seq("customer_id"), "left")
        .withColumn("segment", coalesce(col("segment"), lit(NO_SEGMENT)));
  }

  /** Each row once more under segment {@code ALL}; rows of customers without a segment only there. */
  private static Dataset<Row> withAllSegment(Dataset<Row> rows) {
    return rows.where(col("segment").isNotNull())
        .unionByName(rows.withColumn("segment", lit(Metric.ALL_SEGMENTS)));
  }

  /** Report order: method as given, ALL first then segments by name, all/repeat/explore, metric, K. */
  private static final Comparator<Metric> ORDER = Comparator
      .comparing((Metric m) -> !m.segment().equals(Metric.ALL_SEGMENTS))
      .thenComparing(Metric::segment)
      .thenComparing(m -> ITEMS.indexOf(m.items()))
      .thenComparing(m -> metricIndex(m.metric()))
      .thenComparingInt(Metric::k);

  private static int metricIndex(String metric) {
    int i = RANKING_METRICS.indexOf(metric);
    return i >= 0 ? i : RANKING_METRICS.size();
  }
}

package com.shoprec.jobs.model.lists;

import com.shoprec.jobs.model.Joins;
import com.shoprec.jobs.model.signals.AlsFactors;
import com.shoprec.jobs.model.signals.Cooccurrence;
import com.shoprec.jobs.model.signals.Ease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Co-occurrence, product audience, discovery blend and ALS on literal rows with hand-checked values. */
public class DiscoveryModelsIT extends SparkTestBase {

  private static JobSettings settings(Object... keyValues) {
    Map<String, Object> o = new HashMap<>(Map.of("shoprec.job.input.path", "x"));
    for (int i = 0; i < keyValues.length; i += 2) {
      o.put((String) keyValues[i], keyValues[i + 1]);
    }
    return JobSettings.of(o);
  }

  /**
   * o1 {A,B,C}, o2 {A,B}, o3 {A,B,D}, o4 {A,C}, o5 {B,C}: n(A)=4, n(B)=4, n(C)=3, n(D)=1, N=5;
   * co-counts AB 3, AC 2, BC 2, AD 1, BD 1 (the last two under the minimum of 2).
   */
  private Dataset<Row> baskets() {
    StructType schema = new StructType().add("order_id", DataTypes.StringType).add("product_id", DataTypes.StringType);
    String[][] lines = {{"o1", "A"}, {"o1", "B"}, {"o1", "C"}, {"o1", "C"}, {"o2", "A"}, {"o2", "B"}, {"o3", "A"},
        {"o3", "B"}, {"o3", "D"}, {"o4", "A"}, {"o4", "C"}, {"o5", "B"}, {"o5", "C"}};
    return spark.createDataFrame(java.util.Arrays.stream(lines).map(l -> RowFactory.create((Object[]) l)).toList(), schema);
  }

  @Test
  void cooccurrenceMeasuresEqualDirectCounts() {
    Cooccurrence.Result r = Cooccurrence.compute(baskets(),
        settings("shoprec.job.cooccurrence.min-co-count", 2).cooccurrence());
    Map<String, Row> pairs = r.pairs().collectAsList().stream()
        .collect(Collectors.toMap(p -> p.getString(0) + p.getString(1), p -> p));
    assertEquals(Set.of("AB", "BA", "AC", "CA", "BC", "CB"), pairs.keySet());
    Row ab = pairs.get("AB");
    assertEquals(3L, (long) ab.getAs("co_count"));
    assertEquals(0.6, (double) ab.getAs("support"), 1e-12);
    assertEquals(0.75, (double) ab.getAs("confidence"), 1e-12);
    assertEquals(15.0 / 16, (double) ab.getAs("lift"), 1e-12);
    assertEquals(0.6, (double) ab.getAs("jaccard"), 1e-12);
    assertEquals(1, (int) ab.getAs("rank"));
    assertEquals(2, (int) pairs.get("AC").getAs("rank"));
    assertEquals(0.5, (double) pairs.get("AC").getAs("confidence"), 1e-12);
    // C's partners tie on confidence 2/3 and co-count 2: broken by id
    assertEquals(1, (int) pairs.get("CA").getAs("rank"));
    assertEquals(2, (int) pairs.get("CB").getAs("rank"));
    assertEquals(new Cooccurrence.Stats(5, 0, 6), r.stats());
  }

  @Test
  void largeBasketsAreSampledAndCounted() {
    Cooccurrence.Result r = Cooccurrence.compute(baskets(), settings(
        "shoprec.job.cooccurrence.min-co-count", 1, "shoprec.job.cooccurrence.max-basket-size", 2).cooccurrence());
    assertEquals(2, r.stats().cappedBaskets(), "o1 and o3 have three products");
    long total = r.pairs().where("product_id < other_product_id").groupBy().sum("co_count").first().getLong(0);
    assertEquals(5, total, "one pair from each of the five baskets");
  }

  @Test
  void audienceBlendsAlsWithPastBuyers() {
    StructType s = new StructType().add("product_id", DataTypes.StringType).add("customer_id", DataTypes.StringType)
        .add("score", DataTypes.DoubleType);
    Dataset<Row> als = spark.createDataFrame(List.of(RowFactory.create("p1", "c1", 0.9), RowFactory.create("p1", "c2", 0.45)), s);
    Dataset<Row> rep = spark.createDataFrame(List.of(RowFactory.create("p1", "c2", 2.0), RowFactory.create("p1", "c3", 1.0)), s);
    List<Row> audience = ProductAudience.compute(als, rep, settings().audience()).orderBy("rank").collectAsList();
    assertEquals(List.of("c2", "c1", "c3"), audience.stream().map(r -> r.<String>getAs("customer_id")).toList());
    assertEquals(0.75, (double) audience.get(0).getAs("score"), 1e-12);
    assertEquals(0.5, (double) audience.get(1).getAs("score"), 1e-12);
    assertEquals(0.25, (double) audience.get(2).getAs("score"), 1e-12);
    assertEquals("{\"als\":0.5,\"repurchase\":1.0}", audience.get(0).getAs("reason"));
  }

  /**
   * c1 bought y, w; its neighbours c2 (0.5) bought x, y and c3 (0.25) bought x, z. ALS offers z 0.8, q 0.4;
   * y was bought with x (confidence 0.3), w with q (0.6). Scaled signals: x nb 1, co 0.5; z nb 1/3, als 1;
   * q als 0.5, co 1. With weights 0.5/0.3/0.2: x 0.6, z 0.4667, q 0.35.
   */
  @Test
  void discoveryBlendsNeighboursAlsAndCooccurrence() {
    Dataset<Row> active = spark.createDataFrame(List.of(RowFactory.create("c1")),
        new StructType().add("customer_id", DataTypes.StringType));
    Dataset<Row> neighbours = spark.createDataFrame(List.of(RowFactory.create("c1", "c2", 0.5), RowFactory.create("c1", "c3", 0.25)),
        new StructType().add("customer_id", DataTypes.StringType).add("similar_customer_id", DataTypes.StringType)
            .add("similarity", DataTypes.DoubleType));
    StructType cp = new StructType().add("customer_id", DataTypes.StringType).add("product_id", DataTypes.StringType)
        .add("last_ts", DataTypes.TimestampType).add("days_since_last", DataTypes.DoubleType);
    Timestamp t = Timestamp.valueOf("2011-12-01 00:00:00");
    Dataset<Row> customerProducts = spark.createDataFrame(List.of(RowFactory.create("c1", "y", t, 0.0),
        RowFactory.create("c1", "w", t, 0.0), RowFactory.create("c2", "x", t, 0.0), RowFactory.create("c2", "y", t, 0.0),
        RowFactory.create("c3", "x", t, 0.0), RowFactory.create("c3", "z", t, 0.0)), cp);
    Dataset<Row> als = spark.createDataFrame(List.of(RowFactory.create("c1", "z", 0.8), RowFactory.create("c1", "q", 0.4)),
        new StructType().add("customer_id", DataTypes.StringType).add("product_id", DataTypes.StringType)
            .add("score", DataTypes.DoubleType));
    Dataset<Row> cooc = spark.createDataFrame(List.of(RowFactory.create("y", "x", 0.3), RowFactory.create("w", "q", 0.6),
        RowFactory.create("x", "y", 0.5)),
        new StructType().add("product_id", DataTypes.StringType).add("other_product_id", DataTypes.StringType)
            .add("confidence", DataTypes.DoubleType));

    Dataset<Row> popular = spark.createDataFrame(List.of(RowFactory.create("p", 1.0)),
        new StructType().add("product_id", DataTypes.StringType).add("score", DataTypes.DoubleType));
    Dataset<Row> noEase = Ease.none(spark);
    Discovery.Settings blend = settings().discovery().withWeights(0.5, 0.3, 0.2, 0, 0, 0);
    List<Row> out = Discovery.candidates(active, neighbours, customerProducts, als, cooc, popular, noEase, noEase, blend)
        .orderBy(org.apache.spark.sql.functions.col("score").desc()).collectAsList();
    assertEquals(List.of("x", "z", "q"), out.stream().map(r -> r.<String>getAs("product_id")).toList());
    assertEquals(0.6, (double) out.get(0).getAs("score"), 1e-12);
    assertEquals(0.5 / 3 + 0.3, (double) out.get(1).getAs("score"), 1e-12);
    assertEquals(0.35, (double) out.get(2).getAs("score"), 1e-12);
    assertEquals("{\"neighbours\":2}", out.get(0).getAs("reason"));
    assertEquals("{\"als\":0.8}", out.get(1).getAs("reason"));
    assertEquals("{\"co_bought_with\":\"w\"}", out.get(2).getAs("reason"));

    // what the neighbours bought long ago counts less: c2 bought x 30 days ago, with a 30-day half-life
    Dataset<Row> older = customerProducts.withColumn("days_since_last", org.apache.spark.sql.functions
        .when(org.apache.spark.sql.functions.col("customer_id").equalTo("c2"), 30.0).otherwise(0.0));
    List<Row> decayed = Discovery.candidates(active, neighbours, older, als, cooc, popular, noEase, noEase,
            settings("shoprec.job.discovery.neighbours-half-life-days", 30).discovery().withWeights(0.5, 0.3, 0.2, 0, 0, 0))
        .where("product_id = 'x'").collectAsList();
    // nb_raw(x) = 0.5 * 1/2 + 0.25 = 0.5; z: 0.25; scaled x = 1 still, so the score is unchanged
    assertEquals(0.6, (double) decayed.get(0).getAs("score"), 1e-12);

    // a popularity weight brings in what sells now: p scores 0.3 * 1.0 with the reason "popular"
    Row p = Discovery.candidates(active, neighbours, customerProducts, als, cooc, popular, noEase, noEase,
            blend.withWeights(0.5, 0.3, 0.2, 0.3, 0, 0))
        .where("product_id = 'p'").first();
    assertEquals(0.3, (double) p.getAs("score"), 1e-12);
    assertEquals("{\"popular\":1.0}", p.getAs("reason"));

    // EASE's scores are scaled by the customer's best one: z 0.2 / 0.4 = 0.5, x 1 (the reason names the purchase
    // that weighs most); y, bought, never comes back
    Dataset<Row> ease = spark.createDataFrame(List.of(RowFactory.create("c1", "x", 0.4, "w"),
        RowFactory.create("c1", "z", 0.2, "y"), RowFactory.create("c1", "y", 0.9, "w")), Ease.SCHEMA);
    Map<String, Row> withEase = byProduct(Discovery.candidates(active, neighbours, customerProducts, als, cooc,
        popular, ease, noEase, blend.withWeights(0, 0, 0, 0, 1, 0)));
    assertEquals(Set.of("x", "z"), withEase.keySet());
    assertEquals(1.0, (double) withEase.get("x").getAs("score"), 1e-12);
    assertEquals(0.5, (double) withEase.get("z").getAs("score"), 1e-12);
    assertEquals("{\"because_you_bought\":\"w\"}", withEase.get("x").getAs("reason"));
    assertEquals("{\"because_you_bought\":\"y\"}", withEase.get("z").getAs("reason"));

    // next-new's scores are scaled the same way and blended with EASE's: x 0.5 * 1 + 0.5 * 0.1 / 0.2,
    // z 0.5 * 0.5 + 0.5 * 1; the reason names the purchase of the signal that adds most (x: EASE, z: next-new)
    Dataset<Row> nextNew = spark.createDataFrame(List.of(RowFactory.create("c1", "x", 0.1, "y"),
        RowFactory.create("c1", "z", 0.2, "w")), Ease.SCHEMA);
    Map<String, Row> both = byProduct(Discovery.candidates(active, neighbours, customerProducts, als, cooc, popular,
        ease, nextNew, blend.withWeights(0, 0, 0, 0, 0.5, 0.5)));
    assertEquals(Set.of("x", "z"), both.keySet());
    assertEquals(0.75, (double) both.get("x").getAs("score"), 1e-12);
    assertEquals(0.75, (double) both.get("z").getAs("score"), 1e-12);
    assertEquals("{\"because_you_bought\":\"w\"}", both.get("x").getAs("reason"));
    assertEquals("{\"because_you_bought\":\"w\"}", both.get("z").getAs("reason"));
  }

  /**
   * c1's neighbours: c2 (0.5) bought a two days before b; c3 (0.25) bought a and d. Neighbours' signal
   * alone, no decay: a 0.75, b 0.5, d 0.25. One neighbour: c2's a and b only. One product per neighbour:
   * c2's b (its most recent) and c3's a (same day as d; the smaller id).
   */
  @Test
  void theNeighboursSignalIsBoundedToTheNearestNeighboursAndTheirRecentProducts() {
    Dataset<Row> active = spark.createDataFrame(List.of(RowFactory.create("c1")),
        new StructType().add("customer_id", DataTypes.StringType));
    Dataset<Row> neighbours = spark.createDataFrame(List.of(RowFactory.create("c1", "c2", 0.5),
            RowFactory.create("c1", "c3", 0.25)),
        new StructType().add("customer_id", DataTypes.StringType).add("similar_customer_id", DataTypes.StringType)
            .add("similarity", DataTypes.DoubleType));
    StructType cp = new StructType().add("customer_id", DataTypes.StringType).add("product_id", DataTypes.StringType)
        .add("last_ts", DataTypes.TimestampType).add("days_since_last", DataTypes.DoubleType);
    Timestamp t = Timestamp.valueOf("2011-12-01 00:00:00");
    Timestamp earlier = Timestamp.valueOf("2011-11-29 00:00:00");
    Dataset<Row> customerProducts = spark.createDataFrame(List.of(RowFactory.create("c1", "w", t, 0.0),
        RowFactory.create("c2", "a", earlier, 2.0), RowFactory.create("c2", "b", t, 0.0),
        RowFactory.create("c3", "a", t, 0.0), RowFactory.create("c3", "d", t, 0.0)), cp);
    StructType scored = new StructType().add("customer_id", DataTypes.StringType)
        .add("product_id", DataTypes.StringType).add("score", DataTypes.DoubleType);
    Dataset<Row> none = spark.createDataFrame(List.<Row>of(), scored);
    Dataset<Row> noPairs = spark.createDataFrame(List.<Row>of(), new StructType()
        .add("product_id", DataTypes.StringType).add("other_product_id", DataTypes.StringType)
        .add("confidence", DataTypes.DoubleType));
    Dataset<Row> noPopular = spark.createDataFrame(List.<Row>of(), new StructType()
        .add("product_id", DataTypes.StringType).add("score", DataTypes.DoubleType));
    Discovery.Settings onlyNeighbours = settings("shoprec.job.discovery.neighbours-half-life-days", 1e12)
        .discovery().withWeights(1, 0, 0, 0, 0, 0);

    java.util.function.Function<Discovery.Settings, Map<String, Double>> scores = d ->
        Discovery.candidates(active, neighbours, customerProducts, none, noPairs, noPopular, Ease.none(spark), Ease.none(spark), d).collectAsList()
            .stream().collect(Collectors.toMap(r -> r.<String>getAs("product_id"),
                r -> Math.round(r.<Double>getAs("score") * 1e6) / 1e6)); // 2^(-2 days / 1e12 days) is not 1

    assertEquals(Map.of("a", 1.0, "b", 0.666667, "d", 0.333333), scores.apply(onlyNeighbours));
    assertEquals(Map.of("a", 1.0, "b", 1.0), scores.apply(onlyNeighbours.withNeighbourBounds(1, 100)));
    assertEquals(Map.of("b", 1.0, "a", 0.5), scores.apply(onlyNeighbours.withNeighbourBounds(100, 1)));
  }

  @Test
  void alsIsSeededAndNeverProposesWhatWasBought() {
    StructType s = new StructType().add("customer_id", DataTypes.StringType).add("product_id", DataTypes.StringType)
        .add("times_bought", DataTypes.LongType);
    List<Row> rows = new java.util.ArrayList<>();
    for (int c = 0; c < 12; c++) {
      for (int p = 0; p < 10; p++) {
        if ((c + p) % 3 != 0) {
          rows.add(RowFactory.create("c" + c, "p" + p, (long) (1 + (c * p) % 4)));
        }
      }
    }
    Dataset<Row> cp = spark.createDataFrame(rows, s);
    AlsFactors.Settings a = settings("shoprec.job.als.rank", 4, "shoprec.job.als.max-iter", 5,
        "shoprec.job.als.candidates-per-customer", 10).als();
    Dataset<Row> prefs = cp.withColumnRenamed("times_bought", "preference");
    AlsFactors.Result first = AlsFactors.train(prefs, a, 5);
    AlsFactors.Result second = AlsFactors.train(prefs, a, 5);

    assertEquals(12, first.customerFactors().count());
    assertEquals(4, first.productFactors().first().<Object>getList(1).size());
    assertEquals(0, first.forCustomers().join(cp, Joins.columns("customer_id", "product_id")).count());
    assertTrue(first.forCustomers().count() > 0);
    assertEquals(10 * 5, first.forProducts().count(), "five customers for each of ten products");
    assertEquals(first.forCustomers().orderBy("customer_id", "product_id").collectAsList(),
        second.forCustomers().orderBy("customer_id", "product_id").collectAsList(), "same seed, same answer");
  }

  /** One customer's candidates by product_id. */
  private static Map<String, Row> byProduct(Dataset<Row> candidates) {
    return candidates.collectAsList().stream().collect(Collectors.toMap(r -> r.<String>getAs("product_id"), r -> r));
  }
}

package com.shoprec.jobs.model;

import com.shoprec.jobs.model.lists.ListAssembler;
import com.shoprec.jobs.model.lists.Segments;
import com.shoprec.jobs.model.lists.WeeklyLists;
import com.shoprec.jobs.model.signals.AlsFactors;
import com.shoprec.jobs.model.signals.Ease;
import com.shoprec.jobs.model.signals.Popularity;
import com.shoprec.jobs.model.signals.RepurchaseScore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three customers, as of 2011-12-10, every order at midnight so ages are whole days:
 * <pre>
 *   c1: o1 2011-11-01 {p1, p2}   o2 2011-11-21 {p1, p1 twice in one order}   o3 2011-12-01 {p1, p3}
 *   c2: o4 2011-12-05 {p2, p3}
 *   c3: o5 2011-06-01 {p1}        (192 days ago: not active)
 * </pre>
 * Segments with heavy ≥ 4 and light &lt; 2 orders: c1 has 3 orders, all three of its products are new in
 * the last 90 days, so REGULAR_EXPLORATORY; c2 and c3 are LIGHT.
 */
class ModelsIT extends SparkTestBase {

  private static final StructType HISTORY = new StructType()
      .add("order_id", DataTypes.StringType).add("customer_id", DataTypes.StringType)
      .add("product_id", DataTypes.StringType).add("ts", DataTypes.TimestampType)
      .add("quantity", DataTypes.DoubleType).add("price", DataTypes.DoubleType);

  private static JobSettings settings;
  private static RunWindow window;
  private static BaseTables base;
  private static Dataset<Row> segments;

  @BeforeAll
  static void build() {
    settings = JobSettings.of(Map.of("shoprec.job.input.path", "x",
        "shoprec.job.segments.mode", "absolute",
        "shoprec.job.segments.heavy-min-orders", 4,
        "shoprec.job.segments.light-max-orders", 2,
        "shoprec.job.list-size", 3));
    window = new RunWindow(LocalDate.of(2011, 12, 10), ZoneId.of("UTC"), 90);
    Dataset<Row> history = spark.createDataFrame(List.of(
        line("o1", "c1", "p1", "2011-11-01"), line("o1", "c1", "p2", "2011-11-01"),
        line("o2", "c1", "p1", "2011-11-21"), line("o2", "c1", "p1", "2011-11-21"),
        line("o3", "c1", "p1", "2011-12-01"), line("o3", "c1", "p3", "2011-12-01"),
        line("o4", "c2", "p2", "2011-12-05"), line("o4", "c2", "p3", "2011-12-05"),
        line("o5", "c3", "p1", "2011-06-01")), HISTORY);
    base = BaseTables.build(history, window, settings).cache();
    segments = Segments.compute(base.customers(), settings.segments()).segments().cache();
  }

  @Test
  void customerProductStatsCountOrdersNotLines() {
    Row p1 = base.customerProducts().where("customer_id = 'c1' AND product_id = 'p1'").first();
    assertEquals(3L, (long) p1.getAs("times_bought"));
    assertEquals(4.0, (double) p1.getAs("quantity"));
    assertEquals(15.0, (double) p1.getAs("interval_days"), 1e-9);
    assertEquals(9.0, (double) p1.getAs("days_since_last"), 1e-9);
    double decayed = Math.pow(2, -39 / 90.0) + Math.pow(2, -19 / 90.0) + Math.pow(2, -9 / 90.0);
    assertEquals(decayed, (double) p1.getAs("decayed_frequency"), 1e-9);
  }

  @Test
  void alsPreferencesAreTimeDecayedOrdersOrOrderCounts() {
    // c1's p1: orders 39, 19 and 9 days before as-of (o2 lists it twice: one order)
    Row decayed = AlsFactors.preferences(base, settings.als().preferenceHalfLifeDays())
        .where("customer_id = 'c1' AND product_id = 'p1'").first();
    assertEquals(30.0, settings.als().preferenceHalfLifeDays());
    assertEquals(Math.pow(2, -39 / 30.0) + Math.pow(2, -19 / 30.0) + Math.pow(2, -9 / 30.0),
        (double) decayed.getAs("preference"), 1e-12);
    Row counts = AlsFactors.preferences(base, 0)
        .where("customer_id = 'c1' AND product_id = 'p1'").first();
    assertEquals(3.0, (double) counts.getAs("preference"));
    assertEquals(base.customerProducts().count(),
        AlsFactors.preferences(base, settings.als().preferenceHalfLifeDays()).count(),
        "one row per customer and product");
  }

  @Test
  void sharedPreferencesAreOneCachedTablePerHalfLifeUntilClosed() {
    SharedPreferences shared = new SharedPreferences(base);
    Dataset<Row> decayed = shared.of(30);
    assertTrue(decayed == shared.of(30), "ALS and EASE at the same half-life read the same table");
    assertTrue(decayed != shared.of(0));
    assertTrue(decayed.storageLevel().useMemory(), "cached");
    assertEquals(AlsFactors.preferences(base, 30).collectAsList().stream().map(Row::toString).sorted().toList(),
        decayed.collectAsList().stream().map(Row::toString).sorted().toList());
    // EASE reads it and leaves it cached for ALS
    Ease.train(decayed, settings.ease());
    assertTrue(decayed.storageLevel().useMemory(), "still cached after EASE trained on it");
    shared.close();
    assertEquals(org.apache.spark.storage.StorageLevel.NONE(), decayed.storageLevel(), "released by close");
  }

  @Test
  void alsTrainsManyIterationsOnceACheckpointDirectoryIsEnsured() {
    // Without a checkpoint directory ALS keeps its whole lineage: at 20 iterations deserializing a task
    // overflowed the stack (the evaluation's als[iter=20] did, before it ensured the directory as the weekly
    // run does).
    AlsFactors.Settings twenty = settings.als().withRankAndIterations(4, 20);
    AlsFactors.ensureCheckpointDir(spark, twenty);
    assertTrue(spark.sparkContext().getCheckpointDir().isDefined());
    AlsFactors.Result r = AlsFactors.train(AlsFactors.preferences(base, twenty.preferenceHalfLifeDays()), twenty, 2);
    assertEquals(3L, r.customerFactors().count(), "a factor vector per customer");
  }

  @Test
  void segmentsFollowTheThresholds() {
    Map<String, String> bySegment = segments.collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1)));
    assertEquals(Map.of("c1", "REGULAR_EXPLORATORY", "c2", "LIGHT", "c3", "LIGHT"), bySegment);
    Row c1 = segments.where("customer_id = 'c1'").first();
    assertEquals(3, (int) c1.getAs("orders"));
    assertEquals(1.0, (double) c1.getAs("new_product_share"));
  }

  @Test
  void popularityIsTimeDecayedAndScaledToTheTop() {
    List<Row> all = Popularity.compute(base.orderLines(), segments, 30, 365, 100)
        .where("scope = 'all'").orderBy("rank").collectAsList();
    double p1 = Math.pow(2, -39 / 30.0) + Math.pow(2, -19 / 30.0) + Math.pow(2, -9 / 30.0) + Math.pow(2, -192 / 30.0);
    double p3 = Math.pow(2, -9 / 30.0) + Math.pow(2, -5 / 30.0);
    double p2 = Math.pow(2, -39 / 30.0) + Math.pow(2, -5 / 30.0);
    assertEquals(List.of("p1", "p3", "p2"), all.stream().map(r -> r.<String>getAs("product_id")).toList());
    assertEquals(1.0, (double) all.get(0).getAs("score"), 1e-9);
    assertEquals(p3 / p1, (double) all.get(1).getAs("score"), 1e-9);
    assertEquals(p2 / p1, (double) all.get(2).getAs("score"), 1e-9);
    assertEquals(4L, (long) all.get(0).getAs("orders"));
    assertEquals(2L, (long) all.get(0).getAs("customers"));

    List<Row> light = Popularity.compute(base.orderLines(), segments, 30, 365, 100)
        .where("scope = 'segment:LIGHT'").orderBy("rank").collectAsList();
    assertEquals(List.of("p2", "p3", "p1"), light.stream().map(r -> r.<String>getAs("product_id")).toList());
  }

  @Test
  void popularityPerCategoryWithACatalog() {
    Dataset<Row> catalog = spark.createDataFrame(List.of(RowFactory.create("p1", "Mugs"), RowFactory.create("p2", "Mugs"),
        RowFactory.create("p3", null)), new StructType()
        .add("product_id", DataTypes.StringType).add("category", DataTypes.StringType));
    List<Row> mugs = Popularity.compute(base.orderLines(), segments, catalog, null, 30, 365, 100)
        .where("scope = 'category:Mugs'").orderBy("rank").collectAsList();
    assertEquals(List.of("p1", "p2"), mugs.stream().map(r -> r.<String>getAs("product_id")).toList());
    double p1 = Math.pow(2, -39 / 30.0) + Math.pow(2, -19 / 30.0) + Math.pow(2, -9 / 30.0) + Math.pow(2, -192 / 30.0);
    double p2 = Math.pow(2, -39 / 30.0) + Math.pow(2, -5 / 30.0);
    assertEquals(p2 / p1, (double) mugs.get(1).getAs("score"), 1e-9);
    // p3's catalog row has no category (a product with only a name): it is in no category list
    assertEquals(List.of("all", "category:Mugs"), Popularity.compute(base.orderLines(), segments, catalog, null,
        30, 365, 100).where("scope IS NULL OR scope NOT LIKE 'segment:%'").select("scope").distinct().collectAsList()
        .stream().map(r -> String.valueOf(r.getString(0))).sorted().toList());
  }

  @Test
  void popularityPerCustomerAttributeIsTheOverallListOfThoseCustomers() {
    Dataset<Row> attributes = spark.createDataFrame(List.of(RowFactory.create("c1", "F", null, "North"),
        RowFactory.create("c2", "M", null, null), RowFactory.create("c3", "F", null, null)), new StructType()
        .add("customer_id", DataTypes.StringType).add("gender", DataTypes.StringType)
        .add("age_band", DataTypes.StringType).add("region", DataTypes.StringType));
    Dataset<Row> popular = Popularity.compute(base.orderLines(), segments, null, attributes, 30, 365, 100);
    assertEquals(List.of("all", "gender:F", "gender:M", "region:North"), popular
        .where("scope NOT LIKE 'segment:%'").select("scope").distinct().collectAsList().stream()
        .map(r -> r.getString(0)).sorted().toList(), "no list for an attribute nobody has");
    // gender F: the overall list computed over c1's and c3's orders alone
    java.util.function.Function<Dataset<Row>, List<String>> rows = d -> d.orderBy("rank").collectAsList().stream()
        .map(r -> r.getAs("product_id") + " " + r.getAs("rank") + " " + Math.round((double) r.getAs("score") * 1e9)
            + " " + r.getAs("orders") + " " + r.getAs("customers")).toList();
    Dataset<Row> womensOrders = base.orderLines().where("customer_id IN ('c1', 'c3')");
    assertEquals(rows.apply(Popularity.compute(womensOrders, segments, 30, 365, 100).where("scope = 'all'")),
        rows.apply(popular.where("scope = 'gender:F'")));
    assertEquals(rows.apply(Popularity.compute(base.orderLines().where("customer_id = 'c1'"), segments, 30, 365, 100)
        .where("scope = 'all'")), rows.apply(popular.where("scope = 'region:North'")));
  }

  @Test
  void listsOfActiveCustomers() {
    Dataset<Row> popular = Popularity.compute(base.orderLines(), segments, 30, 365, 100);
    List<ListAssembler.Candidate> overall = popular.where("scope = 'all'").orderBy("rank").collectAsList().stream()
        .map(r -> new ListAssembler.Candidate(r.getAs("product_id"), r.getAs("score"), null)).toList();
    ListAssembler assembler = new ListAssembler(3, settings.segments().discoveryShare(), overall);
    Dataset<Row> active = segments.where(org.apache.spark.sql.functions.col("last_order_at")
        .geq(org.apache.spark.sql.functions.lit(window.activeSince()))).select("customer_id", "segment");
    Dataset<Row> noDiscovery = spark.createDataFrame(List.of(), new StructType()
        .add("customer_id", DataTypes.StringType).add("product_id", DataTypes.StringType)
        .add("score", DataTypes.DoubleType).add("reason", DataTypes.StringType));

    Dataset<Row> lists = WeeklyLists.build(active, RepurchaseScore.candidates(base.customerProducts(), settings.repurchase()),
        noDiscovery, base.customerProducts(), assembler, 3);
    Map<String, List<String>> items = new HashMap<>();
    Map<String, List<String>> sources = new HashMap<>();
    for (Row r : WeeklyLists.rows(lists, window.week()).orderBy("customer_id", "rank").collectAsList()) {
      items.computeIfAbsent(r.getAs("customer_id"), k -> new java.util.ArrayList<>()).add(r.getAs("product_id"));
      sources.computeIfAbsent(r.getAs("customer_id"), k -> new java.util.ArrayList<>()).add(r.getAs("source"));
    }
    // c1: p1 bought 3 times, due 9/15 -> 2.03; p3 once 9 days ago -> 0.70; p2 once 39 days ago -> 0.56
    assertEquals(List.of("p1", "p3", "p2"), items.get("c1"));
    assertEquals(List.of("repurchase", "repurchase", "repurchase"), sources.get("c1"));
    // c2: p2 and p3 tie (one order), broken by id; then the most popular product it has not bought
    assertEquals(List.of("p2", "p3", "p1"), items.get("c2"));
    assertEquals(List.of("repurchase", "repurchase", "popular"), sources.get("c2"));
    assertEquals(2, items.size(), "c3 is not active");

    Row c1Top = WeeklyLists.rows(lists, window.week()).where("customer_id = 'c1' AND rank = 1").first();
    assertEquals("{\"source_score\":1.0,\"times_bought\":3,\"last_bought\":\"2011-12-01\"}", c1Top.getAs("reason"));
    assertEquals("2011_W49", c1Top.getAs("week"));
    assertEquals(1.0, (double) c1Top.getAs("score"));
  }

  private static Row line(String order, String customer, String product, String day) {
    return RowFactory.create(order, customer, product, Timestamp.valueOf(day + " 00:00:00"), 1.0, 1.0);
  }
}

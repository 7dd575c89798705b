package com.shoprec.jobs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.shoprec.jobs.SparkTestBase;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Four customers, every order at midnight of January 2011 (day of month shown):
 * <pre>
 *   c1: o11 1 {a, b}   o12 5 {a, a, c}   o13 10 {a, d}
 *   c2: o21 2 {b}      o22 3 {b, c}      o23 4 {c, e}   o24 8 {b, e, f}
 *   c3: o31 1 {x}      o32 6 {a}                             (2 baskets: not evaluated by last-basket)
 *   c4: o42 1 {a}      o40 9 {b}         o41 9 {c}           (same time: o40 before o41 by order_id)
 * </pre>
 * last-basket: history baskets c1 {a,b} {a,c}; c2 {b} {b,c} {c,e}; c4 {a} {b}; tests c1 {a,d},
 * c2 {b,e,f}, c4 {c}. G-TopFreq counts b 4, a 3, c 3, e 1 → [b, a, c, e]; P-TopFreq c1 [a, b, c],
 * c2 [b, c, e] (b before c: bought first), c4 [a, b]; GP-TopFreq at 3 fills c4 with c.
 * <p>GP-TopFreq at K = 3: c1 hits a at 0 (a repeat, d explore); c2 hits b at 0 and e at 2 (both repeat,
 * f explore); c4 hits c at 2 (explore).
 */
class EvaluatorIT extends SparkTestBase {

  private static final double EPS = 1e-9;
  private static final StructType ORDERS = new StructType()
      .add("order_id", DataTypes.StringType).add("customer_id", DataTypes.StringType)
      .add("product_id", DataTypes.StringType).add("ts", DataTypes.TimestampType)
      .add("quantity", DataTypes.StringType);

  private static Dataset<Row> orders;
  private static Split split;

  @BeforeAll
  static void build() {
    List<Row> rows = new ArrayList<>();
    add(rows, "o11", "c1", 1, "a", "b");
    add(rows, "o12", "c1", 5, "a", "a", "c");
    add(rows, "o13", "c1", 10, "a", "d");
    add(rows, "o21", "c2", 2, "b");
    add(rows, "o22", "c2", 3, "b", "c");
    add(rows, "o23", "c2", 4, "c", "e");
    add(rows, "o24", "c2", 8, "b", "e", "f");
    add(rows, "o31", "c3", 1, "x");
    add(rows, "o32", "c3", 6, "a");
    add(rows, "o42", "c4", 1, "a");
    add(rows, "o40", "c4", 9, "b");
    add(rows, "o41", "c4", 9, "c");
    orders = spark.createDataFrame(rows, ORDERS).cache();
    split = Splits.lastBasket(orders, 3, 50).cache();
  }

  private static void add(List<Row> rows, String order, String customer, int day, String... products) {
    for (String p : products) {
      rows.add(RowFactory.create(order, customer, p, Timestamp.valueOf(String.format("2011-01-%02d 00:00:00", day)), "1"));
    }
  }

  @Test
  void lastBasketSplit() {
    assertEquals(Set.of("c1", "c2", "c4"), ids(split.customers()));
    assertEquals(Map.of("c1", Set.of("a", "d"), "c2", Set.of("b", "e", "f"), "c4", Set.of("c")),
        productsByCustomer(split.test(), "product_id"));
    assertEquals(Set.of("o11", "o12", "o21", "o22", "o23", "o42", "o40"),
        split.history().select("order_id").distinct().collectAsList().stream()
            .map(r -> r.getString(0)).collect(Collectors.toSet()));
    assertEquals(12, split.history().count(), "history keeps every line, the repeated a of o12 too");
    assertEquals(List.of("order_id", "customer_id", "product_id", "ts", "quantity"), List.of(split.history().columns()));
    assertEquals(LocalDate.of(2011, 1, 10), split.cutoff());
    assertEquals("last-basket", split.protocol());
  }

  @Test
  void lastBasketBoundsAreInclusive() {
    Split atMost3 = Splits.lastBasket(orders, 3, 3);
    assertEquals(Set.of("c1", "c4"), ids(atMost3.customers()));
    Split twoOrMore = Splits.lastBasket(orders, 2, 4);
    assertEquals(Set.of("c1", "c2", "c3", "c4"), ids(twoOrMore.customers()));
  }

  @Test
  void timeSplit() {
    Split t = Splits.timeSplit(orders, LocalDate.of(2011, 1, 5), 4);
    assertEquals(Set.of("c1", "c2", "c3"), ids(t.customers()));
    assertEquals(Map.of("c1", Set.of("a", "c"), "c2", Set.of("b", "e", "f"), "c3", Set.of("a")),
        productsByCustomer(t.test(), "product_id"));
    assertEquals(Set.of("o11", "o21", "o22", "o23", "o31", "o42"),
        t.history().select("order_id").distinct().collectAsList().stream()
            .map(r -> r.getString(0)).collect(Collectors.toSet()));
    assertEquals(LocalDate.of(2011, 1, 5), t.cutoff());
    // default T: the day after the last order (11th) minus 7 days
    assertEquals(LocalDate.of(2011, 1, 4), Splits.defaultTimeSplitDate(orders, 7));
    assertEquals(LocalDate.of(2011, 1, 4), Splits.timeSplit(orders, null, 7).cutoff());
  }

  @Test
  void weeklyCutoffsAreOldestFirstAndDoNotOverlap() {
    assertEquals(List.of(LocalDate.of(2011, 11, 19), LocalDate.of(2011, 11, 26), LocalDate.of(2011, 12, 3)),
        Splits.weeklyCutoffs(LocalDate.of(2011, 12, 3), 3, 7));
    assertEquals(List.of(LocalDate.of(2011, 12, 3)), Splits.weeklyCutoffs(LocalDate.of(2011, 12, 3), 1, 7));
    // two 4-day periods: days 1-4 and 5-8, each customer measured in the period after its own history
    List<LocalDate> two = Splits.weeklyCutoffs(LocalDate.of(2011, 1, 5), 2, 4);
    assertEquals(List.of(LocalDate.of(2011, 1, 1), LocalDate.of(2011, 1, 5)), two);
    assertEquals(Set.of(), ids(Splits.timeSplit(orders, two.get(0), 4).customers()), "no history before the 1st");
    assertEquals(Set.of("c1", "c2", "c3"), ids(Splits.timeSplit(orders, two.get(1), 4).customers()));
  }

  @Test
  void baselineLists() {
    assertEquals(Map.of("c1", List.of("b", "a", "c"), "c2", List.of("b", "a", "c"), "c4", List.of("b", "a", "c")),
        lists(Baselines.gTopFreq(split, 3)));
    assertEquals(Map.of("c1", List.of("a", "b", "c"), "c2", List.of("b", "c", "e"), "c4", List.of("a", "b")),
        lists(Baselines.pTopFreq(split, 3)));
    assertEquals(Map.of("c1", List.of("a", "b", "c"), "c2", List.of("b", "c", "e"), "c4", List.of("a", "b", "c")),
        lists(Baselines.gpTopFreq(split, 3)));
    assertEquals(Map.of("c1", List.of("a"), "c2", List.of("b"), "c4", List.of("a")),
        lists(Baselines.gpTopFreq(split, 1)));
  }

  @Test
  void popularProductsNotBoughtFollowGTopFreqsOrder() {
    // G-TopFreq [b, a, c, e] without each customer's history products: c1 {a, b, c}, c2 {b, c, e}, c4 {a, b}
    assertEquals(Map.of("c1", List.of("e"), "c2", List.of("a"), "c4", List.of("c", "e")),
        lists(Baselines.gTopFreqNew(split, 3)));
    assertEquals(Map.of("c1", List.of("e"), "c2", List.of("a"), "c4", List.of("c")),
        lists(Baselines.gTopFreqNew(split, 1)));
    // c4's test basket {c} is new to it and c is its first: explore hit rate 1/3 (c1's d, c2's f are missed)
    Map<String, Double> m = byKey(Evaluator.evaluate(split, Baselines.G_TOP_FREQ_NEW, Baselines.gTopFreqNew(split, 3),
        null, new int[] {3}));
    assertEquals(1.0 / 3, m.get("ALL/explore/hit_rate/3"), EPS);
  }

  @Test
  void personalTiesWithinABasketFollowLineOrderWhenGiven() {
    // c5: o51 {z (line 1), y (line 2)}, o52 {w}, o53 {v}: z and y tie on count and basket
    StructType withLines = ORDERS.add("line_no", DataTypes.LongType);
    List<Row> rows = new ArrayList<>();
    long line = 0;
    for (String[] l : new String[][] {{"o51", "z", "1"}, {"o51", "y", "1"}, {"o52", "w", "2"}, {"o53", "v", "3"}}) {
      rows.add(RowFactory.create(l[0], "c5", l[1], Timestamp.valueOf("2011-01-0" + l[2] + " 00:00:00"), "1", ++line));
    }
    Dataset<Row> lines = spark.createDataFrame(rows, withLines);
    Split byLine = Splits.lastBasket(lines, 3, 50);
    assertEquals(Map.of("c5", List.of("z", "y")), lists(Baselines.pTopFreq(byLine, 2)));
    Split byId = Splits.lastBasket(lines.drop("line_no"), 3, 50);
    assertEquals(Map.of("c5", List.of("y", "z")), lists(Baselines.pTopFreq(byId, 2)));
  }

  @Test
  void metricsOfGpTopFreq() {
    Map<String, Double> m = byKey(Evaluator.evaluate(split, "GP-TopFreq", Baselines.gpTopFreq(split, 3), null,
        new int[] {1, 3}));
    double l3 = 1 / log2(3);
    // K = 3, whole baskets: c1 {a,d}, c2 {b,e,f}, c4 {c}
    assertEquals((1 / 2.0 + 2 / 3.0 + 1) / 3, m.get("ALL/all/recall/3"), EPS);
    assertEquals((1 / (1 + l3) + 1.5 / (1.5 + l3) + 0.5) / 3, m.get("ALL/all/ndcg/3"), EPS);
    assertEquals(1.0, m.get("ALL/all/hit_rate/3"), EPS);
    assertEquals((1 + 2 + 1) / 3.0 / 3, m.get("ALL/all/precision/3"), EPS);
    assertEquals((1 / 2.0 + (1 + 2 / 3.0) / 3 + 1 / 3.0) / 3, m.get("ALL/all/map/3"), EPS);
    // K = 1: lists [a], [b], [a]
    assertEquals((1 / 2.0 + 1 / 3.0 + 0) / 3, m.get("ALL/all/recall/1"), EPS);
    assertEquals((1 / (1 + l3) + 1 / (1.5 + l3) + 0) / 3, m.get("ALL/all/ndcg/1"), EPS);
    assertEquals(2 / 3.0, m.get("ALL/all/hit_rate/1"), EPS);
    assertEquals((1 / 1.0 + 1 / 1.0 + 0) / 3, m.get("ALL/all/map/1"), EPS);
    // repeat parts: c1 {a} hit at 0, c2 {b,e} hits at 0 and 2; c4 has none
    assertEquals(1.0, m.get("ALL/repeat/recall/3"), EPS);
    assertEquals((1 + 1.5 / (1 + l3)) / 2, m.get("ALL/repeat/ndcg/3"), EPS);
    assertEquals(1.0, m.get("ALL/repeat/hit_rate/3"), EPS);
    assertEquals((1 / 3.0 + 2 / 3.0) / 2, m.get("ALL/repeat/precision/3"), EPS);
    // explore parts: c1 {d}, c2 {f} missed, c4 {c} hit at 2
    assertEquals(1 / 3.0, m.get("ALL/explore/recall/3"), EPS);
    assertEquals(0.5 / 3, m.get("ALL/explore/ndcg/3"), EPS);
    assertEquals(1 / 3.0, m.get("ALL/explore/hit_rate/3"), EPS);
    assertEquals(0.0, m.get("ALL/explore/hit_rate/1"), EPS);
    // coverage: history has a, b, c, e; lists at 3 use all four, at 1 only a and b
    assertEquals(1.0, m.get("ALL/all/coverage/3"), EPS);
    assertEquals(0.5, m.get("ALL/all/coverage/1"), EPS);
    assertFalse(m.keySet().stream().anyMatch(key -> !key.startsWith("ALL/")), "no segments given");
  }

  @Test
  void customersCountedPerPart() {
    List<Metric> results = Evaluator.evaluate(split, "GP-TopFreq", Baselines.gpTopFreq(split, 3), null, new int[] {3});
    Map<String, Long> customers = results.stream().filter(r -> r.metric().equals("recall"))
        .collect(Collectors.toMap(Metric::items, Metric::customers));
    assertEquals(Map.of("all", 3L, "repeat", 2L, "explore", 3L), customers);
  }

  @Test
  void perSegment() {
    Dataset<Row> segments = spark.createDataFrame(List.of(
            RowFactory.create("c1", "S1"), RowFactory.create("c2", "S1"), RowFactory.create("c9", "S2")),
        new StructType().add("customer_id", DataTypes.StringType).add("segment", DataTypes.StringType));
    List<Metric> results = Evaluator.evaluate(split, "GP-TopFreq", Baselines.gpTopFreq(split, 3), segments,
        new int[] {3});
    Map<String, Double> m = byKey(results);
    assertEquals((1 / 2.0 + 2 / 3.0) / 2, m.get("S1/all/recall/3"), EPS);
    assertEquals(1.0, m.get(Evaluator.NO_SEGMENT + "/all/recall/3"), EPS);
    assertEquals((1 / 2.0 + 2 / 3.0 + 1) / 3, m.get("ALL/all/recall/3"), EPS);
    assertEquals(1.0, m.get("S1/all/coverage/3"), EPS);
    assertEquals(0.75, m.get(Evaluator.NO_SEGMENT + "/all/coverage/3"), EPS);
    assertEquals(Set.of("ALL", "S1", Evaluator.NO_SEGMENT), results.stream().map(Metric::segment).collect(Collectors.toSet()));
    assertEquals("ALL", results.get(0).segment(), "ALL comes first");
  }

  @Test
  void anyRankedDatasetPlugsIn() {
    // c1: a listed twice (best rank 2 counts: a, d, z), d at 5, z at 9; c9 is not evaluated; c2 and c4 have no list
    Dataset<Row> recs = spark.createDataFrame(List.of(
            RowFactory.create("c1", "d", 5L), RowFactory.create("c1", "a", 7L), RowFactory.create("c1", "a", 2L),
            RowFactory.create("c1", "z", 9L), RowFactory.create("c9", "b", 1L)),
        new StructType().add("customer_id", DataTypes.StringType).add("product_id", DataTypes.StringType)
            .add("rank", DataTypes.LongType));
    Map<String, Double> m = byKey(Evaluator.evaluate(split, "custom", recs, null, new int[] {1, 3}));
    assertEquals((1 + 0 + 0) / 3.0, m.get("ALL/all/recall/3"), EPS); // c1 {a, d}: both hit
    assertEquals((1 / 2.0 + 0 + 0) / 3.0, m.get("ALL/all/recall/1"), EPS);
    assertEquals((2 / 3.0) / 3.0, m.get("ALL/all/precision/3"), EPS);
    // of a, d, z only a is in the history's catalog (a, b, c, e); b of c9 is not counted
    assertEquals(0.25, m.get("ALL/all/coverage/3"), EPS);
    assertEquals(0.25, m.get("ALL/all/coverage/1"), EPS);
  }

  @Test
  void evaluatorAgreesWithTheJavaFormulas() {
    int[] ks = {1, 2, 3};
    Map<String, List<String>> lists = lists(Baselines.gTopFreq(split, 3));
    Map<String, Set<String>> tests = productsByCustomer(split.test(), "product_id");
    Map<String, Double> m = byKey(Evaluator.evaluate(split, "G", Baselines.gTopFreq(split, 3), null, ks));
    for (int k : ks) {
      double recall = 0, ndcg = 0, map = 0;
      for (String c : tests.keySet()) {
        recall += RankingMetrics.recall(lists.get(c), tests.get(c), k) / tests.size();
        ndcg += RankingMetrics.ndcg(lists.get(c), tests.get(c), k) / tests.size();
        map += RankingMetrics.averagePrecision(lists.get(c), tests.get(c), k) / tests.size();
      }
      assertEquals(recall, m.get("ALL/all/recall/" + k), EPS);
      assertEquals(ndcg, m.get("ALL/all/ndcg/" + k), EPS);
      assertEquals(map, m.get("ALL/all/map/" + k), EPS);
    }
  }

  @Test
  void resultsAsEvaluationRows() {
    List<Metric> results = Evaluator.evaluate(split, "G-TopFreq", Baselines.gTopFreq(split, 3), null, new int[] {3});
    Dataset<Row> rows = EvaluationReport.toRows(spark, split.protocol(), results);
    assertEquals(List.of("protocol", "method", "segment", "items", "metric", "k", "value", "customers"),
        List.of(rows.columns()));
    assertEquals(results.size(), rows.count());
    Row first = rows.first();
    assertEquals("last-basket", first.getString(0));
    assertEquals(results.get(0).value(), first.getDouble(6), 0.0);
    assertEquals(results.get(0).customers(), first.getLong(7));
  }

  static Map<String, Double> byKey(List<Metric> results) {
    Map<String, Double> m = new TreeMap<>();
    for (Metric r : results) {
      m.put(r.segment() + "/" + r.items() + "/" + r.metric() + "/" + r.k(), r.value());
    }
    return m;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  private static Set<String> ids(Dataset<Row> customers) {
    return customers.collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Map<String, Set<String>> productsByCustomer(Dataset<Row> rows, String column) {
    return rows.collectAsList().stream().collect(Collectors.groupingBy(r -> r.getAs("customer_id"),
        Collectors.mapping(r -> r.<String>getAs(column), Collectors.toSet())));
  }

  private static Map<String, List<String>> lists(Dataset<Row> recs) {
    return recs.collectAsList().stream()
        .sorted(Comparator.comparing((Row r) -> ((Number) r.getAs("rank")).intValue()))
        .collect(Collectors.groupingBy(r -> r.getAs("customer_id"),
            Collectors.mapping(r -> r.<String>getAs("product_id"), Collectors.toList())));
  }
}

package com.shoprec.jobs.model.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Jaccard neighbours on a few literal customers whose similarities are simple fractions, each test with both
 * ways of scoring the candidate pairs (in memory and by joins).
 */
class JaccardNeighboursIT extends SparkTestBase {

  private static JaccardNeighbours.Settings settings(Object... keyValues) {
    Map<String, Object> o = new HashMap<>(Map.of("shoprec.job.input.path", "x"));
    for (int i = 0; i < keyValues.length; i += 2) {
      o.put("shoprec.job.neighbours." + keyValues[i], keyValues[i + 1]);
    }
    return JobSettings.of(o).neighbours();
  }

  /** Rows "customer:product,product,..." (an extra column, to be ignored). */
  private Dataset<Row> purchases(String... customers) {
    StructType schema = new StructType().add("customer_id", DataTypes.StringType)
        .add("product_id", DataTypes.StringType).add("quantity", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (String c : customers) {
      String[] parts = c.split(":");
      for (String p : parts[1].split(",")) {
        rows.add(RowFactory.create(parts[0], p, 1));
      }
    }
    return spark.createDataFrame(rows, schema);
  }

  /**
   * c1 {p1,p2,p3}, c2 {p1,p2,p3,p4}, c3 {p1,p5}, c4 {p5,p6}, c5 {p6} (c1's p2 twice). Similarities:
   * c1–c2 3/4, c1–c3 1/4, c2–c3 1/5, c3–c4 1/3, c4–c5 1/2; every other pair 0.
   */
  private Dataset<Row> fiveCustomers() {
    return purchases("c1:p1,p2,p3,p2", "c2:p1,p2,p3,p4", "c3:p1,p5", "c4:p5,p6", "c5:p6");
  }

  /** "customer>similar" → "similarity rank common". */
  private static Map<String, String> byPair(Dataset<Row> neighbours) {
    assertEquals(List.of("customer_id", "similar_customer_id", "similarity", "rank", "common_products"),
        List.of(neighbours.columns()));
    Map<String, String> m = new HashMap<>();
    for (Row r : neighbours.collectAsList()) {
      m.put(r.getString(0) + ">" + r.getString(1), r.getDouble(2) + " " + r.getInt(3) + " " + r.getInt(4));
    }
    return m;
  }

  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void exactSimilaritiesRanksAndCommonProductsAboveTheThreshold(JaccardNeighbours.Scoring scoring) {
    JaccardNeighbours.Result r = JaccardNeighbours.compute(fiveCustomers(), settings("min-similarity", 0.22), scoring);
    // c2–c3 at 1/5 is under 0.22
    assertEquals(Map.of(
        "c1>c2", 0.75 + " 1 3", "c1>c3", 0.25 + " 2 1",
        "c2>c1", 0.75 + " 1 3",
        "c3>c4", 1.0 / 3 + " 1 1", "c3>c1", 0.25 + " 2 1",
        "c4>c5", 0.5 + " 1 1", "c4>c3", 1.0 / 3 + " 2 1",
        "c5>c4", 0.5 + " 1 1"), byPair(r.neighbours()));
    JaccardNeighbours.Stats st = r.stats();
    assertEquals(5, st.customers());
    assertEquals(8, st.keptPairs());
    // pairs meeting on a product: c1c2, c1c3, c2c3, c3c4, c4c5; all pass the size bound at 0.22
    assertEquals(5, st.candidatePairs());
    assertEquals(3, st.largestDegree());
    assertEquals(0, st.cappedProducts());
    assertEquals(0, st.cappedCustomers());
  }

  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void lowerThresholdKeepsOneFifth(JaccardNeighbours.Scoring scoring) {
    Map<String, String> m = byPair(JaccardNeighbours.compute(fiveCustomers(), settings("min-similarity", 0.2), scoring)
        .neighbours());
    assertEquals(10, m.size());
    assertEquals(0.2 + " 2 1", m.get("c2>c3"));
    assertEquals(0.2 + " 3 1", m.get("c3>c2"));
  }

  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void topKKeepsTheBestPerCustomer(JaccardNeighbours.Scoring scoring) {
    Map<String, String> m = byPair(JaccardNeighbours.compute(fiveCustomers(), settings("top-k", 1), scoring)
        .neighbours());
    assertEquals(Set.of("c1>c2", "c2>c1", "c3>c4", "c4>c5", "c5>c4"), m.keySet());
    assertEquals(1.0 / 3 + " 1 1", m.get("c3>c4"));
  }

  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void tiesRankBySimilarCustomerId(JaccardNeighbours.Scoring scoring) {
    // x {q1,q2}: y {q1} and z {q2} both at 1/2
    Map<String, String> m = byPair(JaccardNeighbours.compute(purchases("x:q1,q2", "z:q2", "y:q1"), settings(), scoring)
        .neighbours());
    assertEquals(Map.of("x>y", 0.5 + " 1 1", "x>z", 0.5 + " 2 1", "y>x", 0.5 + " 1 1", "z>x", 0.5 + " 1 1"), m);
  }

  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void sizeBoundPrunesBeforeScoring(JaccardNeighbours.Scoring scoring) {
    // s {a} and l {a, b1..b4}: J = 1/5 < 0.25, pruned from sizes alone, never scored
    JaccardNeighbours.Result r = JaccardNeighbours.compute(purchases("s:a", "l:a,b1,b2,b3,b4"),
        settings("min-similarity", 0.25), scoring);
    assertEquals(0, r.stats().candidatePairs());
    assertEquals(0, r.stats().keptPairs());
  }

  /**
   * "pop" has six buyers, over the cap of 3: d3..d6 {pop} (one product each) fill the cap, so d1 {pop,x} and
   * d2 {pop,x,y} leave pop's list; they still meet through x, and their similarity counts pop: 2/3. One of
   * d3..d6 (seeded) is left out of pop's list and finds no one; d1 no longer finds d3..d6 (J 1/2): the cap
   * costs recall, never exactness.
   */
  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void pairsFoundThroughOtherProductsWhenABuyerListIsCappedAreExact(JaccardNeighbours.Scoring scoring) {
    assertCappedAtThree(JaccardNeighbours.compute(
        purchases("d1:pop,x", "d2:pop,x,y", "d3:pop", "d4:pop", "d5:pop", "d6:pop"),
        settings("max-buyers-per-product", 3), scoring));
  }

  /**
   * The same shop under a budget of one pair per customer (6 pairs): pop's 6 index entries and x's 2 emit
   * C(min(6, c), 2) + C(min(2, c), 2) pairs at cap c, 4 at c = 3 and 7 at c = 4, so the job lowers the
   * configured cap of 300 to 3, with the same neighbours as the fixed cap of 3.
   */
  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void thePairBudgetLowersTheBuyerCap(JaccardNeighbours.Scoring scoring) {
    assertCappedAtThree(JaccardNeighbours.compute(
        purchases("d1:pop,x", "d2:pop,x,y", "d3:pop", "d4:pop", "d5:pop", "d6:pop"),
        settings("max-pairs-per-customer", 1), scoring));
  }

  private void assertCappedAtThree(JaccardNeighbours.Result r) {
    Map<String, String> m = byPair(r.neighbours());
    assertEquals(2.0 / 3 + " 1 2", m.get("d1>d2"));
    assertEquals(2.0 / 3 + " 1 2", m.get("d2>d1"));
    Set<String> singles = new TreeSet<>();
    for (String pair : m.keySet()) {
      if (!pair.startsWith("d1") && !pair.startsWith("d2")) {
        singles.add(pair.substring(0, 2));
        assertEquals(1.0 + " ", m.get(pair).substring(0, 4));
      }
    }
    assertEquals(3, singles.size(), singles.toString());
    assertEquals(2 + 3 * 2, m.size());
    assertEquals(new JaccardNeighbours.Stats(6, 1 + 3, 8, 3, 6, 1, 0, 3 + 1), r.stats());
  }

  /**
   * With at most one product per customer in the index, f1 {a,b} and f2 {a,b} enter with their rarer a
   * (2 buyers, b has 3) and still score 1 over both products; f3 {b} is alone in b's list, so f1–f3 (1/2)
   * is not found.
   */
  @ParameterizedTest
  @EnumSource(value = JaccardNeighbours.Scoring.class, names = {"IN_MEMORY", "BY_JOINS"})
  void customersOverTheProductCapEnterWithTheirRarestProducts(JaccardNeighbours.Scoring scoring) {
    JaccardNeighbours.Result r = JaccardNeighbours.compute(purchases("f1:a,b", "f2:b,a", "f3:b"),
        settings("max-products-per-customer", 1), scoring);
    assertEquals(Map.of("f1>f2", 1.0 + " 1 2", "f2>f1", 1.0 + " 1 2"), byPair(r.neighbours()));
    assertEquals(2, r.stats().cappedCustomers());
  }
}

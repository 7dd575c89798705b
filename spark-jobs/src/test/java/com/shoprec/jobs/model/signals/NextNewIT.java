package com.shoprec.jobs.model.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.shoprec.jobs.SparkTestBase;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The next-new regression against a hand computation and against a dense weighted least squares done here. */
class NextNewIT extends SparkTestBase {

  private static final StructType LINES = new StructType().add("customer_id", DataTypes.StringType)
      .add("product_id", DataTypes.StringType).add("order_id", DataTypes.StringType)
      .add("ts", DataTypes.TimestampType).add("age_days", DataTypes.DoubleType);
  private static final long DAY = 86_400_000L;
  private static final long AS_OF = Timestamp.valueOf("2011-12-10 00:00:00").getTime();

  /**
   * Every order weighs 1 (half-life 0), λ = 1. u1 buys p0, then p1; u2 buys p0, p0 again (nothing new: not a
   * row), then p1 and p2 together. Rows: (x p0 → y p1) and (x p0 → y p1, p2). XᵀX = diag(2, 0, 0), XᵀY[p0] =
   * (0, 2, 1), so B[p0] = (0, 2/3, 1/3): u3, who bought p0 only, gets p1 (2/3) and p2 (1/3), because of p0.
   * u1, who bought p0 and p1, gets p2 (1/3, from p0: nobody moved on from p1); u2 bought all three.
   */
  @Test
  void threeProductsByHand() {
    List<Row> lines = List.of(line("u1", "p0", "o1", 30), line("u1", "p1", "o2", 20),
        line("u2", "p0", "o3", 30), line("u2", "p0", "o4", 25), line("u2", "p1", "o5", 10), line("u2", "p2", "o5", 10),
        line("u3", "p0", "o6", 5));
    Dataset<Row> orderLines = spark.createDataFrame(lines, LINES);
    Dataset<Row> customerProducts = orderLines.select("customer_id", "product_id").distinct();
    List<Row> out = NextNew.forCustomers(orderLines, customerProducts, customerProducts.select("customer_id").distinct(),
        new NextNew.Settings(10, 1.0, 0, 5)).orderBy("customer_id", "product_id").collectAsList();
    assertEquals(List.of("u1", "p2"), List.of(out.get(0).getString(0), out.get(0).getString(1)), out.toString());
    assertEquals(3, out.size(), out.toString());
    // u1 bought p0 and p1: p2 scores B[p0][p2] + B[p1][p2] = 1/3 + 0
    assertEquals(1.0 / 3, out.get(0).getDouble(2), 1e-7);
    assertEquals(List.of("u3", "p1", "p0"), List.of(out.get(1).getString(0), out.get(1).getString(1),
        out.get(1).getString(3)));
    assertEquals(2.0 / 3, out.get(1).getDouble(2), 1e-7);
    assertEquals(List.of("u3", "p2"), List.of(out.get(2).getString(0), out.get(2).getString(1)));
    assertEquals(1.0 / 3, out.get(2).getDouble(2), 1e-7);
  }

  @Test
  void anOrderWeighsHalfPerHalfLifeOfAge() {
    assertEquals(1L << NextNew.WEIGHT_BITS, NextNew.weight(0, 30));
    assertEquals(1L << (NextNew.WEIGHT_BITS - 1), NextNew.weight(30, 30));
    assertEquals(1L << (NextNew.WEIGHT_BITS - 3), NextNew.weight(90, 30));
    assertEquals(1L << NextNew.WEIGHT_BITS, NextNew.weight(400, 0));
  }

  /**
   * 30 customers with 2 to 6 orders over 8 products, ages multiples of the half-life (weights exact), the model
   * capped to the 6 products with most buyers: every customer's candidates, scores and contributing purchase
   * equal a dense weighted least squares computed here from the rows themselves, and the same bits come out
   * however the lines are partitioned.
   */
  @Test
  void matchesADenseWeightedLeastSquaresOnTheProductsWithMostBuyers() {
    Random random = new Random(11);
    List<Row> lines = new ArrayList<>();
    Map<String, List<Set<Integer>>> orders = new TreeMap<>();
    Map<String, List<Integer>> ages = new TreeMap<>();
    for (int c = 0; c < 30; c++) {
      String customer = "c" + c;
      int count = 2 + random.nextInt(5);
      int age = 30 * (count + random.nextInt(3));
      for (int o = 0; o < count; o++, age -= 30) {
        Set<Integer> basket = new HashSet<>();
        for (int p = 0; p < 8; p++) {
          if (random.nextDouble() < 0.45 - p * 0.04) {
            basket.add(p);
          }
        }
        if (basket.isEmpty()) {
          basket.add(random.nextInt(8));
        }
        orders.computeIfAbsent(customer, k -> new ArrayList<>()).add(basket);
        ages.computeIfAbsent(customer, k -> new ArrayList<>()).add(age);
        for (int p : basket) {
          lines.add(line(customer, "p" + p, customer + "-o" + o, age));
        }
      }
    }
    Map<Integer, Integer> buyers = new HashMap<>();
    orders.values().forEach(os -> os.stream().flatMap(Set::stream).distinct().forEach(p -> buyers.merge(p, 1, Integer::sum)));
    List<Integer> chosen = buyers.keySet().stream()
        .sorted(Comparator.<Integer>comparingInt(p -> -buyers.get(p)).thenComparing(p -> "p" + p)).limit(6).toList();
    int n = chosen.size();

    // the rows: each order after the first that buys a chosen product new, x = chosen products bought before
    double lambda = 2;
    double halfLife = 30;
    double[][] a = new double[n][n];
    double[][] xy = new double[n][n];
    for (String customer : orders.keySet()) {
      Set<Integer> before = new HashSet<>();
      List<Set<Integer>> os = orders.get(customer);
      for (int o = 0; o < os.size(); o++) {
        Set<Integer> fresh = new HashSet<>();
        for (int j = 0; j < n; j++) {
          if (os.get(o).contains(chosen.get(j)) && !before.contains(j)) {
            fresh.add(j);
          }
        }
        if (o > 0 && !fresh.isEmpty()) {
          double w = Math.pow(2, -ages.get(customer).get(o) / halfLife);
          for (int i : before) {
            for (int j : before) {
              a[i][j] += w;
            }
            for (int j : fresh) {
              xy[i][j] += w;
            }
          }
        }
        before.addAll(fresh);
      }
    }
    for (int i = 0; i < n; i++) {
      a[i][i] += lambda;
    }
    double[][] b = multiply(EaseIT.inverse(a), xy);
    Map<String, Map<String, double[]>> expected = new TreeMap<>();
    for (String customer : orders.keySet()) {
      Set<Integer> own = new HashSet<>();
      orders.get(customer).forEach(basket -> basket.forEach(p -> own.add(p)));
      for (int j = 0; j < n; j++) {
        if (own.contains(chosen.get(j))) {
          continue;
        }
        double s = 0;
        int from = -1;
        for (int i = 0; i < n; i++) {
          if (own.contains(chosen.get(i))) {
            s += b[i][j];
            if (from < 0 || b[i][j] > b[from][j]) {
              from = i;
            }
          }
        }
        if (s > 0) {
          expected.computeIfAbsent(customer, k -> new TreeMap<>()).put("p" + chosen.get(j),
              new double[] {s, chosen.get(from)});
        }
      }
    }
    assertFalse(expected.isEmpty());

    Dataset<Row> orderLines = spark.createDataFrame(lines, LINES);
    Dataset<Row> customerProducts = orderLines.select("customer_id", "product_id").distinct();
    Dataset<Row> everyone = customerProducts.select("customer_id").distinct();
    NextNew.Settings settings = new NextNew.Settings(6, lambda, halfLife, 100);
    EaseIT.assertCandidates(expected, NextNew.forCustomers(orderLines, customerProducts, everyone, settings));

    List<Row> one = NextNew.forCustomers(orderLines.repartition(1), customerProducts, everyone, settings)
        .orderBy("customer_id", "product_id").collectAsList();
    List<Row> five = NextNew.forCustomers(orderLines.repartition(5), customerProducts.repartition(3), everyone,
        settings).orderBy("customer_id", "product_id").collectAsList();
    assertEquals(one, five);
  }

  private static Row line(String customer, String product, String order, int ageDays) {
    return RowFactory.create(customer, product, order, new Timestamp(AS_OF - ageDays * DAY), (double) ageDays);
  }

  private static double[][] multiply(double[][] x, double[][] y) {
    int n = x.length;
    double[][] z = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < n; k++) {
        for (int j = 0; j < n; j++) {
          z[i][j] += x[i][k] * y[k][j];
        }
      }
    }
    return z;
  }
}

package com.shoprec.jobs.model.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;

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

/** EASE against a hand computation and against a plain Gauss-Jordan inverse written here. */
class EaseIT extends SparkTestBase {

  private static final StructType PREFERENCES = new StructType().add("customer_id", DataTypes.StringType)
      .add("product_id", DataTypes.StringType).add("preference", DataTypes.DoubleType);

  /**
   * Two products: u1 prefers p0 1.0 and p1 0.5, u2 p0 1.0. XᵀX = [[2, 0.5], [0.5, 0.25]]; with λ = 1, P is
   * [[1.25, −0.5], [−0.5, 3]] / det, so B[p0][p1] = −P01 / P11 = 0.5 / 3. u2, who bought p0 only, gets p1 with
   * 1/6, because of p0; u1 bought both and gets nothing.
   */
  @Test
  void twoProductsByHand() {
    Dataset<Row> prefs = preferences(List.of(RowFactory.create("u1", "p0", 1.0), RowFactory.create("u1", "p1", 0.5),
        RowFactory.create("u2", "p0", 1.0)));
    List<Row> out = Ease.forCustomers(prefs, prefs, customers("u1", "u2"), new Ease.Settings(10, 1.0, 30, 5))
        .collectAsList();
    assertEquals(1, out.size(), out.toString());
    Row r = out.get(0);
    assertEquals(List.of("u2", "p1", "p0"), List.of(r.getString(0), r.getString(1), r.getString(3)));
    assertEquals(1.0 / 6, r.getDouble(2), 1e-7);
  }

  /**
   * 40 customers over 9 products with random preferences (multiples of 1/1024, exact in the model's fixed
   * point), the model capped to the 7 products with most buyers: every customer's candidates, scores and
   * contributing purchase equal a dense computation done here, and nothing else comes out.
   */
  @Test
  void matchesADenseComputationOnTheProductsWithMostBuyers() {
    Random random = new Random(7);
    List<Row> rows = new ArrayList<>();
    Map<String, Map<Integer, Double>> x = new TreeMap<>();
    for (int c = 0; c < 40; c++) {
      String customer = "c" + c;
      for (int p = 0; p < 9; p++) {
        // product p is bought with probability falling with p: p7 and p8 have the fewest buyers
        if (random.nextDouble() < 0.75 - p * 0.07) {
          double pref = (1 + random.nextInt(4096)) / 1024.0;
          rows.add(RowFactory.create(customer, "p" + p, pref));
          x.computeIfAbsent(customer, k -> new TreeMap<>()).put(p, pref);
        }
      }
    }
    Map<Integer, Integer> buyers = new HashMap<>();
    x.values().forEach(m -> m.keySet().forEach(p -> buyers.merge(p, 1, Integer::sum)));
    List<Integer> chosen = buyers.keySet().stream()
        .sorted(Comparator.<Integer>comparingInt(p -> -buyers.get(p)).thenComparing(p -> "p" + p)).limit(7).toList();

    double lambda = 3;
    int n = chosen.size();
    double[][] g = new double[n][n];
    for (Map<Integer, Double> m : x.values()) {
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          g[a][b] += m.getOrDefault(chosen.get(a), 0.0) * m.getOrDefault(chosen.get(b), 0.0);
        }
      }
    }
    for (int a = 0; a < n; a++) {
      g[a][a] += lambda;
    }
    double[][] p = inverse(g);
    Map<String, Map<String, double[]>> expected = new TreeMap<>(); // customer -> product -> {score, from}
    for (Map.Entry<String, Map<Integer, Double>> e : x.entrySet()) {
      Set<Integer> own = new HashSet<>();
      for (int a = 0; a < n; a++) {
        if (e.getValue().containsKey(chosen.get(a))) {
          own.add(a);
        }
      }
      for (int j = 0; j < n; j++) {
        if (own.contains(j) || e.getValue().containsKey(chosen.get(j))) {
          continue;
        }
        double s = 0;
        int from = -1;
        for (int i : own) {
          double w = -p[i][j] / p[j][j];
          s += w;
          if (from < 0 || w > -p[from][j] / p[j][j]) {
            from = i;
          }
        }
        if (s > 0) {
          expected.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put("p" + chosen.get(j),
              new double[] {s, chosen.get(from)});
        }
      }
    }
    assertFalse(expected.isEmpty());

    Dataset<Row> prefs = preferences(rows);
    Dataset<Row> everyone = prefs.select("customer_id").distinct();
    Ease.Settings settings = new Ease.Settings(7, lambda, 30, 100);
    assertCandidates(expected, Ease.forCustomers(prefs, prefs, everyone, settings));

    // the same bits however the rows are partitioned; the best k only, best first by score
    List<Row> one = Ease.forCustomers(prefs.repartition(1), prefs, everyone, settings).orderBy("customer_id",
        "product_id").collectAsList();
    List<Row> five = Ease.forCustomers(prefs.repartition(5), prefs.repartition(3), everyone, settings)
        .orderBy("customer_id", "product_id").collectAsList();
    assertEquals(one, five);
    Map<String, Long> perCustomer = new HashMap<>();
    Ease.forCustomers(prefs, prefs, everyone, new Ease.Settings(7, lambda, 30, 1)).collectAsList()
        .forEach(r -> perCustomer.merge(r.getString(0), 1L, Long::sum));
    assertEquals(expected.keySet(), perCustomer.keySet());
    assertTrue(perCustomer.values().stream().allMatch(v -> v == 1));
  }

  /**
   * {@code candidates} (customer_id, product_id, score, from_product_id, products named "p" + number) are exactly
   * {@code expected}: customer → product → {score (to 1e-5), number of the purchase that weighs most}.
   */
  static void assertCandidates(Map<String, Map<String, double[]>> expected, Dataset<Row> candidates) {
    Map<String, Map<String, double[]>> actual = new TreeMap<>();
    for (Row r : candidates.collectAsList()) {
      actual.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1),
          new double[] {r.getDouble(2), Integer.parseInt(r.getString(3).substring(1))});
    }
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((customer, products) -> {
      assertEquals(products.keySet(), actual.get(customer).keySet(), customer);
      products.forEach((product, v) -> {
        double[] a = actual.get(customer).get(product);
        assertEquals(v[0], a[0], 1e-5, customer + " " + product);
        assertEquals(v[1], a[1], customer + " " + product + ": the purchase that weighs most");
      });
    });
  }

  private static Dataset<Row> preferences(List<Row> rows) {
    return spark.createDataFrame(rows, PREFERENCES);
  }

  private static Dataset<Row> customers(String... ids) {
    List<Row> rows = new ArrayList<>();
    for (String id : ids) {
      rows.add(RowFactory.create(id));
    }
    return spark.createDataFrame(rows, new StructType().add("customer_id", DataTypes.StringType));
  }

  /** Gauss-Jordan with partial pivoting. */
  static double[][] inverse(double[][] m) {
    int n = m.length;
    double[][] a = new double[n][2 * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(m[i], 0, a[i], 0, n);
      a[i][n + i] = 1;
    }
    for (int c = 0; c < n; c++) {
      int pivot = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
          pivot = r;
        }
      }
      double[] t = a[c];
      a[c] = a[pivot];
      a[pivot] = t;
      double d = a[c][c];
      for (int k = 0; k < 2 * n; k++) {
        a[c][k] /= d;
      }
      for (int r = 0; r < n; r++) {
        if (r != c) {
          double f = a[r][c];
          for (int k = 0; k < 2 * n; k++) {
            a[r][k] -= f * a[c][k];
          }
        }
      }
    }
    double[][] inv = new double[n][n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a[i], n, inv[i], 0, n);
    }
    return inv;
  }
}

package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.struct;


import dev.ludovic.netlib.lapack.LAPACK;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.netlib.util.intW;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a customer buys new next: a linear regression, in closed form, from the products a customer had bought
 * before an order to the products that order bought for the first time. Where {@link Ease} learns which
 * products go with which (every purchase predicts every other), this learns, from each customer's own sequence of
 * orders, which products people move on to after the ones they have: the explore items a next-basket
 * evaluation counts.
 *
 * <p>One row per order (after a customer's first) that bought a product new to that customer: x holds 1 for
 * each product bought before that order, y 1 for each product it bought new, and the row weighs
 * {@code w = 2^(−age of the order / basket-half-life-days)} (recent moves count most; 0: every order alike).
 * {@code B = (XᵀWX + λI)⁻¹ XᵀWY}; a customer's score for product j is {@code Σ B[i][j]} over the products i it
 * bought (as {@link Ease}, whose scoring and output this shares: {@code from_product_id} is the purchase that
 * contributes most).
 *
 * <p>Both sums come from each customer's products alone: for products i and j first bought in orders
 * {@code f_i} and {@code f_j}, {@code XᵀWX[i][j]} gains the weights of the customer's rows after both
 * ({@code t > max(f_i, f_j)}), and {@code XᵀWY[i][j]} gains {@code w(f_j)} when {@code f_i < f_j}: O(products²)
 * per customer, as EASE. A customer's orders are ordered by their earliest line, then order_id.
 *
 * <p>Only the {@code max-products} products with the most buyers are in the model. The driver solves with a
 * Cholesky factorization (LAPACK dpotrf, dpotrs); each task holds n(n+1)/2 + n² longs (3000 products: 108 MB).
 * Deterministic on any cluster: the weights are summed exactly, as longs in units of 2⁻²⁰.
 */
public final class NextNew {

  /** The model's sums take 12 n² bytes per task: 10,000 products, 1.2 GB. */
  public static final int MAX_PRODUCTS = 10_000;

  /**
   * {@code shoprec.job.next-new}: a regression from the products bought before each order to those it bought
   * new, for the {@code maxProducts} products with the most buyers, regularized by {@code lambda}; an order weighs
   * 2^(−age / basketHalfLifeDays) (0: all alike); candidatesPerCustomer: best products kept per customer.
   */
  public record Settings(int maxProducts, double lambda, double basketHalfLifeDays, int candidatesPerCustomer)
      implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.between("max-products", 2, MAX_PRODUCTS), s.positive("lambda"),
          s.nonNegative("basket-half-life-days"), s.atLeast("candidates-per-customer", 1));
    }
  }


  private static final Logger LOG = LoggerFactory.getLogger(NextNew.class);

  /** Row weights enter the sums as multiples of 2⁻²⁰. */
  static final int WEIGHT_BITS = 20;

  private NextNew() {}

  /**
   * @param orderLines customer_id, product_id, order_id, ts, age_days (every customer: the model learns from
   *                   all; {@link BaseTables#orderLines})
   * @param customerProducts customer_id, product_id (every purchase)
   * @param customers customer_id of the customers to score
   * @return customer_id, product_id, score, from_product_id, as {@link Ease#forCustomers} (computed, lineage cut)
   */
  public static Dataset<Row> forCustomers(Dataset<Row> orderLines, Dataset<Row> customerProducts,
      Dataset<Row> customers, NextNew.Settings s) {
    Ease.Model model = train(orderLines, customerProducts, s);
    if (model.size() == 0) {
      return Ease.none(orderLines.sparkSession());
    }
    return Ease.scored(model, customerProducts, customers, s.candidatesPerCustomer());
  }

  static Ease.Model train(Dataset<Row> orderLines, Dataset<Row> customerProducts, NextNew.Settings s) {
    long started = System.nanoTime();
    String[] ids = Ease.mostBought(customerProducts, s.maxProducts());
    int n = ids.length;
    if (n == 0) {
      return new Ease.Model(ids, new float[0]);
    }
    Dataset<Row> rows = orderLines.join(Ease.index(orderLines.sparkSession(), ids), "product_id")
        .groupBy("customer_id")
        .agg(collect_list(struct(col("order_id"), col("ts"), col("age_days"), col("idx"))).as("lines"));
    double halfLife = s.basketHalfLifeDays();
    long[] sums = Ease.perCore(rows)
        .mapPartitions((FlatMapFunction<Iterator<Row>, long[]>) it -> sumsOf(it, n, halfLife))
        .treeReduce(Ease::add);
    float[] weights = solve(sums, n, s.lambda(), LAPACK.getInstance());
    LOG.info("next-new: {} products, lambda {}, trained in {} ms", n, s.lambda(),
        (System.nanoTime() - started) / 1_000_000);
    return new Ease.Model(ids, weights);
  }

  /** One order line of a customer: its order, when, and the product's number in the model. */
  private record Line(String order, long ts, double ageDays, int idx) {}

  /**
   * One partition's sums: {@code XᵀWX}'s upper triangle packed by columns ({@code (i, j)}, i ≤ j, at
   * {@code i + j(j+1)/2}), then {@code XᵀWY} row-major ({@code (i, j)} at {@code n(n+1)/2 + i·n + j}), in units
   * of 2⁻²⁰; rows: customer_id, lines (array of struct order_id, ts, age_days, idx).
   */
  static Iterator<long[]> sumsOf(Iterator<Row> rows, int n, double halfLifeDays) {
    if (!rows.hasNext()) {
      return java.util.Collections.emptyIterator();
    }
    int packed = Ease.packedSize(n);
    if ((long) packed + (long) n * n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("shoprec.job.next-new.max-products: " + n + " products are too many");
    }
    long[] sums = new long[packed + n * n];
    while (rows.hasNext()) {
      addCustomer(rows.next().getList(1), n, halfLifeDays, sums, packed);
    }
    return List.of(sums).iterator();
  }

  private static void addCustomer(List<Row> raw, int n, double halfLifeDays, long[] sums, int packed) {
    List<Line> lines = new ArrayList<>(raw.size());
    Map<String, Long> orderTs = new HashMap<>();
    for (Row r : raw) {
      Line line = new Line(r.getString(0), ((Timestamp) r.get(1)).getTime(), r.getDouble(2), r.getInt(3));
      lines.add(line);
      orderTs.merge(line.order(), line.ts(), Math::min);
    }
    // orders by their earliest line, then order_id; within an order, lines by product
    lines.sort(Comparator.<Line>comparingLong(l -> orderTs.get(l.order())).thenComparing(Line::order)
        .thenComparingInt(Line::idx));
    int m = 0;
    int[] products = new int[lines.size()];
    int[] first = new int[lines.size()];
    double[] orderAge = new double[lines.size()];
    boolean[] hasNew = new boolean[lines.size()];
    Map<Integer, Integer> seen = new HashMap<>();
    int order = -1;
    String current = null;
    for (Line line : lines) {
      if (!line.order().equals(current)) {
        current = line.order();
        order++;
      }
      orderAge[order] = Math.max(orderAge[order], line.ageDays());
      if (seen.putIfAbsent(line.idx(), m) == null) {
        products[m] = line.idx();
        first[m] = order;
        m++;
        hasNew[order] = true;
      }
    }
    int orders = order + 1;
    long[] rowWeight = new long[orders];
    for (int t = 1; t < orders; t++) { // the first order has nothing before it: not a row
      rowWeight[t] = hasNew[t] ? weight(orderAge[t], halfLifeDays) : 0;
    }
    // after[t]: the weights of the rows after order t
    long[] after = new long[orders];
    for (int t = orders - 2; t >= 0; t--) {
      after[t] = after[t + 1] + rowWeight[t + 1];
    }
    for (int a = 0; a < m; a++) {
      int i = products[a];
      for (int b = 0; b < m; b++) {
        int j = products[b];
        if (i <= j) {
          sums[i + (int) ((long) j * (j + 1) / 2)] += after[Math.max(first[a], first[b])];
        }
        if (first[a] < first[b]) {
          sums[packed + i * n + j] += rowWeight[first[b]];
        }
      }
    }
  }

  /** {@code 2^(−age / halfLife)} in units of 2⁻²⁰ (1 when the half-life is 0). */
  static long weight(double ageDays, double halfLifeDays) {
    double w = halfLifeDays == 0 ? 1.0 : Math.pow(2.0, -Math.max(0, ageDays) / halfLifeDays);
    return Math.max(1, Math.round(Math.scalb(w, WEIGHT_BITS)));
  }

  /** Right-hand sides per LAPACK call in {@link #solveColumns}: a fixed number, whatever the cores. */
  static final int COLUMNS_PER_SOLVE = 128;

  /**
   * Solves {@code A X = Y} for the n × n column-major {@code y} in place, given A's Cholesky factor (dpotrf's "U"),
   * {@value #COLUMNS_PER_SOLVE} columns per dpotrs call and those calls on the driver's cores at once (the factor is
   * only read). LAPACK's triangular solves treat each right-hand side on its own, so this gives the same numbers
   * as one call for all n. With netlib's Java LAPACK (no native one on the driver) that one call is seconds of a
   * single core at a few thousand products (bench/ease.sh measures it), and next-new is often the last model running.
   *
   * @return LAPACK's info: 0, or the first call's error
   */
  static int solveColumns(LAPACK lapack, int n, double[] factor, double[] y) {
    int calls = (n + COLUMNS_PER_SOLVE - 1) / COLUMNS_PER_SOLVE;
    int[] info = new int[calls];
    java.util.stream.IntStream.range(0, calls).parallel().forEach(c -> {
      int from = c * COLUMNS_PER_SOLVE;
      intW status = new intW(0);
      lapack.dpotrs("U", n, Math.min(COLUMNS_PER_SOLVE, n - from), factor, 0, n, y, from * n, n, status);
      info[c] = status.val;
    });
    return java.util.Arrays.stream(info).filter(v -> v != 0).findFirst().orElse(0);
  }

  /** {@code B = (XᵀWX + λI)⁻¹ XᵀWY}, row-major floats, diagonal 0 (a product bought is never scored). */
  static float[] solve(long[] sums, int n, double lambda, LAPACK lapack) {
    double unit = Math.scalb(1.0, -WEIGHT_BITS);
    int packed = Ease.packedSize(n);
    double[] a = Ease.regularized(sums, n, unit, lambda);
    double[] y = new double[n * n];
    for (int j = 0; j < n; j++) {
      for (int i = 0; i < n; i++) {
        y[i + j * n] = sums[packed + i * n + j] * unit;
      }
    }
    intW info = new intW(0);
    lapack.dpotrf("U", n, a, n, info);
    if (info.val == 0) {
      info.val = solveColumns(lapack, n, a, y);
    }
    if (info.val != 0) {
      throw new IllegalStateException("next-new: X'WX + lambda I is not positive definite (LAPACK info " + info.val
          + "); raise shoprec.job.next-new.lambda");
    }
    float[] b = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        b[i * n + j] = i == j ? 0f : (float) y[i + j * n];
      }
    }
    return b;
  }
}

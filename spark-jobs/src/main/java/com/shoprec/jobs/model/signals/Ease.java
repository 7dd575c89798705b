package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.SharedPreferences;
import com.shoprec.jobs.model.kernels.Batches;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.struct;


import dev.ludovic.netlib.lapack.LAPACK;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.netlib.util.intW;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): item-item weights learned in
 * closed form, {@code B = I − P diag(1 / diag P)} with {@code P = (XᵀX + λI)⁻¹} and B's diagonal 0, where row u
 * of X holds customer u's preferences for the products ({@link AlsFactors#preferences}: time-decayed order
 * counts). A customer's score for product j is {@code Σ B[i][j]} over the products i the customer bought.
 *
 * <p>Only the {@code max-products} products with the most buyers (ties to the smaller id) are in the model: the
 * driver holds XᵀX and its inverse as dense n × n matrices and inverts in O(n³) (Cholesky, LAPACK's dpotrf and
 * dpotri through the netlib binding Spark MLlib ships: native when the machine has a LAPACK, else Java).
 *
 * <p>Deterministic on any cluster: XᵀX is summed exactly, as longs, from preferences in units of 2⁻¹⁰ (the
 * order in which executors add their parts does not change a bit), and each customer's scores add B's rows in
 * product order.
 *
 * <p>Output of {@link #forCustomers} (computed, its lineage cut): customer_id, product_id, score,
 * from_product_id — for each customer its
 * {@code candidates-per-customer} best products with a positive score that it has not bought (ties to the smaller
 * product id), and the bought product that contributed most ({@code B[i][j]} largest, ties to the smaller id).
 */
public final class Ease {

  /** EASE's driver holds two dense matrices of this size squared (20,000: 3.2 GB of doubles, then 1.6 GB). */
  public static final int MAX_PRODUCTS = 20_000;

  /**
   * {@code shoprec.job.ease}: item-item weights from the customers' time-decayed preferences for the
   * {@code maxProducts} products with the most buyers, regularized by {@code lambda}; preferenceHalfLifeDays as
   * ALS's (0: order counts); candidatesPerCustomer: best products kept per customer.
   */
  public record Settings(int maxProducts, double lambda, double preferenceHalfLifeDays, int candidatesPerCustomer)
      implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.between("max-products", 2, MAX_PRODUCTS), s.positive("lambda"),
          s.nonNegative("preference-half-life-days"), s.atLeast("candidates-per-customer", 1));
    }
  }


  private static final Logger LOG = LoggerFactory.getLogger(Ease.class);

  /** Preferences enter XᵀX as multiples of 2⁻¹⁰ (so products are multiples of 2⁻²⁰, summed exactly as longs). */
  static final int PREFERENCE_BITS = 10;

  public static final StructType SCHEMA = new StructType()
      .add("customer_id", DataTypes.StringType, false)
      .add("product_id", DataTypes.StringType, false)
      .add("score", DataTypes.DoubleType, false)
      .add("from_product_id", DataTypes.StringType, false);

  /** The learned weights: {@code weights[i × n + j] = B[i][j]} for the products {@code ids} (n of them). */
  record Model(String[] ids, float[] weights) implements Serializable {
    int size() {
      return ids.length;
    }
  }

  private Ease() {}

  /** No candidate at all (a signal with no weight is not trained). */
  public static Dataset<Row> none(SparkSession spark) {
    return spark.createDataFrame(List.of(), SCHEMA);
  }

  /**
   * @param preferences customer_id, product_id, preference (every customer: the model learns from all; read twice,
   *                    so best cached: {@link SharedPreferences})
   * @param customerProducts customer_id, product_id (every purchase)
   * @param customers customer_id of the customers to score
   */
  public static Dataset<Row> forCustomers(Dataset<Row> preferences, Dataset<Row> customerProducts,
      Dataset<Row> customers, Ease.Settings s) {
    Model model = train(preferences, s);
    if (model.size() == 0) {
      return none(preferences.sparkSession());
    }
    return scored(model, customerProducts, customers, s.candidatesPerCustomer());
  }

  /**
   * Each customer's {@code k} best products by the model's weights (output as {@link #forCustomers}); also
   * {@link NextNew}'s.
   */
  static Dataset<Row> scored(Model model, Dataset<Row> customerProducts, Dataset<Row> customers, int k) {
    SparkSession spark = customerProducts.sparkSession();
    Dataset<Row> index = index(spark, model.ids());
    Dataset<Row> bought = customerProducts.select("customer_id", "product_id")
        .join(customers.select("customer_id"), "customer_id")
        .join(index, "product_id")
        .groupBy("customer_id").agg(collect_list(col("idx")).as("items"));
    Broadcast<Model> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
    // Computed here, so that the weights (n² floats on every executor) are released now, not when the
    // candidates' lineage is gone.
    Dataset<Row> scored = spark.createDataFrame(bought.javaRDD().mapPartitions(
        (FlatMapFunction<Iterator<Row>, Row>) rows -> score(rows, shared.value(), k)), SCHEMA).localCheckpoint(true);
    shared.destroy();
    return scored;
  }

  /**
   * Trains the model: chooses the products, sums XᵀX exactly, inverts it. Reads {@code preferences} twice (buyers
   * per product, then XᵀX): the job passes a cached table ({@link SharedPreferences}).
   */
  public static Model train(Dataset<Row> preferences, Ease.Settings s) {
    SparkSession spark = preferences.sparkSession();
    long started = System.nanoTime();
    String[] ids = mostBought(preferences, s.maxProducts());
    int n = ids.length;
    if (n == 0) {
      return new Model(ids, new float[0]);
    }
    Dataset<Row> rows = preferences.join(index(spark, ids), "product_id")
        .groupBy("customer_id")
        .agg(collect_list(struct(col("idx"),
            round(col("preference").multiply(1 << PREFERENCE_BITS)).cast("long").as("q"))).as("items"));
    long[] gram = perCore(rows)
        .mapPartitions((FlatMapFunction<Iterator<Row>, long[]>) it -> gramOf(it, n))
        .treeReduce(Ease::add);
    double[] p = invert(gram, n, s.lambda());
    float[] weights = weights(p, n);
    LOG.info("EASE: {} products, lambda {}, trained in {} ms", n, s.lambda(), (System.nanoTime() - started) / 1_000_000);
    return new Model(ids, weights);
  }

  /**
   * The rows in at most one partition per core ({@code spark.default.parallelism}; merged without a shuffle): each
   * partition returns a dense n²-sized sum to the reduce, so their number, not the data, sets what moves between
   * executors and how many arrays are added.
   */
  static JavaRDD<Row> perCore(Dataset<Row> rows) {
    int cores = rows.sparkSession().sparkContext().defaultParallelism();
    JavaRDD<Row> rdd = rows.javaRDD();
    return rdd.getNumPartitions() > cores ? rdd.coalesce(cores) : rdd;
  }

  /**
   * The {@code max} products with the most buyers (ties to the smaller id), best first: the products of a model.
   *
   * @param customerProducts one row per customer and product bought (customer_id, product_id, …)
   */
  static String[] mostBought(Dataset<Row> customerProducts, int max) {
    return customerProducts.groupBy("product_id").agg(count(lit(1)).as("buyers"))
        .orderBy(col("buyers").desc(), col("product_id")).limit(max)
        .select("product_id").collectAsList().stream().map(r -> r.getString(0)).toArray(String[]::new);
  }

  /** product_id, idx (its number in the model). */
  static Dataset<Row> index(SparkSession spark, String[] ids) {
    List<Row> rows = new ArrayList<>(ids.length);
    for (int i = 0; i < ids.length; i++) {
      rows.add(RowFactory.create(ids[i], i));
    }
    return spark.createDataFrame(rows, new StructType()
        .add("product_id", DataTypes.StringType, false).add("idx", DataTypes.IntegerType, false));
  }

  /**
   * The upper triangle of one partition's XᵀX, packed by columns ({@code (i, j)}, i ≤ j, at
   * {@code i + j(j+1)/2}), in units of 2⁻²⁰; rows: customer_id, items (array of struct idx, q).
   */
  static Iterator<long[]> gramOf(Iterator<Row> rows, int n) {
    if (!rows.hasNext()) {
      return java.util.Collections.emptyIterator();
    }
    long[] g = new long[packedSize(n)];
    while (rows.hasNext()) {
      List<Row> items = rows.next().getList(1);
      int m = items.size();
      int[] idx = new int[m];
      long[] q = new long[m];
      for (int a = 0; a < m; a++) {
        idx[a] = items.get(a).getInt(0);
        q[a] = items.get(a).getLong(1);
      }
      for (int a = 0; a < m; a++) {
        for (int b = 0; b < m; b++) {
          if (idx[a] <= idx[b]) {
            g[idx[a] + (int) ((long) idx[b] * (idx[b] + 1) / 2)] += q[a] * q[b];
          }
        }
      }
    }
    return List.of(g).iterator();
  }

  static long[] add(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  static int packedSize(int n) {
    long size = (long) n * (n + 1) / 2;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("shoprec.job.ease.max-products: " + n + " products are too many");
    }
    return (int) size;
  }

  /**
   * {@code (XᵀX + λI)⁻¹} as a full n × n matrix (column-major, symmetric) from the packed exact sums.
   *
   * @throws IllegalStateException when the matrix is not positive definite (it always is for λ > 0 unless the
   *     preferences overflow a double)
   */
  static double[] invert(long[] packed, int n, double lambda) {
    return invert(packed, n, lambda, LAPACK.getInstance());
  }

  /** {@link #invert(long[], int, double)} with this LAPACK (native or Java: {@code EaseBench} times both). */
  static double[] invert(long[] packed, int n, double lambda, LAPACK lapack) {
    double[] a = regularized(packed, n, Math.scalb(1.0, -2 * PREFERENCE_BITS), lambda);
    intW info = new intW(0);
    lapack.dpotrf("U", n, a, n, info);
    if (info.val == 0) {
      lapack.dpotri("U", n, a, n, info);
    }
    if (info.val != 0) {
      throw new IllegalStateException("EASE: X'X + lambda I is not positive definite (LAPACK info " + info.val
          + "); raise shoprec.job.ease.lambda");
    }
    for (int j = 0; j < n; j++) { // mirror the upper triangle
      for (int i = j + 1; i < n; i++) {
        a[i + j * n] = a[j + i * n];
      }
    }
    return a;
  }

  /**
   * {@code S + λI} as an n × n column-major matrix whose upper triangle is set (what LAPACK's "U" routines read),
   * from the exact sums of S's upper triangle packed by columns ({@link #gramOf}) in units of {@code unit}.
   */
  static double[] regularized(long[] packed, int n, double unit, double lambda) {
    double[] a = new double[n * n];
    for (int j = 0; j < n; j++) {
      int column = (int) ((long) j * (j + 1) / 2);
      for (int i = 0; i <= j; i++) {
        a[i + j * n] = packed[column + i] * unit;
      }
      a[j + j * n] += lambda;
    }
    return a;
  }

  /** {@code B[i][j] = −P[i][j] / P[j][j]} for i ≠ j, 0 on the diagonal; row-major floats. */
  static float[] weights(double[] p, int n) {
    float[] b = new float[n * n];
    for (int j = 0; j < n; j++) {
      double diagonal = p[j + j * n];
      for (int i = 0; i < n; i++) {
        b[i * n + j] = i == j ? 0f : (float) (-p[i + j * n] / diagonal);
      }
    }
    return b;
  }

  /** Scores one partition of customers (customer_id, items: the model numbers of the products they bought). */
  static Iterator<Row> score(Iterator<Row> rows, Model model, int k) {
    int n = model.size();
    float[] b = model.weights();
    String[] ids = model.ids();
    double[] s = new double[n];
    boolean[] own = new boolean[n];
    // the k best: a heap with the worst on top (lower score, then larger id)
    PriorityQueue<Integer> best = new PriorityQueue<>(k + 1, (x, y) -> s[x] != s[y]
        ? Double.compare(s[x], s[y]) : ids[y].compareTo(ids[x]));
    return Batches.of(out -> {
      if (!rows.hasNext()) {
        return false;
      }
      Row r = rows.next();
      String customer = r.getString(0);
      int[] items = r.getList(1).stream().mapToInt(x -> (Integer) x).sorted().toArray();
      Arrays.fill(s, 0);
      for (int i : items) {
        own[i] = true;
        for (int j = 0, row = i * n; j < n; j++) {
          s[j] += b[row + j];
        }
      }
      best.clear();
      for (int j = 0; j < n; j++) {
        if (!own[j] && s[j] > 0) {
          best.add(j);
          if (best.size() > k) {
            best.poll();
          }
        }
      }
      for (int j : best) {
        int from = items[0];
        for (int i : items) { // items ascending: a tie keeps the first, then compares ids
          float w = b[i * n + j];
          float top = b[from * n + j];
          if (w > top || (w == top && ids[i].compareTo(ids[from]) < 0)) {
            from = i;
          }
        }
        out.add(RowFactory.create(customer, ids[j], s[j], ids[from]));
      }
      for (int i : items) {
        own[i] = false;
      }
      return true;
    });
  }
}

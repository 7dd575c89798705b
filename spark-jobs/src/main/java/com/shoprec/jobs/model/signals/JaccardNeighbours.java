package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.kernels.InMemoryNeighbours;
import com.shoprec.jobs.model.kernels.PackedSets;
import com.shoprec.jobs.model.kernels.SlicedRows;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_distinct;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;


import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Seq;

/**
 * Customer neighbours by Jaccard similarity of the sets of products bought: for customers A and B with
 * product sets PA and PB, J = |PA ∩ PB| / |PA ∪ PB|. Each customer keeps its {@code topK} most similar
 * customers with J ≥ {@code minSimilarity}.
 *
 * <p><b>Candidates.</b> Two customers can only be similar if they bought a product in common, so candidate
 * pairs come from an inverted index product → buyers, joined with itself on the product. Uncapped, a product
 * with n buyers costs n(n−1)/2 pairs, so a few very popular products dominate the cost. Two bounds keep it
 * near linear in the data:
 * <ul>
 *   <li>a customer with more than {@code maxProductsPerCustomer} products enters the index with only that
 *       many of them: its rarest ones (fewest buyers; products bought by one customer alone, which make no
 *       pair, are dropped first), ties broken by a seeded hash;
 *   <li>a product with more than the buyer cap keeps only that many buyers in the index: those with the
 *       fewest products, ties broken by a seeded hash of (customer, product, seed). The buyer cap is
 *       {@code maxBuyersPerProduct}, lowered when needed so that the index emits at most {@code
 *       maxPairsPerCustomer} pairs per customer ({@link #buyerCap}). A fixed cap c bounds the cost per product
 *       (c²/2 pairs), but the number of products at the cap grows with the catalogue, so on a larger shop the
 *       pairs grow faster than the customers; the budget keeps them linear in the customers.
 * </ul>
 * Why the smallest buyers and not a uniform sample: a customer with few products has few ways into the index,
 * and a popular product is often its only one; a customer with many products meets its neighbours through
 * its rarer products as well. Through one shared product, J(A, B) ≤ 1/|PA ∪ PB|, which is large only for
 * small sets, so the smallest-first cap keeps far more of the true neighbours than a uniform sample of the same
 * size ({@code bench/neighbours.sh} measures the recall and the cost against the uncapped index).
 *
 * <p><b>Exact similarities.</b> Pairs that cannot reach {@code minSimilarity} from their sizes alone
 * (J ≤ min(|PA|, |PB|) / max(|PA|, |PB|), {@link #canReach}) are dropped before any set is read. For every
 * other candidate the intersection is counted over the customers' full product sets, not the capped ones:
 * each customer's products as a sorted array of 64-bit hashes ({@code xxhash64(product_id)}), merged
 * ({@link PackedSets#intersectionSize}). So every similarity kept is exact (barring two different product ids with the
 * same 64-bit hash, odds about n²/2⁶⁵ for n products); the caps only decide which pairs are looked at.
 *
 * <p>Inside the job customers are numbered in the order of their ids ({@code monotonically_increasing_id}
 * on a sorted, locally checkpointed table, so the numbers cannot change on recomputation) and products keyed
 * by their 64-bit hash: the self-join, the de-duplication of pairs and the ranking then shuffle and sort longs,
 * not strings, which is several times faster than string keys; the ids are joined back to the top-K rows only.
 *
 * <p><b>Scoring.</b> When the product sets fit in a broadcast ({@link #MAX_BROADCAST_BYTES}, or an eighth of the
 * driver's heap), the sets and the capped index are numbered densely, broadcast as flat arrays and scored by
 * {@link InMemoryNeighbours}: each task takes every few-th customer, gathers its candidates from the index and
 * keeps its top K as they come, so no pair is shuffled.
 * Beyond that size the pairs are scored as rows: the index joined with itself, de-duplicated, joined to both
 * customers' sets, both directions ranked per customer by similarity, then similar_customer_id. Both give the
 * same rows ({@code JaccardNeighboursIT} runs every case both ways; {@code JaccardNeighboursRecallIT} compares
 * them on a real slice). What goes to the driver is bounded by the catalogue, not the orders (the histogram of
 * buyers per product), plus, for the in-memory scoring, the sets themselves.
 */
public final class JaccardNeighbours {

  /**
   * {@code shoprec.job.neighbours}. maxPairsPerCustomer: budget of candidate pairs the capped index may emit, per
   * customer (0: no budget, the buyer cap alone bounds them); when the cap would emit more, the job lowers its
   * buyer cap until it fits.
   */
  public record Settings(int topK, double minSimilarity, int maxBuyersPerProduct, int maxProductsPerCustomer,
      long seed, long maxPairsPerCustomer) implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.atLeast("top-k", 1), s.fraction("min-similarity"), s.atLeast("max-buyers-per-product", 2),
          s.atLeast("max-products-per-customer", 1), s.getLong("seed"), s.nonNegativeLong("max-pairs-per-customer"));
    }

    /** The same settings with another buyer cap and pair budget. */
    public Settings withCaps(int maxBuyers, int maxProducts, long maxPairs) {
      return new Settings(topK, minSimilarity, maxBuyers, maxProducts, seed, maxPairs);
    }
  }


  private static final Logger LOG = LoggerFactory.getLogger(JaccardNeighbours.class);

  /** Largest product sets the job broadcasts (also at most an eighth of the driver's heap). */
  static final long MAX_BROADCAST_BYTES = 512L << 20;


  /**
   * What one run did. customers: distinct customers in the input; candidatePairs: distinct unordered pairs
   * that meet in the capped index and pass the size bound, i.e. whose exact similarity was computed;
   * keptPairs: neighbour rows output (each direction counts); buyerCap: the buyer cap used (maxBuyersPerProduct or
   * lower, to meet the pair budget); largestDegree:
   * most distinct buyers of one product, before the cap; cappedProducts: products over the buyer cap;
   * cappedCustomers: customers over the product cap; joinedPairs: pairs the capped index emits before the size
   * bound and de-duplication (Σ C(buyers in the index, 2), what the pair budget bounds).
   */
  public record Stats(long customers, long candidatePairs, long keptPairs, int buyerCap, long largestDegree,
                      long cappedProducts, long cappedCustomers, long joinedPairs) implements Serializable {}

  public record Result(Dataset<Row> neighbours, Stats stats) {}

  private JaccardNeighbours() {}

  /**
   * customerProducts: at least customer_id, product_id (read as strings; duplicates and other columns
   * ignored; rows with a null id dropped). neighbours (cached): customer_id, similar_customer_id,
   * similarity (double), rank (int, 1-based, by similarity desc then similar_customer_id),
   * common_products (int); both directions present. Logs the {@link Stats} at INFO.
   */
  public static Result compute(Dataset<Row> customerProducts, JaccardNeighbours.Settings s) {
    return compute(customerProducts, s, Scoring.AUTO);
  }

  /** {@link #compute(Dataset, JaccardNeighbours.Settings)} with the scoring chosen (tests compare the two). */
  static Result compute(Dataset<Row> customerProducts, JaccardNeighbours.Settings s, Scoring scoring) {
    long started = System.nanoTime();
    double t = s.minSimilarity();

    Dataset<Row> base = customerProducts
        .select(col("customer_id").cast("string").as("customer_id"), col("product_id").cast("string").as("product_id"))
        .where(col("customer_id").isNotNull().and(col("product_id").isNotNull()))
        .distinct()
        .withColumn("degree", count(lit(1)).over(Window.partitionBy("product_id")))
        .withColumn("size", count(lit(1)).over(Window.partitionBy("customer_id")))
        .cache();

    // Full product sets, for the exact intersections, and a numeric id per customer (cheaper to join and
    // sort than the string id), increasing in the order of the customer ids, so that ranking by the number
    // ranks by the id. monotonically_increasing_id is not stable across recomputation, so the table is
    // checkpointed before the id is used anywhere.
    Dataset<Row> sets = base.groupBy("customer_id")
        .agg(count(lit(1)).cast("int").as("size"), PackedSets.packUdf().apply(collect_list(xxhash64(col("product_id")))).as("hashes"))
        .orderBy("customer_id")
        .withColumn("cid", monotonically_increasing_id())
        .localCheckpoint(true);
    long customers = sets.count();
    Row shape = base.agg(count(lit(1)), max("degree"),
        count_distinct(when(col("size").gt(s.maxProductsPerCustomer()), col("customer_id")))).first();
    long purchases = shape.getLong(0);
    long largestDegree = shape.isNullAt(1) ? 0L : shape.getLong(1);
    long cappedCustomers = shape.getLong(2);
    // The sets go to every task that scores pairs when they are small enough to broadcast: then the candidate
    // pairs are scored where they are, instead of being sorted twice along with the sets they join.
    long setBytes = purchases * Long.BYTES + customers * 64;
    boolean broadcastSets = setBytes <= Math.min(MAX_BROADCAST_BYTES, Runtime.getRuntime().maxMemory() / 8);

    // The customer side of the index first: each customer's rarest products, at most maxProductsPerCustomer.
    Dataset<Row> ids = sets.select(col("customer_id").as("customer_key"), col("cid"));
    Dataset<Row> byCustomer = base
        .where(col("degree").geq(2))
        .withColumn("pick", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("degree"), xxhash64(col("product_id"), col("customer_id"), lit(s.seed())), col("product_id"))))
        .where(col("pick").leq(s.maxProductsPerCustomer()))
        .cache();

    // The buyer cap: the configured one, lowered until the index emits at most customers × maxPairsPerCustomer
    // pairs. What a cap c emits is Σ over products of C(min(entries, c), 2), known from the histogram of
    // entries per product (a few thousand distinct values at most), so the cap is chosen on the driver.
    long[][] histogram = entriesHistogram(byCustomer);
    long budget = s.maxPairsPerCustomer() == 0 ? Long.MAX_VALUE : Math.multiplyExact(customers, s.maxPairsPerCustomer());
    int buyerCap = buyerCap(histogram, s.maxBuyersPerProduct(), budget);
    // What the capped index holds follows from the histogram too: min(entries, cap) rows per product.
    long cappedProducts = 0;
    long indexRows = 0;
    for (long[] h : histogram) {
      cappedProducts += h[0] > buyerCap ? h[1] : 0;
      indexRows += Math.min(h[0], buyerCap) * h[1];
    }
    long joinRows = pairsAt(histogram, buyerCap);

    // The capped inverted index: product → at most buyerCap buyers. Products are keyed by their 64-bit hash
    // here: a collision could only add candidate pairs, never change a similarity.
    Dataset<Row> index = byCustomer
        .withColumn("pick", row_number().over(Window.partitionBy("product_id")
            .orderBy(col("size"), xxhash64(col("customer_id"), col("product_id"), lit(s.seed())), col("customer_id"))))
        .where(col("pick").leq(buyerCap))
        .join(ids, col("customer_id").equalTo(col("customer_key")))
        .select(xxhash64(col("product_id")).as("product"), col("cid"), col("size").cast("int").as("size"))
        .cache();

    boolean inMemory = scoring == Scoring.IN_MEMORY || (scoring == Scoring.AUTO && broadcastSets);
    Scored scored = inMemory ? scoreInMemory(sets, index, s) : scoreByJoins(sets, index, s, broadcastSets);
    Dataset<Row> neighbours = scored.neighbours();
    long candidatePairs = scored.candidatePairs();
    long kept = scored.kept();
    index.unpersist();
    byCustomer.unpersist();
    base.unpersist();

    Stats stats = new Stats(customers, candidatePairs, kept, buyerCap, largestDegree, cappedProducts,
        cappedCustomers, joinRows);
    LOG.info("neighbours: {} customers; index {} rows, buyer cap {} (configured {}, pair budget {}; largest degree {}, "
            + "{} products capped), product cap {} ({} customers capped); {} pairs joined, {} candidate pairs scored "
            + "exactly, {} neighbour rows kept (J >= {}, top {}) in {} ms",
        customers, indexRows, buyerCap, s.maxBuyersPerProduct(), budget == Long.MAX_VALUE ? "none" : budget,
        largestDegree, cappedProducts, s.maxProductsPerCustomer(), cappedCustomers, joinRows, candidatePairs, kept, t,
        s.topK(), (System.nanoTime() - started) / 1_000_000);
    if (!broadcastSets) {
      LOG.info("neighbours: product sets of about {} MiB not broadcast (sort-merge joins)", setBytes >> 20);
    }
    return new Result(neighbours, stats);
  }

  /** The neighbour rows (cached and counted: {@code kept}) and the candidate pairs scored to find them. */
  private record Scored(Dataset<Row> neighbours, long candidatePairs, long kept) {}

  /** How the candidate pairs are scored: AUTO picks in memory when the product sets can be broadcast. */
  enum Scoring { AUTO, IN_MEMORY, BY_JOINS }

  /**
   * Pairs as rows: the index joined with itself on the product, de-duplicated, joined to both customers' sets,
   * both directions ranked by a window. Scales with the cluster; used when the sets are too large to broadcast.
   */
  private static Scored scoreByJoins(Dataset<Row> sets, Dataset<Row> index, JaccardNeighbours.Settings s,
      boolean broadcastSets) {
    double t = s.minSimilarity();
    Dataset<Row> ia = index.select(col("product"), col("cid").as("a"), col("size").as("size_a"));
    Dataset<Row> ib = index.select(col("product").as("product_b"), col("cid").as("b"), col("size").as("size_b"));
    Dataset<Row> candidates = ia
        .join(ib, ia.col("product").equalTo(ib.col("product_b")).and(ia.col("a").lt(ib.col("b"))))
        .where(sizeRatio(col("size_a"), col("size_b")).geq(t))
        .select("a", "b")
        .distinct()
        .cache();
    long candidatePairs = candidates.count();

    Dataset<Row> setsA = small(sets.select(col("cid").as("a"), col("size").as("size_a"), col("hashes").as("hashes_a")),
        broadcastSets);
    Dataset<Row> setsB = small(sets.select(col("cid").as("b"), col("size").as("size_b"), col("hashes").as("hashes_b")),
        broadcastSets);
    Dataset<Row> similar = candidates.join(setsA, "a").join(setsB, "b")
        .withColumn("common", PackedSets.intersectUdf().apply(col("hashes_a"), col("hashes_b")))
        .withColumn("similarity", similarity(col("common"), col("size_a"), col("size_b")))
        .where(col("similarity").geq(t))
        .select(col("a"), col("b"), col("similarity"), col("common"));
    // Ranked on the numbers (rows of four numbers sort much faster than rows with two strings): the number
    // order is the id order, so the ties still go to the smaller similar_customer_id.
    Dataset<Row> both = similar.select(col("a").as("cid"), col("b").as("other"), col("similarity"), col("common"))
        .unionByName(similar.select(col("b").as("cid"), col("a").as("other"), col("similarity"), col("common")));
    Dataset<Row> ranked = both
        .withColumn("rank", row_number().over(Window.partitionBy("cid")
            .orderBy(col("similarity").desc(), col("other"))))
        .where(col("rank").leq(s.topK()));
    Dataset<Row> names = small(sets.select(col("cid").as("id_cid"), col("customer_id").as("id_name")), broadcastSets);
    Dataset<Row> otherNames = names.select(col("id_cid").as("other_cid"), col("id_name").as("other_name"));
    Dataset<Row> neighbours = ranked
        .join(names, col("cid").equalTo(col("id_cid")))
        .join(otherNames, col("other").equalTo(col("other_cid")))
        .select(col("id_name").as("customer_id"), col("other_name").as("similar_customer_id"), col("similarity"),
            col("rank").cast("int"), col("common").cast("int").as("common_products"))
        .cache();
    long kept = neighbours.count();
    candidates.unpersist();
    return new Scored(neighbours, candidatePairs, kept);
  }

  /**
   * The sets and the capped index numbered densely and broadcast as flat arrays, then scored by {@link
   * InMemoryNeighbours} in {@code 4 × defaultParallelism} slices of customers (every slices-th customer, so
   * that each slice gets its share of the large ones). What reaches the driver is the sets (about 4 bytes per
   * purchase once numbered) and the index grouped by product.
   */
  private static Scored scoreInMemory(Dataset<Row> sets, Dataset<Row> index, JaccardNeighbours.Settings s) {
    SparkSession spark = sets.sparkSession();
    InMemoryNeighbours.Tables tables = tables(sets, index);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<InMemoryNeighbours.Tables> shared = jsc.broadcast(tables);
    LongAccumulator pairs = spark.sparkContext().longAccumulator("neighbours: candidate pairs");
    double t = s.minSimilarity();
    int topK = s.topK();
    JavaRDD<Row> rows = SlicedRows.rows(jsc, (owned, slices) -> InMemoryNeighbours.rows(shared.value(), owned, slices,
        t, topK, counts -> pairs.add(counts.candidatePairs)));
    Dataset<Row> neighbours = spark.createDataFrame(rows, NEIGHBOURS_SCHEMA).cache();
    long kept = neighbours.count();
    shared.unpersist();
    LOG.info("neighbours: scored in memory, {} customers, {} products, tables of about {} MiB, {} tasks",
        tables.customers(), tables.products(), tables.bytes() >> 20, rows.getNumPartitions());
    return new Scored(neighbours, pairs.value(), kept);
  }

  static final StructType NEIGHBOURS_SCHEMA = new StructType()
      .add("customer_id", DataTypes.StringType)
      .add("similar_customer_id", DataTypes.StringType)
      .add("similarity", DataTypes.DoubleType)
      .add("rank", DataTypes.IntegerType)
      .add("common_products", DataTypes.IntegerType);

  /**
   * The numbered tables, on the driver: customers in the order of their numbers ({@code cid}, increasing in id
   * order), products numbered by the order of their hashes, so that each set, sorted by hash, stays sorted.
   */
  static InMemoryNeighbours.Tables tables(Dataset<Row> sets, Dataset<Row> index) {
    List<Row> setRows = sets.select("cid", "customer_id", "hashes").orderBy("cid").collectAsList();
    int n = setRows.size();
    long[] cids = new long[n];
    String[] names = new String[n];
    long[][] hashes = new long[n][];
    int total = 0;
    for (int c = 0; c < n; c++) {
      Row r = setRows.get(c);
      cids[c] = r.getLong(0);
      names[c] = r.getString(1);
      hashes[c] = PackedSets.unpack((byte[]) r.get(2));
      total += hashes[c].length;
    }
    setRows = null;
    long[] all = new long[total];
    int at = 0;
    for (long[] h : hashes) {
      System.arraycopy(h, 0, all, at, h.length);
      at += h.length;
    }
    long[] products = Arrays.stream(all).sorted().distinct().toArray();
    all = null;
    int[][] numbered = new int[n][];
    for (int c = 0; c < n; c++) {
      int[] set = new int[hashes[c].length];
      for (int k = 0; k < set.length; k++) {
        set[k] = Arrays.binarySearch(products, hashes[c][k]);
      }
      numbered[c] = set;
      hashes[c] = null;
    }
    int[][] lists = new int[products.length][];
    for (Row r : index.groupBy("product").agg(collect_list(col("cid"))).collectAsList()) {
      int p = Arrays.binarySearch(products, r.getLong(0));
      List<Long> buyers = r.getList(1);
      int[] list = new int[buyers.size()];
      for (int k = 0; k < list.length; k++) {
        list[k] = Arrays.binarySearch(cids, buyers.get(k));
      }
      lists[p] = list;
    }
    return InMemoryNeighbours.Tables.of(names, products.length, numbered, lists);
  }

  /** {@code table} marked for broadcast when {@code broadcastable}, else as it is (Spark decides). */
  private static Dataset<Row> small(Dataset<Row> table, boolean broadcastable) {
    return broadcastable ? broadcast(table) : table;
  }

  /**
   * Products by their number of index entries (buyers left after the per-customer cap): rows of {entries,
   * products with that many}, ascending by entries.
   */
  static long[][] entriesHistogram(Dataset<Row> byCustomer) {
    return byCustomer.groupBy("product_id").agg(count(lit(1)).as("entries"))
        .groupBy("entries").agg(count(lit(1)).as("products"))
        .orderBy("entries")
        .collectAsList().stream()
        .map(r -> new long[] {r.getLong(0), r.getLong(1)})
        .toArray(long[][]::new);
  }

  /** The pairs an index capped at {@code cap} buyers per product emits: Σ C(min(entries, cap), 2). */
  static long pairsAt(long[][] histogram, long cap) {
    long pairs = 0;
    for (long[] h : histogram) {
      long n = Math.min(h[0], cap);
      pairs += h[1] * (n * (n - 1) / 2);
    }
    return pairs;
  }

  /**
   * The largest buyer cap from 2 to {@code maxCap} whose index emits at most {@code budget} pairs ({@link
   * #pairsAt}); {@code maxCap} when it fits, 2 when nothing larger does (one pair per product).
   */
  static int buyerCap(long[][] histogram, int maxCap, long budget) {
    if (pairsAt(histogram, maxCap) <= budget) {
      return maxCap;
    }
    int lo = 2;
    int hi = maxCap;
    while (lo < hi) {
      int mid = lo + (hi - lo + 1) / 2;
      if (pairsAt(histogram, mid) <= budget) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** min/max of two set sizes as a double: the largest Jaccard similarity two sets of these sizes can have. */
  static Column sizeRatio(Column sizeA, Column sizeB) {
    return least(sizeA, sizeB).cast("double").divide(greatest(sizeA, sizeB).cast("double"));
  }

  /** i / (|A| + |B| − i) in double. */
  static Column similarity(Column common, Column sizeA, Column sizeB) {
    return common.cast("double").divide(sizeA.plus(sizeB).minus(common).cast("double"));
  }

  /**
   * Whether sets of these sizes can reach Jaccard similarity {@code minSimilarity}: J ≤ min/max, equal when
   * the smaller set lies inside the larger. Computed as the same double division as the similarity itself at
   * i = min, and correctly rounded division is monotone, so no pair that reaches the threshold is pruned.
   */
  public static boolean canReach(int sizeA, int sizeB, double minSimilarity) {
    return (double) Math.min(sizeA, sizeB) / (double) Math.max(sizeA, sizeB) >= minSimilarity;
  }

}

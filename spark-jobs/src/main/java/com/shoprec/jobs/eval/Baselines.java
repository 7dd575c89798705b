package com.shoprec.jobs.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The frequency baselines of next-basket recommendation, computed on a {@link Split}'s history. Counts are
 * of baskets (a product bought in several lines of one order counts once). Output of each: customer_id,
 * product_id, rank (1-based), at most {@code k} rows per evaluated customer.
 */
public final class Baselines {

  public static final String G_TOP_FREQ = "G-TopFreq";
  public static final String P_TOP_FREQ = "P-TopFreq";
  public static final String GP_TOP_FREQ = "GP-TopFreq";
  /** G-TopFreq without the customer's own products: popular as the baseline counts it, new to them. */
  public static final String G_TOP_FREQ_NEW = "G-TopFreq-new";
  /** Optional history column (a number) ordering the lines of one order, for P-TopFreq's tie-break. */
  public static final String LINE_ORDER = "line_no";

  private static final StructType RANKED_PRODUCTS = new StructType()
      .add("product_id", DataTypes.StringType).add("rank", DataTypes.IntegerType);

  private Baselines() {}

  /** The three baselines by name, in report order. */
  public static Map<String, Dataset<Row>> all(Split s, int k) {
    Map<String, Dataset<Row>> methods = new LinkedHashMap<>();
    methods.put(G_TOP_FREQ, gTopFreq(s, k));
    methods.put(P_TOP_FREQ, pTopFreq(s, k));
    methods.put(GP_TOP_FREQ, gpTopFreq(s, k));
    return methods;
  }

  /**
   * G-TopFreq: the same list for everyone, the {@code k} products in most history baskets (ties: product_id).
   * For {@code last-basket} the history holds only the evaluated customers' baskets, so that is what is
   * counted; for {@code time-split} every customer's orders before T.
   */
  public static Dataset<Row> gTopFreq(Split s, int k) {
    return s.customers().select(col("customer_id")).crossJoin(mostBaskets(s, k))
        .select("customer_id", "product_id", "rank");
  }

  /**
   * G-TopFreq-new: G-TopFreq's order with every product the customer bought in the history left out, the
   * first {@code k} of the rest. The explore items' reference as the baselines define popularity (counts of
   * history baskets, all time), beside the evaluation's {@code popular-new} (the job's time-decayed
   * popularity, the stronger of the two).
   */
  public static Dataset<Row> gTopFreqNew(Split s, int k) {
    Dataset<Row> bought = s.history().join(s.customers(), Cols.seq("customer_id"), "left_semi")
        .select("customer_id", "product_id").distinct();
    Row most = bought.groupBy("customer_id").count().agg(max("count")).first();
    int enough = k + (most.isNullAt(0) ? 0 : (int) most.getLong(0));
    return s.customers().select(col("customer_id")).crossJoin(mostBaskets(s, enough))
        .join(bought, Cols.seq("customer_id", "product_id"), "left_anti")
        .withColumn("new_rank", row_number().over(Window.partitionBy("customer_id").orderBy(col("rank"))))
        .where(col("new_rank").leq(k))
        .select(col("customer_id"), col("product_id"), col("new_rank").as("rank"));
  }

  /** The {@code n} products in most history baskets (ties: product_id), ranked from 1, as a small relation. */
  private static Dataset<Row> mostBaskets(Split s, int n) {
    List<Row> top = s.history().select("order_id", "product_id").distinct()
        .groupBy("product_id").agg(count(lit(1)).as("baskets"))
        .orderBy(col("baskets").desc(), col("product_id"))
        .limit(n)
        .collectAsList();
    List<Row> ranked = new ArrayList<>(top.size());
    for (int i = 0; i < top.size(); i++) {
      ranked.add(RowFactory.create(String.valueOf(top.get(i).get(0)), i + 1));
    }
    return s.history().sparkSession().createDataFrame(ranked, RANKED_PRODUCTS);
  }

  /**
   * P-TopFreq: the customer's own products by the number of history baskets containing them; ties go to
   * the product bought first: earliest basket (in basket order), then, within that basket, the smaller
   * {@link #LINE_ORDER} when the history has that column (e.g. the line's position in the input file),
   * then the smaller product_id.
   */
  public static Dataset<Row> pTopFreq(Split s, int k) {
    Dataset<Row> baskets = Splits.baskets(s.history());
    boolean lineOrder = Arrays.asList(s.history().columns()).contains(LINE_ORDER);
    Column line = lineOrder ? col(LINE_ORDER).cast("long") : lit(0L);
    return s.history().join(s.customers(), Cols.seq("customer_id"), "left_semi")
        .groupBy("customer_id", "order_id", "product_id").agg(min(line).as("line"))
        .join(baskets, Cols.seq("customer_id", "order_id"))
        .groupBy("customer_id", "product_id")
        .agg(count(lit(1)).as("baskets"), min(struct(col("basket_no"), col("line"))).as("first"))
        .withColumn("rank", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("baskets").desc(), col("first"), col("product_id"))))
        .where(col("rank").leq(k))
        .select("customer_id", "product_id", "rank");
  }

  /** GP-TopFreq: P-TopFreq, then G-TopFreq products not already in the list, up to {@code k}. */
  public static Dataset<Row> gpTopFreq(Split s, int k) {
    Dataset<Row> personal = pTopFreq(s, k).withColumn("source", lit(0));
    Dataset<Row> global = gTopFreq(s, k).withColumn("source", lit(1));
    return personal.unionByName(global)
        .withColumn("first", row_number().over(Window.partitionBy("customer_id", "product_id")
            .orderBy(col("source"), col("rank"))))
        .where(col("first").equalTo(1))
        .withColumn("merged", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("source"), col("rank"))))
        .where(col("merged").leq(k))
        .select(col("customer_id"), col("product_id"), col("merged").as("rank"));
  }
}

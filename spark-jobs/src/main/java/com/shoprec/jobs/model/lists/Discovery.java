package com.shoprec.jobs.model.lists;

import com.shoprec.jobs.model.Joins;
import com.shoprec.jobs.model.kernels.Sums;
import com.shoprec.jobs.model.signals.Ease;
import com.shoprec.jobs.model.signals.NextNew;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;


import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Products a customer has never bought but likely will, from six signals, each divided by its best value
 * for the customer so that it lies in [0, 1], then blended with the configured weights:
 * <ul>
 *   <li>neighbours: the sum over the neighbours who bought it of their Jaccard similarity times
 *       {@code 2^(−days since their last purchase of it / half-life)}: what similar customers buy now (the
 *       time-decayed neighbour vectors of TIFU-KNN), not what they bought once. Only the customer's
 *       {@code max-neighbours} most similar neighbours count, and of each only its
 *       {@code products-per-neighbour} most recent products: the cost per customer is bounded;
 *   <li>ALS: the model's preference score;
 *   <li>co-occurrence: the sum of the confidences with which the customer's most recent purchases were
 *       bought together with it;
 *   <li>popularity: the product's time-decayed popularity (what is selling now), for the products of the
 *       popular list;
 *   <li>EASE: the score of {@link Ease}, learned item-item weights summed over the customer's purchases;
 *   <li>next-new: the score of {@link NextNew}, what customers with these purchases went on to buy new.
 * </ul>
 * The reason names the signal that contributed most: {@code {"neighbours":14}} (how many neighbours bought
 * it), {@code {"als":0.71}}, {@code {"co_bought_with":"85123A"}}, {@code {"popular":0.83}} or
 * {@code {"because_you_bought":"85123A"}} (EASE or next-new: the purchase that weighs most). Never a product
 * the customer bought.
 * Output: customer_id, product_id, score, reason (all candidates; lists take the best).
 */
public final class Discovery {

  /** {@code shoprec.job.discovery}: the blend's weights and the bounds of the neighbours' signal. */
  public record Settings(double neighboursWeight, double alsWeight, double cooccurrenceWeight,
      double popularityWeight, double easeWeight, double nextNewWeight, double neighboursHalfLifeDays,
      int recentProducts, int maxNeighbours, int productsPerNeighbour) implements java.io.Serializable {

    /**
     * The blend's invariants, for every way a blend is made (the settings, which first name the failing setting;
     * {@link #withWeights}).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public Settings {
      if (!(neighboursWeight >= 0 && alsWeight >= 0 && cooccurrenceWeight >= 0 && popularityWeight >= 0
          && easeWeight >= 0 && nextNewWeight >= 0)) {
        throw new IllegalArgumentException("discovery weights must not be negative: " + neighboursWeight + "/"
            + alsWeight + "/" + cooccurrenceWeight + "/" + popularityWeight + "/" + easeWeight + "/" + nextNewWeight);
      }
      if (!(neighboursHalfLifeDays > 0)) {
        throw new IllegalArgumentException("the neighbours' half-life must be positive: " + neighboursHalfLifeDays);
      }
      if (recentProducts < 1 || maxNeighbours < 1 || productsPerNeighbour < 1) {
        throw new IllegalArgumentException("recent products (" + recentProducts + "), neighbours (" + maxNeighbours
            + ") and products per neighbour (" + productsPerNeighbour + ") must be at least 1");
      }
    }

    public static Settings from(Section s) {
      return new Settings(s.nonNegative("neighbours-weight"), s.nonNegative("als-weight"),
          s.nonNegative("cooccurrence-weight"), s.nonNegative("popularity-weight"), s.nonNegative("ease-weight"),
          s.nonNegative("next-new-weight"), s.positive("neighbours-half-life-days"), s.atLeast("recent-products", 1),
          s.atLeast("max-neighbours", 1), s.atLeast("products-per-neighbour", 1));
    }

    /** These weights, with the same half-life, recent products and bounds on the neighbours' signal. */
    public Settings withWeights(double neighbours, double als, double cooccurrence, double popularity,
        double ease, double nextNew) {
      return new Settings(neighbours, als, cooccurrence, popularity, ease, nextNew, neighboursHalfLifeDays,
          recentProducts, maxNeighbours, productsPerNeighbour);
    }

    /** The same blend, the neighbours' signal bounded to these many neighbours and products of each. */
    public Settings withNeighbourBounds(int neighbours, int productsEach) {
      return new Settings(neighboursWeight, alsWeight, cooccurrenceWeight, popularityWeight, easeWeight,
          nextNewWeight, neighboursHalfLifeDays, recentProducts, neighbours, productsEach);
    }
  }


  private Discovery() {}

  /**
   * @param active customer_id of the customers who get lists
   * @param neighbours customer_id, similar_customer_id, similarity
   * @param customerProducts customer_id, product_id, last_ts, days_since_last (every purchase)
   * @param alsForCustomers customer_id, product_id, score (not bought)
   * @param cooccurrence product_id, other_product_id, confidence
   * @param popular product_id, score (the overall popular list)
   * @param ease customer_id, product_id, score, from_product_id ({@link Ease#forCustomers}; not bought)
   * @param nextNew the same columns ({@link NextNew#forCustomers}; not bought)
   */
  public static Dataset<Row> candidates(Dataset<Row> active, Dataset<Row> neighbours, Dataset<Row> customerProducts,
      Dataset<Row> alsForCustomers, Dataset<Row> cooccurrence, Dataset<Row> popular, Dataset<Row> ease,
      Dataset<Row> nextNew, Discovery.Settings d) {
    Dataset<Row> customers = active.select("customer_id");
    Dataset<Row> bought = customerProducts.select("customer_id", "product_id");

    // Bounded: the most similar max-neighbours neighbours, and of each only its products-per-neighbour most
    // recent purchases (ties to the smaller product id), so the rows gathered per customer have a ceiling.
    Dataset<Row> neighbourPurchases = customerProducts
        .withColumn("nth", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("last_ts").desc(), col("product_id"))))
        .where(col("nth").leq(d.productsPerNeighbour()))
        .select(col("customer_id").as("similar_customer_id"), col("product_id"),
            exp(col("days_since_last").multiply(-Math.log(2) / d.neighboursHalfLifeDays())).as("recency"));
    Dataset<Row> nearest = neighbours.join(customers, "customer_id")
        .withColumn("nth", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("similarity").desc(), col("similar_customer_id"))))
        .where(col("nth").leq(d.maxNeighbours()))
        .select("customer_id", "similar_customer_id", "similarity");
    Dataset<Row> byNeighbours = nearest
        .join(neighbourPurchases, "similar_customer_id")
        .groupBy("customer_id", "product_id")
        .agg(Sums.orderFree(col("similarity").multiply(col("recency"))).as("nb_raw"), count(lit(1)).as("nb_count"));

    Dataset<Row> recent = customerProducts.join(customers, "customer_id")
        .withColumn("recency", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("last_ts").desc(), col("product_id"))))
        .where(col("recency").leq(d.recentProducts()))
        .select(col("customer_id"), col("product_id").as("recent_product"));
    Dataset<Row> byCooccurrence = recent
        .join(cooccurrence.select(col("product_id").as("recent_product"), col("other_product_id").as("product_id"),
            col("confidence")), "recent_product")
        .groupBy("customer_id", "product_id")
        .agg(Sums.orderFree(col("confidence")).as("co_raw"),
            // ties on confidence go to the larger product id, not to whichever row came first
            max_by(col("recent_product"), struct(col("confidence"), col("recent_product"))).as("co_from"));

    Dataset<Row> byAls = alsForCustomers.join(customers, "customer_id")
        .select(col("customer_id"), col("product_id"), col("score").as("als_raw"));

    Dataset<Row> byEase = ease.join(customers, "customer_id")
        .select(col("customer_id"), col("product_id"), col("score").as("ease_raw"), col("from_product_id").as("ease_from"));

    Dataset<Row> byNextNew = nextNew.join(customers, "customer_id")
        .select(col("customer_id"), col("product_id"), col("score").as("next_raw"), col("from_product_id").as("next_from"));

    Dataset<Row> byPopularity = customers.crossJoin(popular.select(col("product_id"), col("score").as("pop_raw")));

    // A signal without weight is not computed at all (an empty relation: the optimizer drops its branch).
    byNeighbours = d.neighboursWeight() > 0 ? byNeighbours : byNeighbours.limit(0);
    byAls = d.alsWeight() > 0 ? byAls : byAls.limit(0);
    byCooccurrence = d.cooccurrenceWeight() > 0 ? byCooccurrence : byCooccurrence.limit(0);
    byPopularity = d.popularityWeight() > 0 ? byPopularity : byPopularity.limit(0);
    byEase = d.easeWeight() > 0 ? byEase : byEase.limit(0);
    byNextNew = d.nextNewWeight() > 0 ? byNextNew : byNextNew.limit(0);

    Dataset<Row> all = Joins.outer(Joins.outer(Joins.outer(byNeighbours, byAls, "customer_id", "product_id"),
        byCooccurrence, "customer_id", "product_id"), byPopularity, "customer_id", "product_id");
    all = Joins.outer(Joins.outer(all, byEase, "customer_id", "product_id"), byNextNew, "customer_id", "product_id");
    all = Joins.without(all, bought, "customer_id", "product_id");

    Column nb = scaled("nb_raw").multiply(d.neighboursWeight());
    Column als = scaled("als_raw").multiply(d.alsWeight());
    Column co = scaled("co_raw").multiply(d.cooccurrenceWeight());
    Column pop = coalesce(col("pop_raw"), lit(0.0)).multiply(d.popularityWeight());
    Column easeScore = scaled("ease_raw").multiply(d.easeWeight());
    Column nextScore = scaled("next_raw").multiply(d.nextNewWeight());
    Dataset<Row> blended = all
        .withColumn("nb", nb).withColumn("als", als).withColumn("co", co).withColumn("pop", pop)
        .withColumn("ease", easeScore).withColumn("next", nextScore)
        .withColumn("score", col("nb").plus(col("als")).plus(col("co")).plus(col("pop")).plus(col("ease"))
            .plus(col("next")));
    Column top = greatest(col("nb"), col("als"), col("co"), col("pop"), col("ease"), col("next"));
    Column reason = when(col("nb").equalTo(top).and(col("nb").gt(0)),
            to_json(struct(col("nb_count").cast("int").as("neighbours"))))
        .when(col("co").equalTo(top).and(col("co").gt(0)), to_json(struct(col("co_from").as("co_bought_with"))))
        .when(col("pop").equalTo(top).and(col("pop").gt(0)), to_json(struct(round(col("pop_raw"), 4).as("popular"))))
        .when(col("ease").equalTo(top).and(col("ease").gt(0)), to_json(struct(col("ease_from").as("because_you_bought"))))
        .when(col("next").equalTo(top).and(col("next").gt(0)), to_json(struct(col("next_from").as("because_you_bought"))))
        .otherwise(to_json(struct(round(coalesce(col("als_raw"), lit(0.0)), 4).as("als"))));
    return blended.where(col("score").gt(0))
        .select(col("customer_id"), col("product_id"), col("score"), reason.as("reason"));
  }

  /** raw / the customer's best raw value of the signal; 0 where the signal is absent. */
  private static Column scaled(String raw) {
    Column best = max(col(raw)).over(Window.partitionBy("customer_id"));
    return coalesce(when(best.gt(0), col(raw).divide(best)), lit(0.0));
  }
}

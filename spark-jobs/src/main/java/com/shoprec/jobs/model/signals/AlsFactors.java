package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.model.Joins;
import com.shoprec.jobs.model.SharedPreferences;
import com.shoprec.jobs.model.kernels.FactorTopK;
import com.shoprec.jobs.model.kernels.Sums;
import com.shoprec.jobs.config.Section;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.row_number;


import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spark MLlib ALS with implicit preferences: the preference of a customer for a product is the sum over the
 * orders containing it of 2^(−age / half-life) (or the number of those orders), its confidence
 * {@code 1 + alpha × preference}. Ids are mapped to dense integers (ALS
 * needs them) and back. Seeded; checkpoints every few iterations when a checkpoint directory is set.
 *
 * <p>Outputs: factors per customer and product (float arrays), the top products per customer that the
 * customer has not bought (for discovery), and the top customers per product (for audiences), both chosen by
 * {@link FactorTopK} (ties to the smaller id).
 */
public final class AlsFactors {

  /**
   * {@code shoprec.job.als}. preferenceHalfLifeDays: the preference of a customer for a product is the sum over
   * its orders of 2^(−age / half-life); 0: the number of orders. blocks: {@link #AUTO_BLOCKS} for "auto", one per
   * {@code ratingsPerBlock} ratings below {@code smallInputRatings}, else {@link #MAX_AUTO_BLOCKS}
   * ({@link #blocksFor}).
   */
  public record Settings(int rank, double regParam, double alpha, int maxIter, long seed, int checkpointInterval,
      int blockSize, int candidatesPerCustomer, String checkpointDir, int blocks, double preferenceHalfLifeDays,
      long ratingsPerBlock, long smallInputRatings) implements java.io.Serializable {

    /** {@code blocks = auto}. */
    public static final int AUTO_BLOCKS = 0;
    /** The blocks "auto" gives an input that is not small: the fixed default it replaced. */
    public static final int MAX_AUTO_BLOCKS = 10;

    public static Settings from(Section s) {
      return new Settings(s.atLeast("rank", 1), s.nonNegative("reg-param"), s.nonNegative("alpha"),
          s.atLeast("max-iter", 1), s.getLong("seed"), s.atLeast("checkpoint-interval", 1), s.atLeast("block-size", 1),
          s.atLeast("candidates-per-customer", 1), s.string("checkpoint-dir").trim(), blocks(s),
          s.nonNegative("preference-half-life-days"), Math.max(1, s.nonNegativeLong("ratings-per-block")),
          s.nonNegativeLong("small-input-ratings"));
    }

    /** {@code blocks}: "auto" or a positive number. */
    private static int blocks(Section s) {
      if (s.config().getValue("blocks").unwrapped() instanceof String v && v.trim().equalsIgnoreCase("auto")) {
        return AUTO_BLOCKS;
      }
      try {
        s.config().getInt("blocks");
      } catch (com.typesafe.config.ConfigException e) {
        throw new com.shoprec.jobs.config.SettingsException(s.name("blocks") + " must be auto or a positive number, got "
            + s.config().getValue("blocks").render());
      }
      return s.atLeast("blocks", 1);
    }

    /**
     * The blocks for {@code ratings} ratings: the configured number; or with "auto", for a small input (fewer than
     * {@code smallInputRatings}) one per {@code ratingsPerBlock} (rounded up, at most {@link #MAX_AUTO_BLOCKS}),
     * else {@link #MAX_AUTO_BLOCKS}. A small input's tasks cost more than their work; a larger one trains exactly
     * as with the fixed default (ALS's random start depends on the blocks). It depends on the input alone, so that
     * the same input gives the same model on any cluster.
     */
    public int blocksFor(long ratings) {
      if (blocks != AUTO_BLOCKS) {
        return blocks;
      }
      if (ratings >= smallInputRatings) {
        return MAX_AUTO_BLOCKS;
      }
      long n = (Math.max(ratings, 1) + ratingsPerBlock - 1) / ratingsPerBlock;
      return (int) Math.min(MAX_AUTO_BLOCKS, Math.max(1, n));
    }

    /** The same model with another rank and number of iterations. */
    public Settings withRankAndIterations(int newRank, int iterations) {
      return new Settings(newRank, regParam, alpha, iterations, seed, checkpointInterval, blockSize,
          candidatesPerCustomer, checkpointDir, blocks, preferenceHalfLifeDays, ratingsPerBlock, smallInputRatings);
    }
  }


  private static final Logger LOG = LoggerFactory.getLogger(AlsFactors.class);

  /**
   * @param customerFactors customer_id, factors (array of float)
   * @param productFactors product_id, factors
   * @param forCustomers customer_id, product_id, score — not bought before, best {@code candidates-per-customer} first
   * @param forProducts product_id, customer_id, score — best {@code audience.als-candidates} customers
   */
  public record Result(Dataset<Row> customerFactors, Dataset<Row> productFactors, Dataset<Row> forCustomers,
      Dataset<Row> forProducts) {}

  private AlsFactors() {}

  /**
   * The preference of each customer for each product bought: customer_id, product_id, preference — the sum
   * over its orders of 2^(−age / {@code halfLifeDays}), or the number of orders when that is 0. ALS's and
   * EASE's input ({@code preference-half-life-days} of each); the job reads it through {@link SharedPreferences}.
   */
  public static Dataset<Row> preferences(BaseTables base, double halfLifeDays) {
    if (halfLifeDays == 0) {
      return base.customerProducts().select(col("customer_id"), col("product_id"),
          col("times_bought").cast("double").as("preference"));
    }
    return base.orderLines().groupBy("customer_id", "product_id")
        .agg(Sums.orderFree(BaseTables.decay(col("age_days"), halfLifeDays)).as("preference"));
  }

  /**
   * ALS checkpoints its long lineage (every {@code checkpoint-interval} iterations; without it, some 20
   * iterations overflow the stack deserializing a task) only where Spark has a checkpoint directory: the
   * configured one ({@code shoprec.job.als.checkpoint-dir}), else a temporary one when the master is local.
   */
  public static void ensureCheckpointDir(org.apache.spark.sql.SparkSession spark, AlsFactors.Settings als) {
    if (!spark.sparkContext().getCheckpointDir().isEmpty()) {
      return;
    }
    String configured = als.checkpointDir();
    if (!configured.isEmpty()) {
      spark.sparkContext().setCheckpointDir(configured);
    } else if (spark.sparkContext().isLocal()) {
      try {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("shoprec-checkpoints");
        dir.toFile().deleteOnExit();
        spark.sparkContext().setCheckpointDir(dir.toString());
      } catch (java.io.IOException e) {
        LOG.warn("no checkpoint directory for ALS: {}", e.toString());
      }
    } else {
      LOG.warn("no checkpoint directory for ALS on a cluster: set shoprec.job.als.checkpoint-dir");
    }
  }

  /** {@code preferences}: customer_id, product_id, preference (see {@link #preferences}). */
  public static Result train(Dataset<Row> preferences, AlsFactors.Settings s, int audienceCandidates) {
    Dataset<Row> customers = index(preferences, "customer_id", "cidx");
    Dataset<Row> products = index(preferences, "product_id", "pidx");
    Dataset<Row> ratings = preferences.select("customer_id", "product_id", "preference")
        .join(customers, "customer_id").join(products, "product_id")
        .select(col("cidx"), col("pidx"), col("preference").cast("float").as("rating"))
        .cache();
    long ratingCount = ratings.count();
    int blocks = s.blocksFor(ratingCount);

    ALS als = new ALS()
        .setImplicitPrefs(true)
        .setRank(s.rank())
        .setRegParam(s.regParam())
        .setAlpha(s.alpha())
        .setMaxIter(s.maxIter())
        .setSeed(s.seed())
        .setCheckpointInterval(s.checkpointInterval())
        .setNumUserBlocks(blocks)
        .setNumItemBlocks(blocks)
        .setUserCol("cidx")
        .setItemCol("pidx")
        .setRatingCol("rating")
        .setColdStartStrategy("drop");
    long started = System.nanoTime();
    ALSModel model = als.fit(ratings);
    LOG.info("ALS: rank {}, {} iterations, {} ratings, {} blocks, trained in {} ms", s.rank(), s.maxIter(),
        ratingCount, blocks, (System.nanoTime() - started) / 1_000_000);

    Dataset<Row> customerFactors = model.userFactors().join(customers, col("id").equalTo(col("cidx")))
        .select(col("customer_id"), col("features").as("factors"));
    Dataset<Row> productFactors = model.itemFactors().join(products, col("id").equalTo(col("pidx")))
        .select(col("product_id"), col("features").as("factors"));

    Dataset<Row> bought = preferences.select("customer_id", "product_id");
    Dataset<Row> forCustomers = FactorTopK.topK(model.userFactors(), model.itemFactors(), s.candidatesPerCustomer(),
        s.blockSize())
        .select(col("query").as("cidx"), col("target").as("pidx"), col("score").cast("double").as("score"))
        .join(customers, "cidx").join(products, "pidx")
        .select("customer_id", "product_id", "score");
    forCustomers = Joins.without(forCustomers, bought, "customer_id", "product_id");

    Dataset<Row> forProducts = FactorTopK.topK(model.itemFactors(), model.userFactors(), audienceCandidates, s.blockSize())
        .select(col("query").as("pidx"), col("target").as("cidx"), col("score").cast("double").as("score"))
        .join(customers, "cidx").join(products, "pidx")
        .select("product_id", "customer_id", "score");
    return new Result(customerFactors, productFactors, forCustomers, forProducts);
  }

  /** Dense 0-based integer ids in id order. */
  private static Dataset<Row> index(Dataset<Row> customerProducts, String column, String indexColumn) {
    return customerProducts.select(column).distinct()
        .withColumn(indexColumn, row_number().over(Window.orderBy(column)).minus(1).cast("int"));
  }
}

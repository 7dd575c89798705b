package com.shoprec.jobs.model.signals;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SharedData;
import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recall against brute force on a real slice: the Online Retail customers whose id hashes to 0 mod 3 (about
 * 1,450 customers, 89 k distinct customer–product pairs). The caps are lowered so that they bind on a slice
 * this small: 40 buyers per product (the slice's most popular product has about 300) and 150 products per
 * customer. The pairs are scored in memory (what the job does when the product sets fit in a broadcast), and
 * scoring them by joins must give the same rows.
 */
class JaccardNeighboursRecallIT extends SparkTestBase {

  private static final Logger LOG = LoggerFactory.getLogger(JaccardNeighboursRecallIT.class);

  @Test
  void findsNinetyFivePercentOfTheTrueTopHundredWithExactSimilarities() {
    Dataset<Row> slice = spark.read().option("header", true).csv(SharedData.onlineRetail().toString())
        .select("customer_id", "product_id")
        .where(pmod(xxhash64(col("customer_id"), lit(7)), lit(3)).equalTo(0))
        .cache();
    JaccardNeighbours.Settings s = JobSettings.of(Map.of("shoprec.job.input.path", "x",
        "shoprec.job.neighbours.max-buyers-per-product", 40,
        "shoprec.job.neighbours.max-products-per-customer", 150)).neighbours();
    assertEquals(100, s.topK());
    assertEquals(0.05, s.minSimilarity());

    JaccardNeighbours.Result r = JaccardNeighbours.compute(slice, s, JaccardNeighbours.Scoring.IN_MEMORY);
    JaccardNeighbours.Stats st = r.stats();
    long n = st.customers();
    assertTrue(n > 1000 && n < 2000, "slice of " + n + " customers");
    assertTrue(st.cappedProducts() > 0 && st.largestDegree() > 40, "the buyer cap binds: " + st);
    assertTrue(st.cappedCustomers() > 0, "the product cap binds: " + st);

    Dataset<Row> all = JaccardNeighboursBruteForce.allPairs(slice, s.minSimilarity()).cache();
    Dataset<Row> truth = JaccardNeighboursBruteForce.topK(all, s.topK()).cache();
    JaccardNeighboursBruteForce.Recall recall = JaccardNeighboursBruteForce.recall(truth, r.neighbours(), s.topK());
    long inexact = JaccardNeighboursBruteForce.inexact(r.neighbours(), all);
    long allPairs = n * (n - 1) / 2;
    LOG.info("recall slice: {} customers, {} of {} pairs scored ({}), recall {} ({} of {} true top-{}), {} inexact",
        n, st.candidatePairs(), allPairs, String.format("%.3f", (double) st.candidatePairs() / allPairs),
        String.format("%.4f", recall.ratio()), recall.found(), recall.trueNeighbours(), s.topK(), inexact);

    assertTrue(recall.trueNeighbours() > 10_000, "a meaningful truth: " + recall);
    assertTrue(recall.ratio() >= 0.95, "recall " + recall.ratio() + " " + recall);
    assertEquals(0, inexact, "every kept similarity and common count equals the brute force");
    assertTrue(st.candidatePairs() < allPairs, "fewer pairs scored than all pairs");
    // the job never lists more than K, and only pairs at or above the threshold
    assertEquals(0, r.neighbours().where(col("rank").gt(s.topK()).or(col("similarity").lt(s.minSimilarity()))).count());

    // Scoring the pairs by joins finds the very same rows, ranks included, and counts the same pairs.
    JaccardNeighbours.Result joins = JaccardNeighbours.compute(slice, s, JaccardNeighbours.Scoring.BY_JOINS);
    assertEquals(st, joins.stats());
    assertEquals(0, r.neighbours().exceptAll(joins.neighbours()).count());
    assertEquals(0, joins.neighbours().exceptAll(r.neighbours()).count());
    slice.unpersist();
    all.unpersist();
    truth.unpersist();
  }
}

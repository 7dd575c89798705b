package com.shoprec.jobs;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local Spark session per test class: two cores, two shuffle partitions, no adaptive execution, no UI (and
 * little status history), UTC.
 */
public abstract class SparkTestBase {

  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder()
        .master("local[2]")
        .appName("shoprec-test")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        // The status store keeps jobs, stages, tasks and SQL plans even without a UI; a class that runs the
        // whole job several times in one session would otherwise fill a 3 GB test heap with them.
        .config("spark.ui.retainedJobs", "50")
        .config("spark.ui.retainedStages", "50")
        .config("spark.ui.retainedTasks", "1000")
        .config("spark.sql.ui.retainedExecutions", "20")
        .config("spark.sql.maxPlanStringLength", "100000") // as RecommendationJob.session: plans' text is huge
        .config("spark.sql.ui.explainMode", "simple")
        // On test-sized data adaptive execution only re-plans, and every re-plan posts the query's whole plan
        // text again (hundreds of times per job run): a job run on a slice takes about 15 % less without it.
        // Results do not depend on it (ClusterRunIT compares a run with it, on a cluster, to a local one).
        .config("spark.sql.adaptive.enabled", "false")
        // As the job (RecommendationJob.sessionDefaults): room for every generated class. A static setting, taken
        // from the first session in the JVM; the cache then serves every class's runs, which otherwise compiled
        // all their code again (a warm run of the job on a slice: 26 s with Spark's 100 entries, 18 s with more).
        .config(RecommendationJob.CODEGEN_CACHE, Integer.toString(RecommendationJob.CODEGEN_CACHE_ENTRIES))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }
}

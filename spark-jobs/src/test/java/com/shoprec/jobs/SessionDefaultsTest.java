package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SessionDefaultsTest {

  /** A SparkConf that does not read the test JVM's spark.* system properties. */
  private static SparkConf conf(String... keyValues) {
    SparkConf conf = new SparkConf(false);
    for (int i = 0; i < keyValues.length; i += 2) {
      conf.set(keyValues[i], keyValues[i + 1]);
    }
    return conf;
  }

  @Test
  void withNothingSetTheJobRunsLocallyWithItsOwnDefaults() {
    Map<String, String> d = RecommendationJob.sessionDefaults(conf(), 2);
    assertEquals("local[*]", d.get("spark.master"));
    assertEquals("8", d.get("spark.sql.shuffle.partitions"), "four per core");
    assertEquals("2000", d.get("spark.sql.codegen.cache.maxEntries"), "room for every class a run generates");
    assertEquals("FAIR", d.get("spark.scheduler.mode"));
    assertEquals("100000", d.get("spark.sql.maxPlanStringLength"));
    assertEquals("simple", d.get("spark.sql.ui.explainMode"));
  }

  @Test
  void whatSparkSubmitSetsWins() {
    Map<String, String> d = RecommendationJob.sessionDefaults(conf("spark.master", "local[3]",
        "spark.sql.codegen.cache.maxEntries", "50", "spark.sql.shuffle.partitions", "5",
        "spark.scheduler.mode", "FIFO"), 2);
    assertFalse(d.containsKey("spark.master"));
    assertFalse(d.containsKey("spark.sql.codegen.cache.maxEntries"));
    assertFalse(d.containsKey("spark.sql.shuffle.partitions"));
    assertFalse(d.containsKey("spark.scheduler.mode"));
  }

  @Test
  void shufflePartitionsGrowWithTheInputUpToTheSessionsValue() {
    // the bundled sample, the shared file, 10 M lines, with the default 100,000 lines per partition on local[2]
    assertEquals(1, RecommendationJob.shufflePartitions(8, 61_222, 100_000));
    assertEquals(4, RecommendationJob.shufflePartitions(8, 397_924, 100_000));
    assertEquals(8, RecommendationJob.shufflePartitions(8, 10_000_000, 100_000), "the session's value bounds it");
    assertEquals(2, RecommendationJob.shufflePartitions(8, 200_000, 100_000), "exact multiples are not rounded up");
    assertEquals(3, RecommendationJob.shufflePartitions(8, 200_001, 100_000));
    assertEquals(1, RecommendationJob.shufflePartitions(8, 0, 100_000), "never none");
    assertEquals(200, RecommendationJob.shufflePartitions(200, 10_000_000_000L, 100_000), "a cluster's 200");
    assertEquals(8, RecommendationJob.shufflePartitions(8, 61_222, 0), "0: the session's value");
  }

  @Test
  void onAClusterSparksShufflePartitionsStay() {
    Map<String, String> d = RecommendationJob.sessionDefaults(conf("spark.master", "spark://10.0.0.1:7077"), 2);
    assertFalse(d.containsKey("spark.sql.shuffle.partitions"), "a cluster keeps 200 (or what AQE makes of it)");
    assertEquals("2000", d.get("spark.sql.codegen.cache.maxEntries"));
  }
}

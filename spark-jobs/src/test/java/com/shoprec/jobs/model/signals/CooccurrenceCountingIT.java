package com.shoprec.jobs.model.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.testkit.SyntheticOrders;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Co-occurrence counted in memory gives the very rows of the row-based counting, ranks and measures included, on
 * 30,000 synthetic order lines (about 1,300 orders, some of them wholesale baskets over the sample size), under
 * every ranking.
 */
class CooccurrenceCountingIT extends SparkTestBase {

  private static Dataset<Row> lines;

  @BeforeAll
  static void generate(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("orders.csv.gz");
    SyntheticOrders.write(file, 30_000, 5);
    lines = spark.read().option("header", true).csv(file.toString()).select("order_id", "product_id").cache();
  }

  private static Cooccurrence.Settings settings(String rankBy, int maxBasketSize) {
    return JobSettings.of(Map.of("shoprec.job.input.path", "x",
        "shoprec.job.cooccurrence.rank-by", rankBy,
        "shoprec.job.cooccurrence.min-co-count", 2,
        "shoprec.job.cooccurrence.top-k", 10,
        "shoprec.job.cooccurrence.max-basket-size", maxBasketSize)).cooccurrence();
  }

  private static void assertSameRows(Cooccurrence.Settings s) {
    Cooccurrence.Result memory = Cooccurrence.compute(lines, s, Cooccurrence.Counting.IN_MEMORY);
    Cooccurrence.Result joins = Cooccurrence.compute(lines, s, Cooccurrence.Counting.BY_JOINS);
    assertEquals(joins.stats(), memory.stats());
    assertTrue(memory.stats().keptPairs() > 5_000, "a meaningful comparison: " + memory.stats());
    assertEquals(0, memory.pairs().exceptAll(joins.pairs()).count(), s.toString());
    assertEquals(0, joins.pairs().exceptAll(memory.pairs()).count(), s.toString());
    memory.pairs().unpersist();
    joins.pairs().unpersist();
  }

  @Test
  void sameRowsRankedByConfidenceWithLargeBasketsSampled() {
    Cooccurrence.Settings s = settings("confidence", 30);
    assertSameRows(s);
    assertTrue(Cooccurrence.compute(lines, s, Cooccurrence.Counting.IN_MEMORY).stats().cappedBaskets() > 10,
        "the sample binds");
  }

  @Test
  void sameRowsRankedByLiftJaccardAndCoCount() {
    assertSameRows(settings("lift", 100));
    assertSameRows(settings("jaccard", 100));
    assertSameRows(settings("co_count", 100));
  }
}

package com.shoprec.jobs.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.RecommendationJob;
import com.shoprec.jobs.SparkTestBase;
import com.shoprec.testkit.EmbeddedStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Gates against real stores, on a tiny hand-written history (six customers, four products, December 2011):
 * a gate that fails publishes nothing and exits 3 with the failed check in the job log; {@code --force}
 * publishes the same run and records that it did.
 */
class QualityGatesIT extends SparkTestBase {

  @TempDir static Path dir;
  private static EmbeddedStores stores;
  private static Path orders;

  @BeforeAll
  static void start() throws Exception {
    stores = EmbeddedStores.start();
    orders = dir.resolve("orders.csv");
    List<String> lines = new ArrayList<>(List.of("order_id,customer_id,product_id,ts,quantity,price"));
    String[] products = {"A", "B", "C", "D"};
    int order = 1;
    for (int c = 1; c <= 6; c++) {
      for (int day = 1; day <= c; day++) {
        lines.add(String.format("o%d,c%d,%s,2011-12-%02dT10:00:00,1,1.0", order, c, products[(c + day) % 4], day));
        lines.add(String.format("o%d,c%d,%s,2011-12-%02dT10:00:00,2,1.0", order, c, products[day % 4], day));
        order++;
      }
    }
    Files.write(orders, lines);
  }

  @AfterAll
  static void stop() {
    stores.close();
  }

  private static int job(String... extra) {
    List<String> args = new ArrayList<>(List.of("--input", orders.toString(), "--redis-url", stores.redisUrl(),
        "--database-url", stores.jdbcUrl(), "--set", "shoprec.job.list-size=3",
        "--set", "shoprec.job.als.rank=2", "--set", "shoprec.job.als.max-iter=2", "--set", "shoprec.job.als.blocks=2",
        // six customers can never reach this: the gate must fail
        "--set", "shoprec.job.gates.min-customers=1000"));
    args.addAll(List.of(extra));
    return RecommendationJob.run(args.toArray(String[]::new));
  }

  @Test
  void aFailingGatePublishesNothingUnlessForced() throws Exception {
    assertEquals(RecommendationJob.EXIT_GATE_FAILED, job());
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      assertEquals(null, redis.get(RedisKeys.withoutNamespace().liveRunPointer()));
      assertTrue(redis.keys("weekly_recs:*").isEmpty());
    }
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("SELECT status, error, gate_results::text, forced FROM recommendation_job_log "
          + "WHERE run_id = '2011_W49_1'")) {
        assertTrue(r.next());
        assertEquals("failed", r.getString(1));
        assertTrue(r.getString(2).contains("customers = 6.0000 (must be >= 1000"), r.getString(2));
        assertTrue(r.getString(3).contains("\"check\": \"customers\""), r.getString(3));
        assertEquals(false, r.getBoolean(4));
      }
      try (ResultSet r = s.executeQuery("SELECT count(*) FROM current_weekly_recommendations")) {
        r.next();
        assertEquals(0, r.getLong(1));
      }
    }

    assertEquals(0, job("--force"));
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      assertEquals("2011_W49_2", redis.get(RedisKeys.withoutNamespace().liveRunPointer()));
    }
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT status, forced FROM recommendation_job_log WHERE run_id = '2011_W49_2'")) {
      assertTrue(r.next());
      assertEquals("completed", r.getString(1));
      assertEquals(true, r.getBoolean(2));
    }
  }
}

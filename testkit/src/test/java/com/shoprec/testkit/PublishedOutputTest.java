package com.shoprec.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.SetParams;

/**
 * {@link PublishedOutput} on a hand-made run in real embedded stores: two runs that differ only in what is
 * run-specific (run id, times, store) dump identically; one ulp of one score, one changed Redis value, or a missing
 * key are differences, named by table and key kind.
 */
class PublishedOutputTest {

  @TempDir static Path dir;
  private static EmbeddedStores stores;

  @BeforeAll
  static void start() throws Exception {
    stores = EmbeddedStores.start();
    Path schema = Path.of("..", "sql", "schema.sql");
    try (Connection c = db(); Statement st = c.createStatement()) {
      st.execute(Files.readString(schema));
    }
  }

  @AfterAll
  static void stop() {
    if (stores != null) {
      stores.close();
    }
  }

  private static Connection db() throws Exception {
    return DriverManager.getConnection(stores.jdbcUrl());
  }

  /** Empties both stores and publishes a small run the way the job does (rows, keys, then the pointers). */
  private static void publish(String runId, String startedAt, String generatedAt, double score, String value)
      throws Exception {
    try (Connection c = db(); Statement st = c.createStatement()) {
      st.execute("TRUNCATE recommendation_current_run, weekly_recommendations, als_product_factors, "
          + "recommendation_job_log");
      st.execute("INSERT INTO recommendation_job_log (run_id, week, status, started_at, finished_at, published_at, "
          + "as_of, input_rows, stage_timings, parameters) VALUES ('" + runId + "', '2011_W49', 'completed', '"
          + startedAt + "', now(), now(), '2011-12-10', 10, '{\"read\": " + (startedAt.hashCode() & 0xffff)
          + ", \"als\": 7}', '{\"redis.url\": \"redis://127.0.0.1:" + stores.redisPort() + "\", "
          + "\"job.input.path\": \"/tmp/" + runId + "/orders.csv\", \"job.als.rank\": 8}')");
      st.execute("INSERT INTO recommendation_current_run VALUES ('" + runId + "', now())");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO weekly_recommendations "
          + "(run_id, week, customer_id, product_id, rank, score, source, reason) VALUES (?, '2011_W49', ?, ?, ?, ?, "
          + "'discovery', '{\"als\": 0.25}')")) {
        for (int i = 1; i <= 3; i++) {
          ps.setString(1, runId);
          ps.setString(2, "c" + i);
          ps.setString(3, "85123A");
          ps.setInt(4, i);
          ps.setDouble(5, i == 2 ? score : 0.1 * i);
          ps.executeUpdate();
        }
      }
      st.execute("INSERT INTO als_product_factors VALUES ('" + runId + "', '85123A', '{0.1,-0.25,3e-7}')");
    }
    try (Jedis redis = new Jedis(URI.create(stores.redisUrl()))) {
      redis.flushAll();
      SetParams ttl = SetParams.setParams().ex(8 * 86_400L);
      redis.set("weekly_recs:" + runId + ":c1", "{\"customer_id\":\"c1\",\"recommendations\":[{\"product_id\":"
          + "\"85123A\",\"score\":" + value + "}],\"generated_at\":\"" + generatedAt + "\"}", ttl);
      redis.set("weekly_recs:" + runId + ":c2", "{\"customer_id\":\"c2\",\"generated_at\":\"" + generatedAt + "\"}", ttl);
      redis.set("weekly_recs_fallback:" + runId, "{\"generated_at\":\"" + generatedAt + "\"}", ttl);
      redis.set("customer_profile:" + runId + ":c1", "{\"customer_id\":\"c1\",\"list_generated_at\":\""
          + generatedAt + "\",\"generated_at\":\"" + generatedAt + "\"}", ttl);
      redis.set("shoprec:run:" + runId, "{\"run_id\":\"" + runId + "\",\"week\":\"2011_W49\",\"generated_at\":\""
          + generatedAt + "\",\"published_at\":\"" + startedAt + "\",\"keys\":{\"weekly_recs\":2}}", ttl);
      redis.set("shoprec:live_run", runId);
      redis.lpush("shoprec:published_runs", runId);
    }
  }

  private static Path dump(String name) {
    Path out = dir.resolve(name);
    PublishedOutput.dump(stores.jdbcUrl(), stores.redisUrl(), "", out);
    return out;
  }

  @Test
  void runSpecificValuesAreNormalizedAndEverythingElseIsCompared() throws Exception {
    publish("2011_W49_1", "2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", 0.2, "0.5");
    Path a = dump("a");
    publish("2011_W49_2", "2025-03-04T11:12:13Z", "2025-03-04T11:12:13Z", 0.2, "0.5");
    Path sameContent = dump("same");
    PublishedOutput.Comparison same = PublishedOutput.compare(a, sameContent, null);
    assertTrue(same.identical(), same.report());
    assertTrue(same.report().endsWith("IDENTICAL\n"), same.report());
    String log = Files.readString(a.resolve("pg.recommendation_job_log.tsv"));
    assertTrue(log.contains("{run}\t2011_W49\tcompleted\t{time}\t{time}\t{time}\t2011-12-10"), log);
    assertTrue(log.contains("\"redis.url\": \"{url}\"") && log.contains("\"job.input.path\": \"orders.csv\"")
        && log.contains("\"read\": \"{ms}\"") && log.contains("\"job.als.rank\": 8"), log);
    assertTrue(Files.readString(a.resolve("redis.weekly_recs.tsv")).contains(
        "weekly_recs:{run}:c1\tstring\t192h\t{\"customer_id\":\"c1\",\"recommendations\":[{\"product_id\":\"85123A\","
        + "\"score\":0.5}],\"generated_at\":\"{generated_at}\"}"));
    assertTrue(Files.readString(a.resolve("redis.customer_profile.tsv")).contains("customer_profile:{run}:c1\tstring"
        + "\t192h\t{\"customer_id\":\"c1\",\"list_generated_at\":\"{generated_at}\",\"generated_at\":\"{generated_at}\"}"));
    assertEquals("#kind\tglobal\tkey\ttype\tttl\tvalue\nshoprec:live_run\tstring\tnone\t{run}\n"
        + "shoprec:published_runs\tlist\tnone\t[\"{run}\"]\n", Files.readString(a.resolve("redis.global.tsv")));

    // one ulp of one score, and one number in one Redis value
    publish("2011_W49_3", "2025-03-04T11:12:13Z", "2025-03-04T11:12:13Z", Math.nextUp(0.2), "0.5000001");
    Path changed = dump("changed");
    PublishedOutput.Comparison diff = PublishedOutput.compare(a, changed, null);
    assertFalse(diff.identical());
    assertEquals(List.of("pg.weekly_recommendations", "redis.weekly_recs"), diff.different(), diff.report());
    assertTrue(diff.report().contains("1 rows differ: 1 changed, 0 only in A, 0 only in B"), diff.report());
    assertTrue(diff.report().contains("column score:float8: 1 changed, max |Δ| 2.78e-17"), diff.report());
    assertTrue(diff.report().contains("column value: 1 changed, max |Δ| 1.00e-07"), diff.report());
    assertTrue(diff.report().endsWith("DIFFERENT: pg.weekly_recommendations, redis.weekly_recs\n"), diff.report());

    // the same difference, when a second run of A's code differs as well, is nondeterminism, not a change
    PublishedOutput.Comparison noisy = PublishedOutput.compare(a, changed, changed);
    assertEquals(List.of("pg.weekly_recommendations", "redis.weekly_recs"), noisy.nondeterministic());
    assertTrue(noisy.report().contains("nondeterministic run to run"), noisy.report());

    // a digests file alone is a reference to compare with
    Path digests = dir.resolve("reference.digests");
    PublishedOutput.writeDigests(a, digests, List.of("commit 0000000"));
    assertTrue(PublishedOutput.compare(digests, sameContent, null).identical());
    assertEquals(List.of("pg.weekly_recommendations", "redis.weekly_recs"),
        PublishedOutput.compare(digests, changed, null).different());
  }

  @Test
  void aMissingKeyIsADifferenceAndTwoLiveRunsAreRefused() throws Exception {
    publish("2011_W49_1", "2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", 0.2, "0.5");
    Path a = dump("before-delete");
    try (Jedis redis = new Jedis(URI.create(stores.redisUrl()))) {
      redis.del("weekly_recs:2011_W49_1:c2");
    }
    PublishedOutput.Comparison missing = PublishedOutput.compare(a, dump("after-delete"), null);
    assertEquals(List.of("redis.weekly_recs"), missing.different(), missing.report());
    assertTrue(missing.report().contains("1 keys differ: 0 changed, 1 only in A, 0 only in B"), missing.report());

    try (Jedis redis = new Jedis(URI.create(stores.redisUrl()))) {
      redis.set("shoprec:live_run", "2011_W48_1");
    }
    assertThrows(IllegalStateException.class, () -> dump("two-live-runs"));
  }
}

package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.store.postgres.PostgresStore;
import com.shoprec.jobs.store.postgres.PostgresTarget;
import com.shoprec.testkit.EmbeddedStores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Faults against real servers, each ending with the previous run still served, the job log saying what
 * happened, and a plain rerun that publishes: Redis stopped during the key writes, Postgres stopped at
 * publish time, the job process killed mid-run, corrupt or truncated input, two runs at once.
 *
 * <p>One set of embedded stores that can stop and restart on the same port and data (Redis with an
 * append-only file, so what it held survives the stop); the customers of the shared orders whose id is
 * divisible by 30; smaller models ({@link SmallModels}). The tests run in order, two runs at once first (its
 * first run is the run the next faults must leave serving), and each starts from the run the one before it left
 * live. A fault is injected by a watcher thread the moment the new run's first customer key appears in Redis: by
 * then its Postgres rows are loaded, and the key writes, the count and the switch are ahead.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT extends SparkTestBase {

  private static final RedisKeys KEYS = RedisKeys.withoutNamespace();
  private static final String WEEK = "2011_W49";
  private static final List<String> RUN_TABLES = List.of("weekly_recommendations", "customer_segments",
      "popular_products", "similar_customers", "item_cooccurrence", "product_audience", "als_customer_factors",
      "als_product_factors");

  /** The job processes this test starts: two shuffle partitions, as the in-process runs (SparkTestBase). */
  private static final List<String> CHILD_JVM = List.of("-Dspark.sql.shuffle.partitions=2");

  @TempDir static Path dir;
  private static EmbeddedStores stores;
  private static Path slice;

  @BeforeAll
  static void start() throws Exception {
    slice = dir.resolve("slice.csv");
    OrderSlice.write(slice, 30);
    stores = EmbeddedStores.startRestartable(dir.resolve("stores"), Map.of(), List.of("appendonly yes"));
    try (PostgresStore pg = PostgresStore.connect(new PostgresTarget(stores.jdbcUrl(), null, null))) {
      pg.schema().ensure(); // the first test counts log rows before any run
    }
  }

  @AfterAll
  static void stop() {
    if (stores != null) {
      stores.close();
    }
  }

  private static List<String> args(String... extra) {
    List<String> args = new ArrayList<>(List.of("--input", slice.toString(),
        "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl(),
        "--set", "shoprec.job.segments.mode=quantile"));
    args.addAll(SmallModels.ARGS);
    args.addAll(List.of(extra));
    return args;
  }

  private static int job(String... extra) {
    return RecommendationJob.run(args(extra).toArray(String[]::new));
  }

  // ---- Redis stopped during the key writes -----------------------------------------------------------

  @Test
  @Order(3)
  void redisStoppedDuringTheKeyWrites() throws Exception {
    String previous = liveRun();
    String failed = nextRunId();
    Watcher stopRedis = Watcher.whenKeysAppear(failed, () -> stores.stopRedis());
    int code;
    try {
      code = job();
      stopRedis.finish();
      assertTrue(stopRedis.fired(), "Redis was stopped during the key writes");
    } finally {
      stores.startRedis();
    }

    assertEquals(RecommendationJob.EXIT_STORE_UNAVAILABLE, code, "Redis gone: store unreachable");
    assertServes(previous);
    assertEquals("failed", status(failed));
    assertTrue(error(failed).contains("RedisUnavailableException") && error(failed).contains(stores.redisUrl()
        .substring("redis://".length())), "the job log names Redis: " + error(failed));
    assertEquals(0, runRows(failed), "the failed run's rows are deleted");
    long orphans = runKeys(failed);
    assertTrue(orphans > 0, "Redis kept (append-only file) the keys written before it stopped");

    // A plain rerun publishes, and deletes the keys the failed run could not delete itself.
    String rerun = nextRunId();
    assertEquals(0, job());
    assertServes(rerun);
    assertEquals(0, runKeys(failed), "the " + orphans + " keys left by " + failed + " are deleted by the rerun");
  }

  // ---- Postgres unreachable at publish time --------------------------------------------------------

  @Test
  @Order(4)
  void postgresUnreachableAtPublishTime() throws Exception {
    String previous = liveRun();
    String lost = nextRunId();
    Watcher stopPostgres = Watcher.whenKeysAppear(lost, () -> stores.stopPostgres());
    int code;
    try {
      code = job();
      stopPostgres.finish();
      assertTrue(stopPostgres.fired(), "Postgres was stopped during the key writes");
      // While Postgres is down: Redis still serves the previous run.
      try (Jedis redis = redis()) {
        assertEquals(previous, redis.get(KEYS.liveRunPointer()), "the Redis pointer did not move");
        assertNotNull(redis.get(KEYS.runInfo(previous)));
      }
      assertEquals(0, runKeys(lost), "Redis was up: the job deleted its own keys");
    } finally {
      stores.startPostgres();
    }
    assertEquals(RecommendationJob.EXIT_STORE_UNAVAILABLE, code, "Postgres gone: store unreachable");
    assertPayloadReadable(previous);
    // The job could not record its failure: its log row still says running, its loaded rows are there.
    assertEquals("running", status(lost));
    assertTrue(runRows(lost) > 0, "rows loaded before Postgres went away");
    assertServes(previous);

    // --status finds the run nobody holds the lock for, marks it failed and deletes its rows.
    Captured status = Captured.run(() -> RecommendationJob.run("--status", "--database-url", stores.jdbcUrl()));
    assertEquals(0, status.code);
    assertTrue(status.out.contains("run " + lost + " was left running"), status.out);
    assertEquals("failed", status(lost));
    assertTrue(error(lost).startsWith("abandoned:"), error(lost));
    assertEquals(0, runRows(lost));

    String rerun = nextRunId();
    assertEquals(0, job());
    assertServes(rerun);
  }

  // ---- the job process killed mid-run --------------------------------------------------------------

  @Test
  @Order(5)
  void jobProcessKilledDuringPublish() throws Exception {
    String previous = liveRun();
    String killed = nextRunId();
    JobProcess child = JobProcess.start(dir, "killed", Map.of(), CHILD_JVM, args());
    Watcher kill = Watcher.whenKeysAppear(killed, () -> child.process.destroyForcibly());
    int code = child.exitCode(400);
    kill.finish();
    assertTrue(kill.fired(), "killed during the key writes (exit " + code + "): " + child.stderrTail());
    assertEquals(137, code, "SIGKILL");

    assertServes(previous);
    assertEquals("running", status(killed), "a killed process records nothing");
    assertTrue(runKeys(killed) > 0);

    // The next run finds it abandoned: marks it failed, deletes its rows and keys, and publishes.
    String rerun = nextRunId();
    assertEquals(0, job());
    assertServes(rerun);
    assertEquals("failed", status(killed));
    assertTrue(error(killed).startsWith("abandoned:"), error(killed));
    assertEquals(0, runRows(killed));
    assertEquals(0, runKeys(killed));
  }

  // ---- corrupt or truncated input ------------------------------------------------------------------

  /**
   * Second, after a run that published: nothing is logged or written, the first run still serves, and the
   * next test's runs get past the run lock (its rerun publishes), so a refused input leaves nothing behind.
   */
  @Test
  @Order(2)
  void corruptOrTruncatedInputStopsWithTheFileNamed() throws Exception {
    String previous = liveRun();
    long logRows = count("SELECT count(*) FROM recommendation_job_log");
    byte[] gz = gzip(Files.readAllBytes(slice));
    Path truncated = dir.resolve("truncated.csv.gz");
    Files.write(truncated, java.util.Arrays.copyOf(gz, gz.length / 2));
    byte[] noise = new byte[64 * 1024];
    new Random(6).nextBytes(noise);
    Path garbageGz = dir.resolve("garbage.csv.gz");
    Files.write(garbageGz, noise);
    Path garbageCsv = dir.resolve("garbage.csv");
    Files.write(garbageCsv, noise);

    for (Path bad : List.of(truncated, garbageGz, garbageCsv)) {
      List<String> a = args();
      a.set(a.indexOf("--input") + 1, bad.toString());
      Captured run = Captured.run(() -> RecommendationJob.run(a.toArray(String[]::new)));
      assertEquals(RecommendationJob.EXIT_BAD_INPUT, run.code, bad + ": " + run.err);
      String error = run.err.lines().filter(l -> l.startsWith("error: ")).findFirst().orElse(run.err);
      assertTrue(error.contains(bad.getFileName().toString()), "the error names the file: " + error);
    }
    assertTrue(Captured.last.contains("order_id"), "garbage.csv: the missing column is named: " + Captured.last);
    assertEquals(logRows, count("SELECT count(*) FROM recommendation_job_log"), "nothing was logged or written");
    assertServes(previous);
  }

  // ---- two runs started at once --------------------------------------------------------------------

  /** First: its first run is also the run every later fault must leave serving. */
  @Test
  @Order(1)
  void twoRunsAtOnceNeverInterleave() throws Exception {
    long logRows = count("SELECT count(*) FROM recommendation_job_log");
    String run = nextRunId();
    JobProcess first = JobProcess.start(dir, "first", Map.of(), CHILD_JVM, args());
    // Hold the first run while it owns the run lock, so the second certainly starts during it.
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (!"running".equals(status(run))) {
      assertTrue(first.process.isAlive(), "the first run ended early: " + first.stderrTail());
      assertTrue(System.nanoTime() < deadline, "the first run never began");
      Thread.sleep(100);
    }
    first.signal("STOP");
    JobProcess second;
    int secondCode;
    try {
      second = JobProcess.start(dir, "second", Map.of(), CHILD_JVM, args());
      secondCode = second.exitCode(300);
    } finally {
      first.signal("CONT");
    }
    assertEquals(RecommendationJob.EXIT_RUN_IN_PROGRESS, secondCode, second.stderrTail());
    assertTrue(second.stderrText().contains("run " + run + " is in progress"), second.stderrTail());
    assertEquals(0, first.exitCode(400), first.stderrTail());

    assertEquals(logRows + 1, count("SELECT count(*) FROM recommendation_job_log"), "the second run logged nothing");
    assertServes(run);
    // The published run is whole: every table holds the rows its log counted, Redis the keys it counted.
    JsonNode outputs = new ObjectMapper().readTree(query(
        "SELECT output_counts::text FROM recommendation_job_log WHERE run_id = ?", run));
    for (String table : RUN_TABLES) {
      assertEquals(outputs.get(table).asLong(), count("SELECT count(*) FROM " + table + " WHERE run_id = '" + run + "'"),
          table);
    }
    long counted = 0;
    try (Jedis redis = redis()) {
      for (Iterator<JsonNode> it = new ObjectMapper().readTree(redis.get(KEYS.runInfo(run))).get("keys").elements();
           it.hasNext(); ) {
        counted += it.next().asLong();
      }
    }
    assertEquals(outputs.get("redis_keys").asLong(), counted);
    assertEquals(counted, runKeys(run) - 1, "every key of the run is in Redis (plus its run info)");
  }

  // ---- helpers -------------------------------------------------------------------------------------

  /** The run is live in both stores and its payloads are readable. */
  private static void assertServes(String run) throws Exception {
    try (Jedis redis = redis()) {
      assertEquals(run, redis.get(KEYS.liveRunPointer()), "Redis pointer");
      assertNotNull(redis.get(KEYS.runInfo(run)), "run info of " + run);
    }
    assertEquals(run, query("SELECT run_id FROM recommendation_current_run"), "Postgres current run");
    assertEquals("completed", status(run));
    assertPayloadReadable(run);
  }

  /** A customer of the run's Postgres lists has its list in Redis under the run. */
  private static void assertPayloadReadable(String run) throws Exception {
    String customer = query("SELECT min(customer_id) FROM weekly_recommendations WHERE run_id = ?", run);
    assertNotNull(customer, "rows of run " + run);
    try (Jedis redis = redis()) {
      String payload = redis.get(KEYS.payload(PayloadKind.CUSTOMER_RECS, run, customer));
      assertNotNull(payload, "payload of " + customer + " in run " + run);
      assertEquals(customer, new ObjectMapper().readTree(payload).get("customer_id").asText());
    }
  }

  private static Jedis redis() {
    return new Jedis("127.0.0.1", stores.redisPort());
  }

  private static String liveRun() {
    try (Jedis redis = redis()) {
      return redis.get(KEYS.liveRunPointer());
    }
  }

  /** The id the next run will get: the week plus one more than the runs logged for it. */
  private static String nextRunId() throws Exception {
    return WEEK + "_" + (count("SELECT count(*) FROM recommendation_job_log WHERE week = '" + WEEK + "'") + 1);
  }

  /** Every Redis key of the run: payloads of every kind, fallback, run info. */
  private static long runKeys(String run) {
    try (Jedis redis = redis()) {
      long n = 0;
      for (PayloadKind kind : PayloadKind.values()) {
        n += redis.keys(KEYS.runPattern(kind, run)).size();
      }
      n += redis.exists(KEYS.fallback(run)) ? 1 : 0;
      n += redis.exists(KEYS.runInfo(run)) ? 1 : 0;
      return n;
    }
  }

  private static long runRows(String run) throws Exception {
    long n = 0;
    for (String table : RUN_TABLES) {
      n += count("SELECT count(*) FROM " + table + " WHERE run_id = '" + run + "'");
    }
    return n;
  }

  private static String status(String run) throws Exception {
    return query("SELECT status FROM recommendation_job_log WHERE run_id = ?", run);
  }

  private static String error(String run) throws Exception {
    return String.valueOf(query("SELECT error FROM recommendation_job_log WHERE run_id = ?", run));
  }

  private static long count(String sql) throws Exception {
    return Long.parseLong(query(sql));
  }

  private static String query(String sql, String... params) throws Exception {
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      try (ResultSet r = ps.executeQuery()) {
        return r.next() ? r.getString(1) : null;
      }
    }
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(data);
    }
    return out.toByteArray();
  }

  /** Runs an action once the run's first customer key is in Redis. */
  static final class Watcher {
    interface Action {
      void run() throws Exception;
    }

    private final Thread thread;
    private final AtomicBoolean fired = new AtomicBoolean();
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile Exception failure;

    private Watcher(String run, Action action) {
      String pattern = KEYS.runPattern(PayloadKind.CUSTOMER_RECS, run);
      thread = new Thread(() -> {
        try (Jedis redis = redis()) {
          while (!done.get()) {
            if (!redis.scan("0", new redis.clients.jedis.ScanParams().match(pattern).count(100_000)).getResult().isEmpty()) {
              action.run();
              fired.set(true);
              return;
            }
            Thread.sleep(5);
          }
        } catch (Exception e) {
          failure = e;
        }
      }, "fault-watcher");
      thread.setDaemon(true);
      thread.start();
    }

    static Watcher whenKeysAppear(String run, Action action) {
      return new Watcher(run, action);
    }

    boolean fired() {
      return fired.get();
    }

    /** Stops watching; fails if the action failed, or never ran while the job was running in-process. */
    void finish() throws Exception {
      done.set(true);
      thread.join(60_000);
      if (failure != null) {
        throw new AssertionError("the fault could not be injected", failure);
      }
    }
  }

  /** An in-process job run with its stdout and stderr captured (and still printed). */
  static final class Captured {
    static String last = "";
    final int code;
    final String out;
    final String err;

    private Captured(int code, String out, String err) {
      this.code = code;
      this.out = out;
      this.err = err;
    }

    static Captured run(java.util.function.IntSupplier job) {
      PrintStream oldOut = System.out;
      PrintStream oldErr = System.err;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      System.setOut(new PrintStream(tee(out, oldOut), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(tee(err, oldErr), true, StandardCharsets.UTF_8));
      int code;
      try {
        code = job.getAsInt();
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
      last = err.toString(StandardCharsets.UTF_8);
      return new Captured(code, out.toString(StandardCharsets.UTF_8), last);
    }

    private static OutputStream tee(OutputStream a, OutputStream b) {
      return new OutputStream() {
        @Override
        public void write(int c) throws IOException {
          a.write(c);
          b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
          a.write(buf, off, len);
          b.write(buf, off, len);
        }
      };
    }
  }
}

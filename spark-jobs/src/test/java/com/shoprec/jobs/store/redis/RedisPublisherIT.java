package com.shoprec.jobs.store.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.SparkTestBase;
import com.shoprec.testkit.EmbeddedStores;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The publisher against a real (embedded) Redis, with the namespace {@code t:}. Fixtures are a handful
 * of literal keys per run, e.g. run {@code r1}: customers {@code c1}, {@code c2}, product {@code p1},
 * the popular list and the fallback; values are short literals (one of them not valid UTF-8).
 */
class RedisPublisherIT extends SparkTestBase {

  private static final StructType KV = new StructType()
      .add("key", DataTypes.StringType, false)
      .add("value", DataTypes.BinaryType, false);
  private static final int TTL = 3600;
  private static final RedisKeys KEYS = new RedisKeys("t:");

  private static EmbeddedStores stores;
  private static RedisTarget target;
  private RedisPublisher publisher;
  private Jedis redis;

  @BeforeAll
  static void startRedis() {
    stores = EmbeddedStores.start();
    target = RedisTarget.parse(stores.redisUrl(), null, 2000);
  }

  @AfterAll
  static void stopRedis() {
    if (stores != null) {
      stores.close();
    }
  }

  @BeforeEach
  void emptyRedis() throws Exception {
    stores.startRedis(); // in case a test stopped it and failed before restarting it
    redis = target.connect();
    redis.flushAll();
    publisher = new RedisPublisher(target, KEYS, TTL, 2);
  }

  @AfterEach
  void closeClient() {
    redis.close();
  }

  /**
   * Five keys in six partitions: {@code parallelize} slices by position, so the first slice is empty and
   * a pipeline batch of 2 splits no partition, while the one-partition case below splits into chunks.
   */
  @Test
  void writeStoresEveryKeyWithItsExactBytesAndTtl() {
    List<Row> rows = List.of(
        kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r1", "c1"), "{\"customer_id\":\"c1\"}"),
        kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r1", "c2"), "{\"customer_id\":\"c2\",\"name\":\"Café ☕\"}"),
        RowFactory.create(KEYS.payload(PayloadKind.SIMILAR_PRODUCTS, "r1", "p1"),
            new byte[] {0, (byte) 0xff, (byte) 0xc3, 0x28, '\n'}),
        kv(KEYS.popularAll("r1"), "{\"scope\":\"all\"}"),
        kv(KEYS.fallback("r1"), "{\"week\":\"2011_W49\"}"));
    Dataset<Row> kv = dataset(rows, 6);
    int writers = spark.sparkContext().defaultParallelism();
    assertTrue(kv.rdd().getNumPartitions() > writers);

    long connectionsBefore = connectionsReceived();
    assertEquals(5, publisher.write(kv));
    // one PING on the driver, then one connection per writing task: the six partitions go to one task per core
    assertEquals(1 + writers, connectionsReceived() - connectionsBefore);

    // one row in six partitions: one writing task has rows, and the other opens no connection
    connectionsBefore = connectionsReceived();
    assertEquals(1, publisher.write(dataset(rows.subList(0, 1), 6)));
    assertEquals(1 + 1, connectionsReceived() - connectionsBefore);

    for (Row row : rows) {
      byte[] key = row.getString(0).getBytes(StandardCharsets.UTF_8);
      assertArrayEquals((byte[]) row.get(1), redis.get(key), row.getString(0));
      long ttl = redis.ttl(key);
      assertTrue(ttl > 0 && ttl <= TTL, row.getString(0) + " ttl " + ttl);
    }
    assertEquals(5, redis.dbSize());
    assertEquals(Optional.empty(), publisher.liveRun(), "writing never touches the pointer");
  }

  @Test
  void onePartitionIsWrittenInBoundedChunks() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      rows.add(kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r1", "c" + i), "{\"n\":" + i + "}"));
    }
    assertEquals(7, publisher.write(dataset(rows, 1))); // chunks of 2, 2, 2, 1
    assertEquals(7, redis.dbSize());
    assertEquals(7, publisher.countRun("r1"));
  }

  @Test
  void switchLiveSetsRunInfoPointerAndPublishedRuns() {
    publish("r1", "c1", "c2");
    assertEquals("r1", redis.get(KEYS.liveRunPointer()));
    assertEquals(-1, redis.ttl(KEYS.liveRunPointer()), "the pointer never expires");
    assertEquals("{\"run\":\"r1\"}", redis.get(KEYS.runInfo("r1")));
    long infoTtl = redis.ttl(KEYS.runInfo("r1"));
    assertTrue(infoTtl > 0 && infoTtl <= TTL, "run info ttl " + infoTtl);
    assertEquals(List.of("r1"), redis.lrange(KEYS.publishedRuns(), 0, -1));
    assertEquals(Optional.of("r1"), publisher.liveRun());
    assertEquals(Optional.empty(), publisher.previousRun());

    publish("r2", "c1");
    assertEquals(Optional.of("r2"), publisher.liveRun());
    assertEquals(Optional.of("r1"), publisher.previousRun());
    assertEquals(List.of("r2", "r1"), redis.lrange(KEYS.publishedRuns(), 0, -1));
  }

  @Test
  void switchLiveWithACountRefusesAMissingKey() {
    publish("r1", "c1");
    assertEquals(5, write("r2", "c1", "c2"));
    redis.del(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r2", "c2")); // as if evicted
    RedisWriteException e = assertThrows(RedisWriteException.class,
        () -> publisher.switchLive("r2", "{}", 5));
    assertTrue(e.getMessage().contains("has 4 keys"), e.getMessage());
    assertEquals(Optional.of("r1"), publisher.liveRun());
    assertEquals(List.of("r1"), redis.lrange(KEYS.publishedRuns(), 0, -1));
  }

  @Test
  void pointToRollsBackAndReordersThePublishedRuns() {
    publish("r1", "c1");
    publish("r2", "c1");
    publisher.pointTo("r1");
    assertEquals(Optional.of("r1"), publisher.liveRun());
    assertEquals(List.of("r1", "r2"), redis.lrange(KEYS.publishedRuns(), 0, -1));
    assertEquals(Optional.of("r2"), publisher.previousRun());

    publisher.pointTo("r2"); // and forward again
    assertEquals(Optional.of("r2"), publisher.liveRun());
    assertEquals(List.of("r2", "r1"), redis.lrange(KEYS.publishedRuns(), 0, -1));
  }

  @Test
  void pointToRefusesARunWhoseInfoIsGoneOrExpiring() {
    publish("r1", "c1");
    publish("r2", "c1");
    redis.del(KEYS.runInfo("r1")); // as if expired
    IllegalStateException gone = assertThrows(IllegalStateException.class, () -> publisher.pointTo("r1"));
    assertTrue(gone.getMessage().contains("gone"), gone.getMessage());
    assertThrows(IllegalStateException.class, () -> publisher.pointTo("never_published"));

    redis.set(KEYS.runInfo("r1"), "{}");
    redis.expire(KEYS.runInfo("r1"), 60);
    IllegalStateException expiring = assertThrows(IllegalStateException.class, () -> publisher.pointTo("r1"));
    assertTrue(expiring.getMessage().contains("expires in"), expiring.getMessage());
    assertEquals(Optional.of("r2"), publisher.liveRun());
    assertEquals(List.of("r2", "r1"), redis.lrange(KEYS.publishedRuns(), 0, -1));
  }

  @Test
  void deleteRunRemovesExactlyThatRunsKeys() {
    publish("r1", "c1", "c2");
    // r10 shares r1's prefix; another namespace has a run r1 too
    publish("r10", "c1");
    redis.set(new RedisKeys("u:").payload(PayloadKind.CUSTOMER_RECS, "r1", "c1"), "other shop");
    publish("r2", "c1");
    Set<String> before = allKeys();

    // r1: 2 customers, 1 similar-product list, 1 popular list, the fallback, the run info
    assertEquals(6, publisher.deleteRun("r1"));
    Set<String> expected = new TreeSet<>(before);
    expected.removeIf(k -> k.startsWith("t:") && k.matches("t:[a-z_]+:r1(:.*)?|t:shoprec:run:r1"));
    assertEquals(6, before.size() - expected.size(), "the fixture has 6 keys of r1");
    assertEquals(expected, allKeys());
    assertEquals(List.of("r2", "r10"), redis.lrange(KEYS.publishedRuns(), 0, -1));
    assertEquals(0, publisher.deleteRun("r1"), "deleting again finds nothing");
  }

  @Test
  void deleteRunRefusesTheLiveRun() {
    publish("r1", "c1");
    Set<String> before = allKeys();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> publisher.deleteRun("r1"));
    assertTrue(e.getMessage().contains("live"), e.getMessage());
    assertEquals(before, allKeys());
  }

  @Test
  void retainKeepsTheNewestRunsAndNeverTheLiveOne() {
    publish("r1", "c1");
    publish("r2", "c1");
    publish("r3", "c1");
    publisher.retain(2);
    assertEquals(List.of("r3", "r2"), redis.lrange(KEYS.publishedRuns(), 0, -1));
    assertEquals(0, publisher.countRun("r1"));
    assertEquals(4, publisher.countRun("r2"));

    publisher.pointTo("r2"); // rolled back: r3 is now the newest run that is not live
    publisher.retain(1);
    assertEquals(List.of("r2"), redis.lrange(KEYS.publishedRuns(), 0, -1));
    assertEquals(Optional.of("r2"), publisher.liveRun());
    assertEquals(0, publisher.countRun("r3"));
    assertEquals(Set.of(KEYS.liveRunPointer(), KEYS.publishedRuns(), KEYS.runInfo("r2"),
            KEYS.payload(PayloadKind.CUSTOMER_RECS, "r2", "c1"),
            KEYS.payload(PayloadKind.SIMILAR_PRODUCTS, "r2", "p1"), KEYS.popularAll("r2"), KEYS.fallback("r2")),
        allKeys());
  }

  @Test
  void aWriteWhileRedisIsDownFailsClearlyAndLeavesTheLiveRun() throws Exception {
    publish("r1", "c1");
    stores.stopRedis();
    try {
      Dataset<Row> kv = dataset(List.of(kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r2", "c1"), "{}")), 2);
      RedisUnavailableException e = assertThrows(RedisUnavailableException.class, () -> publisher.write(kv));
      assertTrue(e.getMessage().contains("127.0.0.1:" + stores.redisPort()), e.getMessage());
      assertThrows(RedisUnavailableException.class, () -> publisher.checkReachable());
      assertThrows(RedisUnavailableException.class, () -> publisher.liveRun());
    } finally {
      stores.startRedis();
    }
    redis.close();
    redis = target.connect();
    assertEquals(Optional.of("r1"), publisher.liveRun());
    assertEquals(0, publisher.countRun("r2"));
  }

  /** The executor side on its own: a lost connection is reported as such, naming the server. */
  @Test
  void executorSideConnectionFailureNamesTheServer() throws Exception {
    stores.stopRedis();
    try {
      WriteKeyValuesFn fn = new WriteKeyValuesFn(target, TTL, 2, new LongAccumulator());
      Iterator<Row> rows = List.of(kv("t:k", "v")).iterator();
      RedisUnavailableException e = assertThrows(RedisUnavailableException.class, () -> fn.call(rows));
      assertTrue(e.getMessage().contains("127.0.0.1:" + stores.redisPort()), e.getMessage());
    } finally {
      stores.startRedis();
    }
  }

  /** Redis out of memory refuses SETs inside the Spark tasks: the write fails naming a key. */
  @Test
  void aRefusedSetFailsTheWrite() {
    publish("r1", "c1");
    redis.configSet("maxmemory", "1");
    try {
      Dataset<Row> kv = dataset(List.of(
          kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r2", "c1"), "{}"),
          kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r2", "c2"), "{}")), 2);
      RedisWriteException e = assertThrows(RedisWriteException.class, () -> publisher.write(kv));
      assertTrue(e.getMessage().contains("SET t:weekly_recs:r2:c"), e.getMessage());
      assertTrue(e.getMessage().contains("OOM"), e.getMessage());
    } finally {
      redis.configSet("maxmemory", "0");
    }
    assertEquals(Optional.of("r1"), publisher.liveRun());
  }

  /**
   * Redis starts refusing in the middle of a long partition (chunks of 2): the write stops with the refusal
   * and its key. Nothing hangs; the keys before the refusal are there.
   */
  @Test
  void aRefusalInTheMiddleOfALongPartitionStopsTheWrite() {
    long before = Long.parseLong(redis.info("memory").lines()
        .filter(l -> l.startsWith("used_memory:")).findFirst().orElseThrow().substring(12).trim());
    redis.configSet("maxmemory", Long.toString(before + (2 << 20))); // room for about 200 of the 10 KB values
    try {
      List<Row> rows = new ArrayList<>();
      String value = "x".repeat(10_000);
      for (int i = 0; i < 3000; i++) {
        rows.add(kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r2", "c" + i), value));
      }
      RedisWriteException e = assertThrows(RedisWriteException.class, () -> publisher.write(dataset(rows, 1)));
      assertTrue(e.getMessage().contains("SET t:weekly_recs:r2:c"), e.getMessage());
      assertTrue(e.getMessage().contains("OOM"), e.getMessage());
      long stored = redis.dbSize();
      assertTrue(stored > 50 && stored < 3000, "keys stored before the refusal: " + stored);
    } finally {
      redis.configSet("maxmemory", "0");
    }
  }

  /** Many keys, far more than a chunk, through two connections: every key with its own bytes. */
  @Test
  void manyKeysAreStoredExactly() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      rows.add(kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, "r3", "c" + i), "{\"n\":" + i + ",\"pad\":\""
          + "é".repeat(i % 700) + "\"}"));
    }
    RedisPublisher wide = new RedisPublisher(target, KEYS, TTL, 1000);
    assertEquals(5000, wide.write(dataset(rows, 2)));
    assertEquals(5000, redis.dbSize());
    for (int i = 0; i < 5000; i += 499) {
      Row row = rows.get(i);
      assertArrayEquals((byte[]) row.get(1), redis.get(row.getString(0).getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** An ACL user and a database from the URL; a wrong password is refused without being echoed. */
  @Test
  void connectsAsAnAclUserToTheUrlsDatabase() {
    redis.aclSetUser("shoprec_job", "on", ">Hunter2Secret", "~*", "+@all");
    try {
      String base = "redis://shoprec_job:Hunter2Secret@127.0.0.1:" + stores.redisPort() + "/2";
      RedisTarget acl = RedisTarget.parse(base, null, 2000);
      try (Jedis jedis = acl.connect()) {
        assertEquals("shoprec_job", jedis.aclWhoAmI());
        jedis.set("t:where", "db2");
      }
      redis.select(2);
      assertEquals("db2", redis.get("t:where"));
      redis.select(0);
      assertEquals(null, redis.get("t:where"));

      RedisPublisher wrong = new RedisPublisher(
          RedisTarget.parse(base.replace("Hunter2Secret", "Hunter3Wrong"), null, 2000), KEYS, TTL, 2);
      // a refused login is a store that cannot be used (exit 4), not a failed write
      RedisUnavailableException e = assertThrows(RedisUnavailableException.class, wrong::checkReachable);
      assertTrue(e.getMessage().contains("127.0.0.1:" + stores.redisPort()), e.getMessage());
      assertTrue(!e.getMessage().contains("Hunter"), e.getMessage());
    } finally {
      redis.aclDelUser("shoprec_job");
    }
  }

  @Test
  void aDatasetWithoutKeyAndValueIsRefused() {
    Dataset<Row> wrong = spark.createDataFrame(List.of(RowFactory.create("k", "v")),
        new StructType().add("key", DataTypes.StringType).add("value", DataTypes.StringType));
    assertThrows(IllegalArgumentException.class, () -> publisher.write(wrong));
  }

  /**
   * Writes run {@code runId}: a list per customer, then one similar-products list ({@code p1}), the
   * popular list and the fallback, so {@code n} customers make {@code n + 3} keys.
   */
  private long write(String runId, String... customers) {
    List<Row> rows = new ArrayList<>();
    for (String c : customers) {
      rows.add(kv(KEYS.payload(PayloadKind.CUSTOMER_RECS, runId, c), "{\"customer_id\":\"" + c + "\"}"));
    }
    rows.add(kv(KEYS.payload(PayloadKind.SIMILAR_PRODUCTS, runId, "p1"), "{\"product_id\":\"p1\"}"));
    rows.add(kv(KEYS.popularAll(runId), "{\"scope\":\"all\"}"));
    rows.add(kv(KEYS.fallback(runId), "{\"fallback\":\"" + runId + "\"}"));
    long written = publisher.write(dataset(rows, 3));
    assertEquals(rows.size(), written);
    return written;
  }

  /** {@link #write}, then the switch, checking the count in Redis; run info {@code {"run":"<id>"}}. */
  private void publish(String runId, String... customers) {
    publisher.switchLive(runId, "{\"run\":\"" + runId + "\"}", write(runId, customers));
  }

  private Dataset<Row> dataset(List<Row> rows, int partitions) {
    JavaRDD<Row> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions);
    return spark.createDataFrame(rdd, KV);
  }

  private static Row kv(String key, String value) {
    return RowFactory.create(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private Set<String> allKeys() {
    return new TreeSet<>(redis.keys("*"));
  }

  private long connectionsReceived() {
    for (String line : redis.info("stats").split("\r?\n")) {
      if (line.startsWith("total_connections_received:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new AssertionError("no total_connections_received in INFO stats");
  }
}

package com.shoprec.jobs.store.redis;

import com.redislabs.provider.redis.ReadWriteConfig;
import com.redislabs.provider.redis.RedisConfig;
import com.redislabs.provider.redis.RedisContext;
import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.RedisKeys;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import redis.clients.jedis.Jedis;
import scala.Tuple2;

/**
 * Write throughput of spark-redis's {@code toRedisKV} against {@link RedisPublisher#write}, on
 * {@code local[2]}, into a throw-away Redis (run by {@code bench/redis-write.sh}, not by the tests).
 *
 * <p>Generates N customer-shaped payloads (8 items each by default, about 1.2 KB; 40 items make about 5 KB,
 * the job's mean value size at scale; seeded) into a cached
 * {@code (key string, value binary)} Dataset, the job's input to either writer, before any timing.
 * Each round runs every method after FLUSHALL and checks DBSIZE == N. Prints one
 * {@code RESULT<TAB>method<TAB>keys/s} line per method: the median over the rounds, after an uncounted
 * warm-up round. Finally shows what each writer does when Redis refuses SETs (maxmemory too small).
 *
 * <p>Usage: {@code RedisWriteBench --port P [--keys 200000] [--partitions 4] [--rounds 5] [--batch 1000]
 * [--items 8]}
 */
public final class RedisWriteBench {

  private static final StructType KV = new StructType()
      .add("key", DataTypes.StringType, false)
      .add("value", DataTypes.BinaryType, false);
  private static final int TTL = 8 * 24 * 3600;

  private RedisWriteBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = options(args);
    int port = Integer.parseInt(required(opts, "port"));
    int n = Integer.parseInt(opts.getOrDefault("keys", "200000"));
    int partitions = Integer.parseInt(opts.getOrDefault("partitions", "4"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "5"));
    int batch = Integer.parseInt(opts.getOrDefault("batch", "1000"));
    int items = Integer.parseInt(opts.getOrDefault("items", "8"));

    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName("redis-write-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.redis.host", "127.0.0.1")
        .config("spark.redis.port", String.valueOf(port))
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      run(spark, port, n, partitions, rounds, batch, items);
    } finally {
      spark.stop();
    }
  }

  private static void run(SparkSession spark, int port, int n, int partitions, int rounds, int batch,
      int items) {
    Dataset<Row> kv = spark.range(0, n, 1, partitions)
        .mapPartitions(new GeneratePayloadsFn(items), Encoders.row(KV))
        .cache();
    JavaRDD<Tuple2<String, String>> strings = kv.javaRDD().map(new ToStringPairFn()).cache();
    long rows = kv.count();
    strings.count();
    double avgBytes = kv.selectExpr("avg(length(value))").first().getDouble(0);
    System.out.printf("keys=%d partitions=%d avg_value_bytes=%.0f rounds=%d batch=%d%n",
        rows, partitions, avgBytes, rounds, batch);

    RedisTarget target = RedisTarget.parse("redis://127.0.0.1:" + port, null, 10_000);
    RedisPublisher publisher = new RedisPublisher(target, RedisKeys.withoutNamespace(), TTL, batch);
    SparkConf conf = spark.sparkContext().getConf();
    RedisContext redisContext = new RedisContext(spark.sparkContext());
    RedisConfig redisConfig = RedisConfig.fromSparkConf(conf);
    ReadWriteConfig defaults = ReadWriteConfig.fromSparkConf(conf);
    ReadWriteConfig bigPipeline =
        new ReadWriteConfig(defaults.scanCount(), batch, defaults.rddWriteIteratorGroupingSize());

    Map<String, Runnable> methods = new LinkedHashMap<>();
    // As the job would call it: from the (key, binary value) Dataset, decoding values to String.
    methods.put("spark-redis toRedisKV, pipeline " + defaults.maxPipelineSize() + " (default)",
        () -> redisContext.toRedisKV(kv.javaRDD().map(new ToStringPairFn()).rdd(), TTL, redisConfig, defaults));
    methods.put("spark-redis toRedisKV, pipeline " + batch,
        () -> redisContext.toRedisKV(kv.javaRDD().map(new ToStringPairFn()).rdd(), TTL, redisConfig, bigPipeline));
    // Its write path alone: from an RDD of Strings decoded and cached before timing.
    methods.put("spark-redis toRedisKV, pipeline " + batch + ", pre-decoded",
        () -> redisContext.toRedisKV(strings.rdd(), TTL, redisConfig, bigPipeline));
    methods.put("RedisPublisher.write, batch " + batch, () -> {
      long written = publisher.write(kv);
      if (written != n) {
        throw new IllegalStateException("RedisPublisher.write counted " + written + " of " + n);
      }
    });

    Map<String, List<Double>> rates = new LinkedHashMap<>();
    try (Jedis redis = target.connect()) {
      methods.keySet().forEach(m -> rates.put(m, new ArrayList<>()));
      for (int round = 0; round <= rounds; round++) { // round 0 warms up the JIT and is not counted
        for (Map.Entry<String, Runnable> m : methods.entrySet()) {
          redis.flushAll();
          long start = System.nanoTime();
          m.getValue().run();
          double seconds = (System.nanoTime() - start) / 1e9;
          long dbSize = redis.dbSize();
          if (dbSize != n) {
            throw new IllegalStateException(m.getKey() + ": DBSIZE " + dbSize + " after writing " + n + " keys");
          }
          double rate = n / seconds;
          if (round > 0) {
            rates.get(m.getKey()).add(rate);
          }
          System.out.printf("round %d  %-58s %8.2f s  %,10.0f keys/s  DBSIZE=%d%n", round, m.getKey(), seconds, rate, dbSize);
        }
      }
      for (Map.Entry<String, List<Double>> r : rates.entrySet()) {
        List<Double> sorted = new ArrayList<>(r.getValue());
        sorted.sort(null);
        System.out.printf("RESULT\t%s\t%.0f%n", r.getKey(), sorted.get(sorted.size() / 2));
      }

      refusedWrites(redis, redisContext, strings, redisConfig, defaults, publisher, kv, n, avgBytes);
    }
  }

  /**
   * Redis with too little memory refuses SETs ("OOM command not allowed"): does the writer notice? The
   * limit is a quarter of the data, so part of the keys go in and the rest is refused.
   */
  private static void refusedWrites(Jedis redis, RedisContext redisContext, JavaRDD<Tuple2<String, String>> strings,
      RedisConfig redisConfig, ReadWriteConfig rw, RedisPublisher publisher, Dataset<Row> kv, int n,
      double avgBytes) {
    redis.flushAll();
    String used = info(redis, "used_memory");
    long limit = Long.parseLong(used) + (long) (n * (avgBytes + 100) / 4);
    redis.configSet("maxmemory", String.valueOf(limit));
    try {
      String outcome;
      try {
        redisContext.toRedisKV(strings.rdd(), TTL, redisConfig, rw);
        outcome = "returned normally";
      } catch (RuntimeException e) {
        outcome = "failed: " + e;
      }
      System.out.printf("REFUSED\tspark-redis toRedisKV\t%s, DBSIZE=%d of %d%n", outcome, redis.dbSize(), n);
      redis.flushAll();
      try {
        publisher.write(kv);
        outcome = "returned normally";
      } catch (RedisWriteException e) {
        outcome = "failed: " + e.getMessage().lines().findFirst().orElse("");
      }
      System.out.printf("REFUSED\tRedisPublisher.write\t%s, DBSIZE=%d of %d%n", outcome, redis.dbSize(), n);
    } finally {
      redis.configSet("maxmemory", "0");
      redis.flushAll();
    }
  }

  /** Customer-shaped payloads: {@code weekly_recs:bench:<i>} with {@code itemsPerList} seeded items. */
  static final class GeneratePayloadsFn implements MapPartitionsFunction<Long, Row> {
    private static final long serialVersionUID = 1L;
    private final int itemsPerList;

    GeneratePayloadsFn(int itemsPerList) {
      this.itemsPerList = itemsPerList;
    }

    @Override
    public Iterator<Row> call(Iterator<Long> ids) {
      PayloadWriter writer = new PayloadWriter();
      RedisKeys keys = RedisKeys.withoutNamespace();
      Instant generatedAt = Instant.parse("2025-11-09T06:00:00Z");
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return ids.hasNext();
        }

        @Override
        public Row next() {
          long id = ids.next();
          SplittableRandom random = new SplittableRandom(id);
          List<PayloadWriter.Item> items = new ArrayList<>(itemsPerList);
          for (int rank = 1; rank <= itemsPerList; rank++) {
            String product = String.valueOf(20_000_000 + random.nextInt(10_000_000));
            items.add(new PayloadWriter.Item(product, Math.round(random.nextDouble() * 1e4) / 1e4, rank,
                rank <= 4 ? PayloadWriter.SOURCE_REPURCHASE : PayloadWriter.SOURCE_DISCOVERY,
                "{\"times_bought\":" + random.nextInt(1, 40) + ",\"last_bought\":\"2025-10-"
                    + (10 + random.nextInt(20)) + "\"}"));
          }
          String customer = String.valueOf(100_000 + id);
          return RowFactory.create(keys.payload(PayloadKind.CUSTOMER_RECS, "bench", customer),
              writer.customerList(customer, "2025_W45", "LIGHT", items, generatedAt));
        }
      };
    }
  }

  /** spark-redis takes (String, String): the same payload decoded from UTF-8. */
  static final class ToStringPairFn implements Function<Row, Tuple2<String, String>> {
    private static final long serialVersionUID = 1L;

    @Override
    public Tuple2<String, String> call(Row row) {
      return new Tuple2<>(row.getString(0), new String((byte[]) row.get(1), StandardCharsets.UTF_8));
    }
  }

  private static String info(Jedis redis, String field) {
    for (String line : redis.info("memory").split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    throw new IllegalStateException("no " + field + " in INFO");
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value, got " + args[i]);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    return opts;
  }

  private static String required(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }
}

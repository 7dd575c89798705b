package com.shoprec.jobs.store.redis;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.ScanParams;
import redis.clients.jedis.ScanResult;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * Publishes a run's pre-serialized payloads to Redis and switches the live-run pointer.
 *
 * <p>The publish protocol, in this order on purpose:
 * <ol>
 *   <li>{@link #write}: every payload key of the run, under run-scoped names nobody reads yet;</li>
 *   <li>the caller checks the count {@link #write} returns against what it meant to write (or calls
 *       {@link #switchLive(String, String, long)}, which also counts the run's keys in Redis);</li>
 *   <li>{@link #switchLive}: the run info, the pointer and the list of published runs in one
 *       MULTI/EXEC.</li>
 * </ol>
 * Readers follow the pointer, so they see either the whole previous run or the whole new one, never a
 * half-written run; a run that fails before {@link #switchLive} leaves the previous run live (its keys
 * are removed by the caller with {@link #deleteRun}, or expire with their TTL).
 *
 * <p>Driver-side calls open one short-lived connection each. Connection failures surface as
 * {@link RedisUnavailableException}, errors Redis answers with as {@link RedisWriteException}, refusals
 * (deleting the live run, pointing at an expired run) as {@link IllegalStateException}.
 */
public final class RedisPublisher {

  /** How many runs {@link RedisKeys#publishedRuns()} remembers; older ones are left to their TTL. */
  public static final int PUBLISHED_RUNS_KEPT = 50;
  /** {@link #pointTo} refuses a run whose info key expires sooner than this: its payloads go first. */
  public static final long MIN_REMAINING_TTL_SECONDS = 3600;
  /** SCAN COUNT hint, and the most keys per UNLINK, when deleting a run. */
  static final int SCAN_COUNT = 1000;

  private static final Logger log = LoggerFactory.getLogger(RedisPublisher.class);

  private final RedisTarget target;
  private final RedisKeys keys;
  private final int ttlSeconds;
  private final int pipelineBatch;

  /**
   * @param ttlSeconds expiry of every payload and run-info key (8 days by default in the job settings)
   * @param pipelineBatch most SETs in flight on one connection before their replies are read
   */
  public RedisPublisher(RedisTarget target, RedisKeys keys, int ttlSeconds, int pipelineBatch) {
    if (target == null || keys == null) {
      throw new IllegalArgumentException("Redis target and key layout are required");
    }
    if (ttlSeconds <= 0) {
      throw new IllegalArgumentException("Redis TTL must be positive: " + ttlSeconds + " s");
    }
    if (pipelineBatch <= 0) {
      throw new IllegalArgumentException("Redis pipeline batch must be positive: " + pipelineBatch);
    }
    this.target = target;
    this.keys = keys;
    this.ttlSeconds = ttlSeconds;
    this.pipelineBatch = pipelineBatch;
  }

  /** PING; fails fast, before any Spark work, when Redis cannot be reached or refuses the login. */
  public void checkReachable() {
    withRedis("PING", jedis -> jedis.ping());
  }

  /**
   * Writes every row as {@code SET key value EX ttl}, from the executors, one connection per non-empty
   * partition, pipelined in chunks of {@code pipelineBatch}.
   *
   * @param keyValues columns {@code key} (string) and {@code value} (binary); other columns are ignored
   * @return the number of keys written, counted from Redis's OK replies
   * @throws RedisUnavailableException when Redis cannot be reached (before or during the write)
   * @throws RedisWriteException when any SET fails: the run must not be switched live
   */
  public long write(Dataset<Row> keyValues) {
    checkSchema(keyValues.schema());
    checkReachable();
    long start = System.nanoTime();
    LongAccumulator written = keyValues.sparkSession().sparkContext().longAccumulator("redis keys written");
    try {
      // An action: Spark adds each successful task's accumulator update exactly once, retries included.
      // At most one writing task per core (a connection and a pipeline each), however many partitions the
      // payloads come in: on a small run, dozens of small tasks cost more in scheduling and connections than the
      // writes. Coalescing never adds partitions.
      int writers = Math.max(1, keyValues.sparkSession().sparkContext().defaultParallelism());
      keyValues.select("key", "value").coalesce(writers)
          .foreachPartition(new WriteKeyValuesFn(target, ttlSeconds, pipelineBatch, written));
    } catch (Exception e) { // SparkException is checked but not declared by foreachPartition
      throw fromTaskFailure(e);
    }
    long count = written.value();
    log.info("Wrote {} keys to Redis at {} in {} ms", count, target.address(),
        (System.nanoTime() - start) / 1_000_000);
    return count;
  }

  /**
   * Makes {@code runId} the live run. Call only after every key of the run is written and counted.
   * In one MULTI/EXEC: {@code SET runInfo(run) json EX ttl}, {@code SET pointer run} (no TTL: the pointer
   * must outlive any run), and {@code runId} moved to the head of the published runs, trimmed to
   * {@link #PUBLISHED_RUNS_KEPT}.
   */
  public void switchLive(String runId, String runInfoJson) {
    RedisKeys.checkRunId(runId);
    if (runInfoJson == null) {
      throw new IllegalArgumentException("run info is required");
    }
    withRedis("switch the live run to " + runId, jedis -> {
      // The last step of a publish, after the run's keys are written and counted: the server follows the
      // pointer, so until this EXEC it keeps answering from the previous run, and after it from the whole
      // new one. One transaction, so run info, pointer and history never disagree.
      Transaction tx = jedis.multi();
      tx.set(keys.runInfo(runId), runInfoJson, SetParams.setParams().ex(ttlSeconds));
      tx.set(keys.liveRunPointer(), runId);
      tx.lrem(keys.publishedRuns(), 0, runId); // a re-published run appears once
      tx.lpush(keys.publishedRuns(), runId);
      tx.ltrim(keys.publishedRuns(), 0, PUBLISHED_RUNS_KEPT - 1);
      checkExec(tx.exec(), "switch the live run to " + runId);
      return null;
    });
    log.info("Redis at {}: live run is now {}", target.address(), runId);
  }

  /**
   * {@link #switchLive(String, String)} after checking that Redis holds exactly {@code expectedKeys}
   * payload and fallback keys of the run (see {@link #countRun}): catches keys lost to eviction or a
   * duplicate key counted twice by {@link #write}.
   *
   * @throws RedisWriteException when the count differs; the pointer is left as it was
   */
  public void switchLive(String runId, String runInfoJson, long expectedKeys) {
    long found = countRun(runId);
    if (found != expectedKeys) {
      throw new RedisWriteException("run " + runId + " has " + found + " keys in Redis at " + target.address()
          + ", expected " + expectedKeys + ": not switching the live run");
    }
    switchLive(runId, runInfoJson);
  }

  /** The payload and fallback keys of a run that Redis holds now (SCAN; the run info is not counted). */
  public long countRun(String runId) {
    RedisKeys.checkRunId(runId);
    return withRedis("count the keys of run " + runId, jedis -> {
      long n = jedis.exists(keys.fallback(runId)) ? 1 : 0;
      for (PayloadKind kind : PayloadKind.values()) {
        n += scan(jedis, pattern(kind, runId), batch -> { });
      }
      return n;
    });
  }

  /** The run the server answers from, if any. */
  public Optional<String> liveRun() {
    return Optional.ofNullable(withRedis("read the live run", jedis -> jedis.get(keys.liveRunPointer())));
  }

  /** The published run just before the live one, where a rollback goes; empty if there is none. */
  public Optional<String> previousRun() {
    return withRedis("read the published runs", jedis -> {
      String live = jedis.get(keys.liveRunPointer());
      List<String> runs = jedis.lrange(keys.publishedRuns(), 0, -1);
      int at = runs.indexOf(live);
      return at >= 0 && at + 1 < runs.size() ? Optional.of(runs.get(at + 1)) : Optional.<String>empty();
    });
  }

  /**
   * Rollback (or roll forward): points the server at an earlier published run and moves it to the head
   * of the published runs, so that the run pointed away from becomes the next one retention deletes.
   *
   * @throws IllegalStateException when the run's info key is gone or expires within
   *     {@link #MIN_REMAINING_TTL_SECONDS}: its payload keys, written before it, are gone or going
   */
  public void pointTo(String runId) {
    RedisKeys.checkRunId(runId);
    String what = "point the live run back to " + runId;
    withRedis(what, jedis -> {
      String info = keys.runInfo(runId);
      jedis.watch(info); // the EXEC is dropped if the run info expires or changes in between
      long ttl = jedis.ttl(info);
      if (ttl == -2) {
        jedis.unwatch();
        throw new IllegalStateException("cannot " + what + ": its run info key " + info
            + " is gone (expired or deleted), and its payloads with it");
      }
      if (ttl >= 0 && ttl < MIN_REMAINING_TTL_SECONDS) {
        jedis.unwatch();
        throw new IllegalStateException("cannot " + what + ": it expires in " + ttl + " s");
      }
      Transaction tx = jedis.multi();
      tx.set(keys.liveRunPointer(), runId);
      tx.lrem(keys.publishedRuns(), 0, runId);
      tx.lpush(keys.publishedRuns(), runId);
      tx.ltrim(keys.publishedRuns(), 0, PUBLISHED_RUNS_KEPT - 1);
      checkExec(tx.exec(), what);
      return null;
    });
    log.info("Redis at {}: live run pointed back to {}", target.address(), runId);
  }

  /**
   * Deletes every key of a run that is not live: payloads of every kind (SCAN MATCH, UNLINK in batches),
   * the fallback and the run info; and removes it from the published runs.
   *
   * @return the number of keys deleted
   * @throws IllegalStateException when {@code runId} is the live run
   */
  public long deleteRun(String runId) {
    RedisKeys.checkRunId(runId);
    long deleted = withRedis("delete run " + runId, jedis -> {
      if (runId.equals(jedis.get(keys.liveRunPointer()))) {
        throw new IllegalStateException("refusing to delete run " + runId + ": it is the live run");
      }
      long n = 0;
      for (PayloadKind kind : PayloadKind.values()) {
        n += scan(jedis, pattern(kind, runId), batch -> jedis.unlink(batch.toArray(new String[0])));
      }
      n += jedis.unlink(keys.fallback(runId), keys.runInfo(runId));
      jedis.lrem(keys.publishedRuns(), 0, runId);
      return n;
    });
    log.info("Redis at {}: deleted {} keys of run {}", target.address(), deleted, runId);
    return deleted;
  }

  /**
   * Deletes the published runs beyond the newest {@code runsToKeep} (never the live run). A failed run
   * was never published: the caller deletes its keys with {@link #deleteRun}.
   */
  public void retain(int runsToKeep) {
    if (runsToKeep < 1) {
      throw new IllegalArgumentException("must keep at least the live run: " + runsToKeep);
    }
    List<String> runs = withRedis("read the published runs", jedis -> jedis.lrange(keys.publishedRuns(), 0, -1));
    String live = liveRun().orElse(null);
    for (int i = runsToKeep; i < runs.size(); i++) {
      if (!runs.get(i).equals(live) && RedisKeys.isValidRunId(runs.get(i))) {
        deleteRun(runs.get(i));
      }
    }
  }

  public RedisTarget target() {
    return target;
  }

  /**
   * The SCAN pattern of a run's keys of one kind: {@link RedisKeys#runPattern} with the literal part
   * escaped, so that a namespace holding {@code * ? [ ] \} cannot match another shop's keys.
   */
  String pattern(PayloadKind kind, String runId) {
    return escapeGlob(keys.payload(kind, runId, "")) + "*";
  }

  /** Escapes Redis glob special characters. */
  static String escapeGlob(String literal) {
    StringBuilder b = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  /** Every key matching {@code pattern}, handed to {@code onBatch} a SCAN page at a time; returns the count. */
  private static long scan(Jedis jedis, String pattern, java.util.function.Consumer<List<String>> onBatch) {
    ScanParams params = new ScanParams().match(pattern).count(SCAN_COUNT);
    String cursor = ScanParams.SCAN_POINTER_START;
    long n = 0;
    do {
      ScanResult<String> page = jedis.scan(cursor, params);
      List<String> found = page.getResult();
      if (!found.isEmpty()) {
        onBatch.accept(new ArrayList<>(found));
        n += found.size();
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return n;
  }

  private static void checkExec(List<Object> replies, String what) {
    if (replies == null) {
      throw new IllegalStateException("cannot " + what + ": a watched key changed meanwhile; try again");
    }
    for (Object reply : replies) {
      if (reply instanceof Throwable t) {
        throw new RedisWriteException("Redis refused to " + what + ": " + t.getMessage(), t);
      }
    }
  }

  private static void checkSchema(StructType schema) {
    String[] names = schema.fieldNames();
    if (!List.of(names).contains("key") || !List.of(names).contains("value")) {
      throw new IllegalArgumentException("key/value Dataset needs columns key and value, has " + schema.simpleString());
    }
    StructField key = schema.apply("key");
    StructField value = schema.apply("value");
    if (!key.dataType().equals(DataTypes.StringType) || !value.dataType().equals(DataTypes.BinaryType)) {
      throw new IllegalArgumentException("key/value Dataset needs key string and value binary, has "
          + schema.simpleString());
    }
  }

  /** Runs one driver-side command on a fresh connection, mapping Jedis failures to ours. */
  private <T> T withRedis(String what, Function<Jedis, T> command) {
    try (Jedis jedis = target.connect()) {
      return command.apply(jedis);
    } catch (JedisConnectionException e) {
      throw new RedisUnavailableException("Redis at " + target.address() + " is unavailable (" + what + "): "
          + e.getMessage(), e);
    } catch (JedisDataException e) {
      if (isLoginRefused(e)) {
        // Like an unreachable server: the job cannot use this Redis at all (exit code 4).
        throw new RedisUnavailableException("Redis at " + target.redactedUrl() + " refused the login ("
            + what + "): " + e.getMessage(), e);
      }
      throw new RedisWriteException("Redis at " + target.address() + " refused to " + what + ": "
          + e.getMessage(), e);
    }
  }

  /** AUTH failed or is required: a wrong or missing password or user, not a data error. */
  static boolean isLoginRefused(JedisDataException e) {
    String m = String.valueOf(e.getMessage());
    return m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.startsWith("ERR invalid password")
        || m.startsWith("ERR AUTH") || m.startsWith("ERR Client sent AUTH");
  }

  /** A failed write job, reported as the Redis failure that caused it when there is one. */
  private RuntimeException fromTaskFailure(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RedisUnavailableException || t instanceof JedisConnectionException) {
        return new RedisUnavailableException("writing to Redis at " + target.address() + " failed: "
            + t.getMessage(), e);
      }
      if (t instanceof RedisWriteException || t instanceof redis.clients.jedis.exceptions.JedisException) {
        return new RedisWriteException("writing to Redis at " + target.address() + " failed: "
            + t.getMessage(), e);
      }
    }
    return new RedisWriteException("writing to Redis at " + target.address() + " failed: " + e, e);
  }
}

package com.shoprec.jobs.store.redis;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;

/**
 * Executor side of {@link RedisPublisher#write}: {@code SET key value EX ttl} for every (key, value) row
 * of a partition, pipelined in chunks of at most {@code batch} commands, over one connection opened only
 * when the partition has rows. Every reply must be {@code OK}; the OKs are added to {@code written}.
 *
 * <p>Receives only plain serializable values. Rows are {@code (key string, value binary)}, in that order.
 * Values go out as the bytes they are: no decoding.
 *
 * <p>A retried task writes its keys again, which is harmless (same keys, same values, TTL renewed), and
 * Spark adds the accumulator of a successful attempt only, so the total stays exact. Replies are read
 * and checked (unlike a bare {@code Pipeline.sync()}, which drops error replies).
 */
final class WriteKeyValuesFn implements ForeachPartitionFunction<Row> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(WriteKeyValuesFn.class);

  private final RedisTarget target;
  private final int ttlSeconds;
  private final int batch;
  private final LongAccumulator written;

  WriteKeyValuesFn(RedisTarget target, int ttlSeconds, int batch, LongAccumulator written) {
    this.target = target;
    this.ttlSeconds = ttlSeconds;
    this.batch = batch;
    this.written = written;
  }

  @Override
  public void call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return; // no connection for an empty partition
    }
    SetParams ex = SetParams.setParams().ex(ttlSeconds);
    byte[][] keys = new byte[batch][];
    long ok = 0;
    long bytes = 0;
    long inRedis = 0; // ns spent handing commands to Jedis (blocks while the socket is full) and reading replies
    long start = System.nanoTime();
    try (Jedis jedis = target.connect()) {
      while (rows.hasNext()) {
        // One chunk: queue up to `batch` SETs, then read all their replies before sending more, so
        // neither side buffers more than one chunk.
        Pipeline pipeline = jedis.pipelined();
        int queued = 0;
        while (queued < batch && rows.hasNext()) {
          Row row = rows.next();
          String key = row.getString(0);
          byte[] value = (byte[]) row.get(1);
          if (key == null || value == null) {
            throw new RedisWriteException("a row has a null " + (key == null ? "key" : "value for " + key));
          }
          keys[queued] = key.getBytes(StandardCharsets.UTF_8);
          long before = System.nanoTime();
          pipeline.set(keys[queued], value, ex);
          inRedis += System.nanoTime() - before;
          bytes += value.length;
          queued++;
        }
        long before = System.nanoTime();
        List<Object> replies = pipeline.syncAndReturnAll();
        inRedis += System.nanoTime() - before;
        ok += checkReplies(replies, keys, queued);
      }
    } catch (JedisConnectionException e) {
      throw new RedisUnavailableException("writing to Redis at " + target.address() + " failed after "
          + ok + " keys of this partition: " + e.getMessage(), e);
    } catch (JedisException e) {
      throw new RedisWriteException("Redis at " + target.address() + " answered with an error: "
          + e.getMessage(), e);
    }
    written.add(ok);
    // Where a slow write spends its time: a partition mostly waiting on Redis points at the server (or its CPU).
    LOG.info("wrote {} keys ({} MB of values) to Redis in {} ms, {} ms "
        + "of it sending and waiting for replies", ok, bytes >> 20, (System.nanoTime() - start) / 1_000_000,
        inRedis / 1_000_000);
  }

  /** The number of OK replies; throws on the first reply that is not OK, naming its key. */
  static long checkReplies(List<Object> replies, byte[][] keys, int queued) {
    if (replies.size() != queued) {
      throw new RedisWriteException("Redis sent " + replies.size() + " replies to " + queued + " SETs");
    }
    for (int i = 0; i < queued; i++) {
      Object reply = replies.get(i);
      if (!"OK".equals(reply)) {
        String why = reply instanceof Throwable t ? t.getMessage() : String.valueOf(reply);
        throw new RedisWriteException("SET " + new String(keys[i], StandardCharsets.UTF_8) + " failed: " + why);
      }
    }
    return queued;
  }
}

package com.shoprec.jobs.store.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Executor side of {@link RedisPublisher#write}: {@code SET key value EX ttl} for every (key, value) row
 * of a partition, streamed by {@link SetStream} with at most {@code batch} SETs unanswered, over one
 * connection opened only when the partition has rows. Every reply must be {@code OK}; the OKs are added to
 * {@code written}.
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
    long ok;
    long bytes = 0;
    long start = System.nanoTime();
    try (Jedis jedis = target.connect();
        SetStream sets = new SetStream(jedis.getClient().getSocket(), target.address(), ttlSeconds, batch)) {
      while (rows.hasNext()) {
        Row row = rows.next();
        String key = row.getString(0);
        byte[] value = (byte[]) row.get(1);
        if (key == null || value == null) {
          throw new RedisWriteException("a row has a null " + (key == null ? "key" : "value for " + key));
        }
        sets.set(key.getBytes(StandardCharsets.UTF_8), value);
        bytes += value.length;
      }
      ok = sets.finish();
    } catch (IOException | JedisConnectionException e) {
      throw new RedisUnavailableException("writing to Redis at " + target.address() + " failed: "
          + e.getMessage(), e);
    } catch (JedisException e) {
      throw new RedisWriteException("Redis at " + target.address() + " answered with an error: "
          + e.getMessage(), e);
    }
    written.add(ok);
    LOG.info("wrote {} keys ({} MB of values) to Redis in {} ms", ok, bytes >> 20,
        (System.nanoTime() - start) / 1_000_000);
  }
}

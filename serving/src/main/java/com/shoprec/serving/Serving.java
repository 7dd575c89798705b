package com.shoprec.serving;

import com.shoprec.common.RedisKeys;
import com.shoprec.serving.redis.PipelinedRedis;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the endpoints share: the key layout, the live run, the payload cache in front of Redis, metrics
 * and the few settings that shape answers. Built once by {@link ShoprecServer}.
 */
final class Serving {

  final RedisKeys keys;
  final PipelinedRedis redis;
  final LiveRun liveRun;
  final PayloadCache cache;
  final Metrics metrics;
  /** {@code Cache-Control} value of successful answers. */
  final String cacheControl;

  Serving(RedisKeys keys, PipelinedRedis redis, LiveRun liveRun, PayloadCache cache, Metrics metrics,
      int maxAgeSeconds) {
    this.keys = keys;
    this.redis = redis;
    this.liveRun = liveRun;
    this.cache = cache;
    this.metrics = metrics;
    this.cacheControl = "max-age=" + maxAgeSeconds;
  }

  /**
   * The stored bytes of {@code key}, or null when Redis has no such key: from the cache when there
   * (an already completed future), else with one {@code GET}, whose answer is then cached.
   */
  CompletableFuture<byte[]> payload(String key) {
    byte[] cached = cache.get(key);
    if (cached != null) {
      metrics.cacheHit();
      return CompletableFuture.completedFuture(cached == PayloadCache.ABSENT ? null : cached);
    }
    metrics.cacheMiss();
    return redis.get(key).whenComplete((value, error) -> {
      if (error == null) {
        cache.put(key, value);
      } else {
        metrics.redisError();
      }
    });
  }

  /** Like {@link #payload} for several keys: cached ones from the cache, the rest with one {@code MGET}. */
  CompletableFuture<List<byte[]>> payloads(List<String> keyList) {
    List<byte[]> values = new ArrayList<>(keyList.size());
    List<String> missing = new ArrayList<>();
    List<Integer> missingAt = new ArrayList<>();
    for (int i = 0; i < keyList.size(); i++) {
      byte[] cached = cache.get(keyList.get(i));
      if (cached == null) {
        metrics.cacheMiss();
        missing.add(keyList.get(i));
        missingAt.add(i);
        values.add(null);
      } else {
        metrics.cacheHit();
        values.add(cached == PayloadCache.ABSENT ? null : cached);
      }
    }
    if (missing.isEmpty()) {
      return CompletableFuture.completedFuture(values);
    }
    return redis.mget(missing).handle((fetched, error) -> {
      if (error != null) {
        metrics.redisError();
        throw error instanceof RuntimeException re ? re : new IllegalStateException(error);
      }
      for (int j = 0; j < missing.size(); j++) {
        cache.put(missing.get(j), fetched.get(j));
        values.set(missingAt.get(j), fetched.get(j));
      }
      return values;
    });
  }
}

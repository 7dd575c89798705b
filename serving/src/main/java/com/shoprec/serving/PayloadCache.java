package com.shoprec.serving;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Payloads already read from Redis, keyed by their full Redis key, bounded in bytes.
 *
 * <p>Keys name their run and a run's keys never change once the pointer names it, so an entry can never
 * be stale: no expiry, only eviction by size (Caffeine's frequency-aware policy keeps the hot keys).
 * Absent keys are remembered too ({@link #ABSENT}), so an unknown customer asked for again costs no round
 * trip either. A size of 0 disables the cache.
 */
final class PayloadCache {

  /** Stands for "Redis has no such key" (compared by identity). */
  static final byte[] ABSENT = new byte[0];

  /** Rough per-entry cost besides key and value (map node, array headers), in bytes. */
  static final int ENTRY_OVERHEAD = 96;

  private final Cache<String, byte[]> cache;

  PayloadCache(long maxBytes) {
    this.cache = maxBytes <= 0 ? null : Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String k, byte[] v) -> ENTRY_OVERHEAD + 2 * k.length() + v.length)
        // Eviction work on the calling thread: no extra pool competing for two cores.
        .executor(Runnable::run)
        .build();
  }

  boolean enabled() {
    return cache != null;
  }

  /** The cached value, {@link #ABSENT}, or null when not cached. */
  byte[] get(String key) {
    return cache == null ? null : cache.getIfPresent(key);
  }

  /** Remembers {@code value}, or {@link #ABSENT} when {@code value} is null. */
  void put(String key, byte[] value) {
    if (cache != null) {
      cache.put(key, value == null ? ABSENT : value);
    }
  }

  long entries() {
    return cache == null ? 0 : cache.estimatedSize();
  }
}

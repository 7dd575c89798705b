package com.shoprec.serving;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Payloads already read from Redis, keyed by their full Redis key, bounded in bytes.
 *
 * <p>Keys name their run and a run's keys never change once the pointer names it, so an entry can never
 * be stale: no expiry, and no recency bookkeeping either (a hit is one lock-free map read, nothing
 * written). When the live run changes, {@link #newRun} drops everything at once (the old run's keys are
 * not asked for any more). When full, a new entry evicts arbitrary entries (those the map's iteration
 * meets first, in hash order, so unrelated to how hot they are) until it fits: cheap, and on a miss only.
 * Absent keys are remembered too ({@link #ABSENT}), so an unknown customer asked for again costs no round
 * trip either. A size of 0 disables the cache.
 */
final class PayloadCache {

  /** Stands for "Redis has no such key" (compared by identity). */
  static final byte[] ABSENT = new byte[0];

  /** Rough per-entry cost besides key and value (map node, array headers), in bytes. */
  static final int ENTRY_OVERHEAD = 96;

  /** The entries of one run and their weight; replaced as a whole on a run change. */
  private static final class Segment {
    final ConcurrentHashMap<String, byte[]> map = new ConcurrentHashMap<>(1024);
    final AtomicLong bytes = new AtomicLong();
  }

  private final long maxBytes;
  private volatile Segment segment;

  PayloadCache(long maxBytes) {
    this.maxBytes = maxBytes;
    this.segment = maxBytes <= 0 ? null : new Segment();
  }

  boolean enabled() {
    return segment != null;
  }

  /** The cached value, {@link #ABSENT}, or null when not cached. */
  byte[] get(String key) {
    Segment s = segment;
    return s == null ? null : s.map.get(key);
  }

  /** Remembers {@code value}, or {@link #ABSENT} when {@code value} is null. */
  void put(String key, byte[] value) {
    Segment s = segment;
    if (s == null) {
      return;
    }
    byte[] v = value == null ? ABSENT : value;
    long weight = weight(key, v);
    if (weight > maxBytes) {
      return;
    }
    if (s.bytes.get() + weight > maxBytes) {
      evict(s, weight);
    }
    byte[] previous = s.map.put(key, v);
    s.bytes.addAndGet(previous == null ? weight : weight - weight(key, previous));
  }

  /** The live run changed: forget every entry (of the previous run). */
  void newRun() {
    if (segment != null) {
      segment = new Segment();
    }
  }

  long entries() {
    Segment s = segment;
    return s == null ? 0 : s.map.mappingCount();
  }

  long bytes() {
    Segment s = segment;
    return s == null ? 0 : s.bytes.get();
  }

  private void evict(Segment s, long room) {
    Iterator<Map.Entry<String, byte[]>> it = s.map.entrySet().iterator();
    while (s.bytes.get() + room > maxBytes && it.hasNext()) {
      Map.Entry<String, byte[]> e = it.next();
      if (s.map.remove(e.getKey(), e.getValue())) {
        s.bytes.addAndGet(-weight(e.getKey(), e.getValue()));
      }
    }
  }

  private static long weight(String key, byte[] value) {
    return ENTRY_OVERHEAD + 2L * key.length() + value.length;
  }
}

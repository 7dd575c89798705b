package com.shoprec.serving;

import com.shoprec.common.RedisKeys;
import com.shoprec.serving.redis.PipelinedRedis;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The id of the run being served, read from the pointer key and reused for a short while.
 *
 * <p>Within {@code ttl} of the last read, {@link #current()} is an already completed future (no Redis
 * command). After that, the last known run keeps being used while one background read refreshes it, so a
 * request never waits for the pointer unless no run is known at all. A pointer switch by the batch is
 * therefore served within about {@code ttl}, without a restart.
 */
final class LiveRun {

  private static final Logger log = LoggerFactory.getLogger(LiveRun.class);

  /** What the pointer said, and when (nanoTime). {@code run} is null when no run is live. */
  private record Seen(String run, long atNanos, CompletableFuture<String> asFuture) {}

  private final PipelinedRedis redis;
  private final String pointerKey;
  private final long ttlNanos;
  private volatile Seen seen;
  private volatile CompletableFuture<String> refreshing;
  /** Told the new run id (or null) whenever it changes, e.g. to drop the payload cache. */
  private final Consumer<String> onChange;

  LiveRun(PipelinedRedis redis, RedisKeys keys, long ttlMillis) {
    this(redis, keys, ttlMillis, run -> {});
  }

  LiveRun(PipelinedRedis redis, RedisKeys keys, long ttlMillis, Consumer<String> onChange) {
    this.redis = redis;
    this.onChange = onChange;
    this.pointerKey = keys.liveRunPointer();
    this.ttlNanos = TimeUnit.MILLISECONDS.toNanos(ttlMillis);
  }

  /** The live run id, or null when the pointer is absent; fails when Redis cannot be asked. */
  CompletableFuture<String> current() {
    Seen s = seen;
    if (s != null) {
      if (System.nanoTime() - s.atNanos < ttlNanos) {
        return s.asFuture;
      }
      if (s.run != null) {
        refresh();
        return s.asFuture;
      }
    }
    return refresh();
  }

  /** Reads the pointer now (one read at a time; concurrent callers share it). */
  CompletableFuture<String> refresh() {
    CompletableFuture<String> r = refreshing;
    if (r != null) {
      return r;
    }
    synchronized (this) {
      if (refreshing != null) {
        return refreshing;
      }
      CompletableFuture<String> read = new CompletableFuture<>();
      refreshing = read;
      redis.get(pointerKey).whenComplete((bytes, error) -> {
        synchronized (this) {
          refreshing = null;
        }
        if (error != null) {
          read.completeExceptionally(error);
          return;
        }
        String run = bytes == null ? null : new String(bytes, StandardCharsets.UTF_8).trim();
        if (run != null && !RedisKeys.isValidRunId(run)) {
          log.error("pointer {} holds an invalid run id, treated as no live run: {}", pointerKey, run);
          run = null;
        }
        accept(run);
        read.complete(run);
      });
      return read;
    }
  }

  /** Records a fresh reading of the pointer (also used by /health, which always reads it). */
  void accept(String run) {
    Seen previous = seen;
    if (previous != null && Objects.equals(previous.run, run)) {
      // Same run: keep the same String and future, only the time of the reading moves.
      seen = new Seen(previous.run, System.nanoTime(), previous.asFuture);
      return;
    }
    log.info("live run is now {}", run == null ? "(none)" : run);
    if (previous != null) {
      onChange.accept(run);
    }
    seen = new Seen(run, System.nanoTime(), CompletableFuture.completedFuture(run));
  }
}

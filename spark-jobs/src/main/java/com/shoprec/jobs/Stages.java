package com.shoprec.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times the job's stages, logs each start and end, and tells a listener (the job log) how long each took.
 * Stages may run on several threads at once (the models); the listener is called by one thread at a time.
 *
 * <p>Watchers ({@link Listener}) are told when each stage starts and ends: the progress lines on the terminal
 * ({@link Progress}) and, when a bench asks for it, the driver's heap during each stage ({@link StageMemory}).
 */
final class Stages {
  private static final Logger LOG = LoggerFactory.getLogger("shoprec.stage");

  /**
   * Watches the stages. Called on the thread of the stage, and stages may overlap (the models): implementations
   * are thread-safe.
   */
  interface Listener {
    default void started(String stage) {}

    /** {@code rows}: what the stage recorded with {@link #rows} before it ended, or null. */
    default void ended(String stage, long millis, Long rows) {}

    /** The stage threw after {@code millis}. */
    default void failed(String stage, long millis) {}

    /** More fields of a finished stage's metrics JSON, each {@code ,"name":value}; "" when none. */
    default String metricsFields(String stage) {
      return "";
    }

    default void close() {}
  }

  /** One finished stage: wall time and rows (null where the job does not know them). */
  record Metric(long millis, Long rows) {}

  private final Map<String, Long> millis = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, Long> rows = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private BiConsumer<String, Long> listener = (stage, ms) -> { };

  synchronized void onEnd(BiConsumer<String, Long> listener) {
    this.listener = listener;
    Map<String, Long> sofar;
    synchronized (millis) {
      sofar = Map.copyOf(millis);
    }
    sofar.forEach(listener);
  }

  /** Adds a watcher of the stages that start from now on. */
  void listen(Listener watcher) {
    listeners.add(watcher);
  }

  <T> T run(String stage, Supplier<T> body) {
    LOG.info("{}: started", stage);
    listeners.forEach(l -> l.started(stage));
    long start = System.nanoTime();
    T result;
    try {
      result = body.get();
    } catch (RuntimeException | Error e) {
      long ms = (System.nanoTime() - start) / 1_000_000;
      listeners.forEach(l -> l.failed(stage, ms));
      throw e;
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    millis.put(stage, ms);
    LOG.info("{}: done in {} ms", stage, ms);
    Long n = rows.get(stage);
    listeners.forEach(l -> l.ended(stage, ms, n));
    synchronized (this) {
      listener.accept(stage, ms);
    }
    return result;
  }

  void run(String stage, Runnable body) {
    run(stage, () -> {
      body.run();
      return null;
    });
  }

  /** Records how many rows a stage read, built or wrote (input lines, output rows, keys). */
  void rows(String stage, long n) {
    rows.put(stage, n);
  }

  Map<String, Long> timings() {
    synchronized (millis) {
      return new LinkedHashMap<>(millis);
    }
  }

  Map<String, Metric> metrics() {
    Map<String, Metric> out = new LinkedHashMap<>();
    synchronized (millis) {
      millis.forEach((stage, ms) -> out.put(stage, new Metric(ms, rows.get(stage))));
    }
    return out;
  }

  /**
   * The metrics as one JSON object, stage → {ms, rows, and what the watchers add (peak_heap_mib, live_heap_mib
   * with {@link StageMemory})}, for logs and scripts.
   */
  String metricsJson() {
    StringBuilder sb = new StringBuilder("{");
    metrics().forEach((stage, m) -> {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(stage).append("\":{\"ms\":").append(m.millis()).append(",\"rows\":").append(m.rows());
      listeners.forEach(l -> sb.append(l.metricsFields(stage)));
      sb.append('}');
    });
    return sb.append('}').toString();
  }

  /** Closes the watchers (the heap sampler's thread is a daemon: a job that forgets this still exits). */
  void close() {
    listeners.forEach(Listener::close);
  }

  /** The process's peak resident set (VmHWM of /proc/self/status) in MiB, or -1 where there is none (not Linux). */
  static long peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}

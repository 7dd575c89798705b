package com.shoprec.jobs;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times the job's stages, logs each start and end, and tells a listener (the job log) how long each took.
 * Stages may run on several threads at once (the models); the listener is called by one thread at a time.
 *
 * <p>Also measures each stage's memory: the driver JVM's peak heap in use while the stage ran (the sum of the
 * heap pools' peaks, read and reset every {@value #SAMPLE_MILLIS} ms, so a peak between two samples is not
 * missed; pools that peak at different moments of one window make it an upper bound) and its largest live heap
 * (heap in use right after a garbage collection that ended during the stage, what the stage really kept; 0 when no
 * collection ran). In local mode the executors run in
 * this JVM, so this is the whole job's heap; on a cluster it is the driver's only. Stages that overlap (the
 * models, run at the same time) each see the heap of all of them: their figures are not additive.
 */
final class Stages {
  private static final Logger LOG = LoggerFactory.getLogger("shoprec.stage");
  static final long SAMPLE_MILLIS = 20;
  private static final long MIB = 1 << 20;

  /** One finished stage: wall time, rows (null where the job does not know them), heap figures in MiB. */
  record Metric(long millis, Long rows, long peakHeapMiB, long liveHeapMiB) {}

  private final Map<String, Long> millis = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, long[]> memory = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, Long> rows = new ConcurrentHashMap<>();
  private final Map<String, long[]> open = new ConcurrentHashMap<>();
  private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
  private final javax.management.NotificationListener gcListener = this::afterGc;
  private ScheduledExecutorService sampler;
  private BiConsumer<String, Long> listener = (stage, ms) -> { };

  synchronized void onEnd(BiConsumer<String, Long> listener) {
    this.listener = listener;
    Map<String, Long> sofar;
    synchronized (millis) {
      sofar = Map.copyOf(millis);
    }
    sofar.forEach(listener);
  }

  <T> T run(String stage, Supplier<T> body) {
    LOG.info("{}: started", stage);
    startSampler();
    sample();
    long[] mem = new long[2];
    open.put(stage, mem);
    long start = System.nanoTime();
    T result;
    try {
      result = body.get();
    } finally {
      sample();
      open.remove(stage, mem);
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    millis.put(stage, ms);
    memory.put(stage, mem);
    LOG.info("{}: done in {} ms, peak heap {} MiB, live heap {} MiB", stage, ms, mem[0] / MIB, mem[1] / MIB);
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
      millis.forEach((stage, ms) -> {
        long[] mem = memory.getOrDefault(stage, new long[2]);
        out.put(stage, new Metric(ms, rows.get(stage), mem[0] / MIB, mem[1] / MIB));
      });
    }
    return out;
  }

  /** The metrics as one JSON object, stage → {ms, rows, peak_heap_mib, live_heap_mib}, for logs and scripts. */
  String metricsJson() {
    StringBuilder sb = new StringBuilder("{");
    metrics().forEach((stage, m) -> {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(stage).append("\":{\"ms\":").append(m.millis()).append(",\"rows\":").append(m.rows())
          .append(",\"peak_heap_mib\":").append(m.peakHeapMiB()).append(",\"live_heap_mib\":").append(m.liveHeapMiB())
          .append('}');
    });
    return sb.append('}').toString();
  }

  /** Stops the sampler (a daemon thread: a job that forgets this still exits). */
  synchronized void close() {
    if (sampler != null) {
      sampler.shutdownNow();
      sampler = null;
      for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (gc instanceof javax.management.NotificationEmitter emitter) {
          try {
            emitter.removeNotificationListener(gcListener);
          } catch (javax.management.ListenerNotFoundException e) {
            // not registered with this bean
          }
        }
      }
    }
  }

  private synchronized void startSampler() {
    if (sampler == null) {
      sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "shoprec-stage-memory");
        t.setDaemon(true);
        return t;
      });
      sampler.scheduleAtFixedRate(this::sample, SAMPLE_MILLIS, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
      for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (gc instanceof javax.management.NotificationEmitter emitter) {
          emitter.addNotificationListener(gcListener, null, null);
        }
      }
    }
  }

  /** Heap in use after a collection, summed over the heap pools, into every open stage. */
  private void afterGc(javax.management.Notification n, Object handback) {
    if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    com.sun.management.GarbageCollectionNotificationInfo info = com.sun.management.GarbageCollectionNotificationInfo
        .from((javax.management.openmbean.CompositeData) n.getUserData());
    long live = 0;
    for (MemoryPoolMXBean pool : heapPools) {
      MemoryUsage u = info.getGcInfo().getMemoryUsageAfterGc().get(pool.getName());
      live += u == null ? 0 : u.getUsed();
    }
    for (long[] mem : open.values()) {
      synchronized (mem) {
        mem[1] = Math.max(mem[1], live);
      }
    }
  }

  /** Heap peak since the last sample (then reset) and heap after the last collection, into every open stage. */
  private synchronized void sample() {
    long peak = 0;
    for (MemoryPoolMXBean pool : heapPools) {
      MemoryUsage p = pool.getPeakUsage();
      peak += p == null ? 0 : p.getUsed();
      pool.resetPeakUsage();
    }
    for (long[] mem : open.values()) {
      synchronized (mem) {
        mem[0] = Math.max(mem[0], peak);
      }
    }
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

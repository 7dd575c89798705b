package com.shoprec.jobs;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measurement gear, on only when asked ({@code --measure-memory}; bench/scale.sh): each stage's memory. The driver
 * JVM's peak heap in use while the stage ran (the sum of the heap pools' peaks, read and reset every
 * {@value #SAMPLE_MILLIS} ms, so a peak between two samples is not missed; pools that peak at different moments of
 * one window make it an upper bound) and its largest live heap (heap in use right after a garbage collection that
 * ended during the stage, what the stage really kept; 0 when no collection ran). In local mode the executors run
 * in this JVM, so this is the whole job's heap; on a cluster it is the driver's only. Stages that overlap (the
 * models, run at the same time) each see the heap of all of them: their figures are not additive.
 */
final class StageMemory implements Stages.Listener {
  private static final Logger LOG = LoggerFactory.getLogger("shoprec.stage");
  static final long SAMPLE_MILLIS = 20;
  private static final long MIB = 1 << 20;

  /** Heap figures of a finished stage, in MiB. */
  record Heap(long peakMiB, long liveMiB) {}

  private final Map<String, long[]> open = new ConcurrentHashMap<>();
  private final Map<String, Heap> done = new ConcurrentHashMap<>();
  private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
  private final javax.management.NotificationListener gcListener = this::afterGc;
  private ScheduledExecutorService sampler;

  @Override
  public void started(String stage) {
    startSampler();
    sample();
    open.put(stage, new long[2]);
  }

  @Override
  public void ended(String stage, long millis, Long rows) {
    finish(stage);
  }

  @Override
  public void failed(String stage, long millis) {
    finish(stage);
  }

  private void finish(String stage) {
    sample();
    long[] mem = open.remove(stage);
    if (mem != null) {
      Heap heap = new Heap(mem[0] / MIB, mem[1] / MIB);
      done.put(stage, heap);
      LOG.info("{}: peak heap {} MiB, live heap {} MiB", stage, heap.peakMiB(), heap.liveMiB());
    }
  }

  /** The heap figures of a finished stage (zeros for one this did not see). */
  Heap heap(String stage) {
    return done.getOrDefault(stage, new Heap(0, 0));
  }

  @Override
  public String metricsFields(String stage) {
    Heap h = heap(stage);
    return ",\"peak_heap_mib\":" + h.peakMiB() + ",\"live_heap_mib\":" + h.liveMiB();
  }

  /** Stops the sampler (a daemon thread: a job that forgets this still exits). */
  @Override
  public synchronized void close() {
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

  /** Heap peak since the last sample (then reset), into every open stage. */
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
}

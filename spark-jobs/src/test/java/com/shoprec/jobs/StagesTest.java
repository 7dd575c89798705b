package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stage timings, rows and heap: a stage holding 96 MiB sees at least that much heap in use; rows as recorded. */
class StagesTest {

  @Test
  void heapHeldByAStageIsItsPeak() throws Exception {
    Stages stages = new Stages();
    try {
      byte[][] held = new byte[1][];
      stages.run("small", () -> sleep(3 * Stages.SAMPLE_MILLIS));
      stages.run("big", () -> {
        held[0] = new byte[96 << 20];
        held[0][held[0].length - 1] = 1;
        sleep(3 * Stages.SAMPLE_MILLIS);
      });
      stages.rows("big", 1234);
      Map<String, Stages.Metric> m = stages.metrics();
      assertEquals(java.util.List.of("small", "big"), java.util.List.copyOf(m.keySet()));
      assertTrue(m.get("big").peakHeapMiB() >= 96, "peak " + m.get("big"));
      assertTrue(m.get("big").millis() >= 3 * Stages.SAMPLE_MILLIS, "time " + m.get("big"));
      assertEquals(1234L, m.get("big").rows());
      assertNull(m.get("small").rows());
      String json = stages.metricsJson();
      assertTrue(json.startsWith("{\"small\":{\"ms\":") && json.contains("\"big\":{\"ms\":")
          && json.contains("\"rows\":1234,\"peak_heap_mib\":" + m.get("big").peakHeapMiB()), json);
      assertEquals(1, held[0][held[0].length - 1]);
    } finally {
      stages.close();
    }
  }

  @Test
  void peakResidentSetIsReadOnLinux() {
    long rss = Stages.peakRssMiB();
    if (new java.io.File("/proc/self/status").exists()) {
      assertTrue(rss > 10, "VmHWM " + rss + " MiB");
    } else {
      assertEquals(-1, rss);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

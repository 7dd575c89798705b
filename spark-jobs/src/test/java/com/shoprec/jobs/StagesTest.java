package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stage timings and rows; the watchers: the progress lines, and the heap sampler, on only when attached (a stage
 * holding 96 MiB sees at least that much heap in use).
 */
class StagesTest {

  @Test
  void heapHeldByAStageIsItsPeakWhenMemoryIsMeasured() throws Exception {
    Stages stages = new Stages();
    StageMemory memory = new StageMemory();
    stages.listen(memory);
    try {
      byte[][] held = new byte[1][];
      stages.run("small", () -> sleep(3 * StageMemory.SAMPLE_MILLIS));
      stages.run("big", () -> {
        held[0] = new byte[96 << 20];
        held[0][held[0].length - 1] = 1;
        sleep(3 * StageMemory.SAMPLE_MILLIS);
      });
      stages.rows("big", 1234);
      Map<String, Stages.Metric> m = stages.metrics();
      assertEquals(List.of("small", "big"), List.copyOf(m.keySet()));
      assertTrue(memory.heap("big").peakMiB() >= 96, "peak " + memory.heap("big"));
      assertTrue(m.get("big").millis() >= 3 * StageMemory.SAMPLE_MILLIS, "time " + m.get("big"));
      assertEquals(1234L, m.get("big").rows());
      assertNull(m.get("small").rows());
      String json = stages.metricsJson();
      assertTrue(json.startsWith("{\"small\":{\"ms\":") && json.contains("\"big\":{\"ms\":")
          && json.contains("\"rows\":1234,\"peak_heap_mib\":" + memory.heap("big").peakMiB() + ",\"live_heap_mib\":"),
          json);
      assertEquals(1, held[0][held[0].length - 1]);
    } finally {
      stages.close();
    }
  }

  @Test
  void withoutTheSamplerTheMetricsHaveTimesAndRowsOnly() {
    Stages stages = new Stages();
    stages.run("validate", () -> stages.rows("validate", 42));
    String json = stages.metricsJson();
    assertTrue(json.matches("\\{\"validate\":\\{\"ms\":\\d+,\"rows\":42}}"), json);
  }

  @Test
  void watchersSeeEachStartAndEndWithTheRowsKnownByThen() {
    Stages stages = new Stages();
    List<String> seen = new ArrayList<>();
    stages.listen(new Stages.Listener() {
      @Override
      public void started(String stage) {
        seen.add(stage + " started");
      }

      @Override
      public void ended(String stage, long millis, Long rows) {
        seen.add(stage + " ended " + rows);
      }

      @Override
      public void failed(String stage, long millis) {
        seen.add(stage + " failed");
      }
    });
    stages.run("read", () -> { });
    stages.run("validate", () -> stages.rows("validate", 7));
    assertThrows(IllegalStateException.class, () -> stages.run("lists", () -> {
      throw new IllegalStateException("boom");
    }));
    assertEquals(List.of("read started", "read ended null", "validate started", "validate ended 7",
        "lists started", "lists failed"), seen);
    assertEquals(List.of("read", "validate"), List.copyOf(stages.timings().keySet()), "a failed stage has no time");
  }

  @Test
  void progressLinesAlignTheStagesTimesAndRows() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    progress.started("als");
    progress.ended("als", 12_345, 4312L);
    progress.ended("cooccurrence", 800, null);
    progress.failed("lists", 1_000);
    assertEquals(List.of(
        "  als .............. started",
        "  als .............. done      12.3 s         4,312 rows",
        "  cooccurrence ..... done       0.8 s",
        "  lists ............ failed     1.0 s"), bytes.toString(StandardCharsets.UTF_8).lines().toList());
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

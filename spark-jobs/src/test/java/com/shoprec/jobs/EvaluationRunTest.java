package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.SettingsException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The choice of evaluated methods (shoprec.job.evaluation.methods), on a map of four named methods. */
class EvaluationRunTest {

  private static Map<String, Integer> methods() {
    Map<String, Integer> all = new LinkedHashMap<>();
    all.put("G-TopFreq", 1);
    all.put("repurchase", 2);
    all.put("weekly", 3);
    all.put("weekly@0.35", 4);
    return all;
  }

  @Test
  void noNamesMeansEveryMethod() {
    Map<String, Integer> all = methods();
    assertSame(all, EvaluationRun.chosen(all, List.of()));
    assertEquals(List.of(), JobSettings.of(Map.of("shoprec.job.input.path", "x")).evaluationMethods());
  }

  @Test
  void namedMethodsKeepTheirOrder() {
    JobSettings settings = JobSettings.of(Map.of("shoprec.job.input.path", "x",
        "shoprec.job.evaluation.methods", List.of("weekly@0.35", "G-TopFreq")));
    assertEquals(List.of("weekly@0.35", "G-TopFreq"), settings.evaluationMethods());
    assertEquals(List.of("G-TopFreq", "weekly@0.35"),
        List.copyOf(EvaluationRun.chosen(methods(), settings.evaluationMethods()).keySet()));
  }

  @Test
  void anUnknownMethodIsNamedWithTheKnownOnes() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> EvaluationRun.chosen(methods(), List.of("weekly", "wekly")));
    assertTrue(e.getMessage().startsWith("shoprec.job.evaluation.methods: unknown method(s) [wekly]; the methods are "
        + "[G-TopFreq, repurchase, weekly, weekly@0.35]"), e.getMessage());
  }
}

package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.SettingsException;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The choice of evaluated methods ({@code shoprec.job.evaluation.methods}) and the named variants of the settings
 * ({@code shoprec.job.evaluation.variants}), without Spark.
 */
class EvaluationRunTest {

  private static JobSettings settings(Map<String, Object> overrides) {
    Map<String, Object> all = new LinkedHashMap<>(overrides);
    all.put("shoprec.job.input.path", "x");
    return JobSettings.of(all);
  }

  /** A model behind several methods is trained once, and not at all when no measured method needs it. */
  @Test
  void aMemoComputesOnceAndOnlyWhenAsked() {
    int[] runs = {0};
    java.util.function.Supplier<String> model = com.shoprec.jobs.model.ModelSuite.memo(() -> "model " + ++runs[0]);
    assertEquals(0, runs[0]);
    assertEquals("model 1", model.get());
    assertEquals("model 1", model.get());
    assertEquals(1, runs[0]);
  }

  @Test
  void noNamesMeansTheBaselinesAndTheProductsMethodsWithoutVariants() {
    List<String> expected = new ArrayList<>(EvaluationRun.BASELINES);
    expected.addAll(EvaluationRun.SUITE_METHODS);
    assertEquals(expected, EvaluationRun.methods(settings(Map.of()).evaluation()));
    assertTrue(expected.stream().noneMatch(m -> m.contains("@")));
  }

  @Test
  void namedMethodsKeepTheirOrderOnce() {
    JobSettings s = settings(Map.of("shoprec.job.evaluation.methods", List.of("weekly@heavy", "G-TopFreq", "weekly",
            "G-TopFreq"),
        "shoprec.job.evaluation.variants.heavy.discovery.ease-weight", 0.7));
    assertEquals(List.of("weekly@heavy", "G-TopFreq", "weekly"), EvaluationRun.methods(s.evaluation()));
  }

  @Test
  void anUnknownMethodIsNamedWithTheKnownOnes() {
    SettingsException e = assertThrows(SettingsException.class, () -> EvaluationRun.methods(
        settings(Map.of("shoprec.job.evaluation.methods", List.of("weekly", "wekly"))).evaluation()));
    assertTrue(e.getMessage().startsWith("shoprec.job.evaluation.methods: unknown method(s) [wekly]; the methods are "
        + "[G-TopFreq, P-TopFreq, GP-TopFreq, G-TopFreq-new] and [popular-new, repurchase, "), e.getMessage());
  }

  @Test
  void aBaselineTakesNoVariant() {
    SettingsException e = assertThrows(SettingsException.class, () -> EvaluationRun.methods(settings(Map.of(
        "shoprec.job.evaluation.methods", List.of("G-TopFreq@heavy"),
        "shoprec.job.evaluation.variants.heavy.discovery.ease-weight", 0.7)).evaluation()));
    assertTrue(e.getMessage().contains("unknown method(s) [G-TopFreq@heavy]"), e.getMessage());
  }

  @Test
  void aMethodNamesOnlyADefinedVariant() {
    SettingsException e = assertThrows(SettingsException.class, () -> settings(Map.of(
        "shoprec.job.evaluation.methods", List.of("weekly@heavy"),
        "shoprec.job.evaluation.variants.light.discovery.ease-weight", 0.1)));
    assertEquals("shoprec.job.evaluation.methods: weekly@heavy names the variant \"heavy\", which "
        + "shoprec.job.evaluation.variants does not define (it defines [light])", e.getMessage());
  }

  @Test
  void aVariantSetsOnlyKnownKeys() {
    SettingsException e = assertThrows(SettingsException.class, () -> settings(Map.of(
        "shoprec.job.evaluation.variants.heavy.discovery.ease-wieght", 0.7)));
    assertTrue(e.getMessage().startsWith("shoprec.job.evaluation.variants.heavy: unknown key discovery.ease-wieght"),
        e.getMessage());
  }

  /** A variant is the settings with its keys on top, checked like any settings; everything else is shared. */
  @Test
  void aVariantIsTheSettingsWithItsKeysOnTop() {
    JobSettings s = settings(Map.of("shoprec.job.evaluation.variants.heavy.discovery.ease-weight", 0.7,
        "shoprec.job.evaluation.variants.heavy.als.rank", 8));
    JobSettings v = s.with(s.evaluation().variant("heavy"));
    assertEquals(0.7, v.discovery().easeWeight());
    assertEquals(8, v.als().rank());
    assertEquals(s.ease(), v.ease());
    assertEquals(s.discovery().nextNewWeight(), v.discovery().nextNewWeight());

    JobSettings bad = settings(Map.of("shoprec.job.evaluation.variants.bad.als.rank", 0));
    SettingsException e = assertThrows(SettingsException.class, () -> bad.with(bad.evaluation().variant("bad")));
    assertEquals("shoprec.job.als.rank must be at least 1, got 0", e.getMessage());
  }

  /** Every variant the defaults were chosen from loads, and makes valid settings. */
  @Test
  void theShippedVariantsAreValidSettings() {
    File file = new File("../conf/evaluation-variants.conf");
    JobSettings s = JobSettings.load(file, Map.of("shoprec.job.input.path", "x"));
    assertTrue(s.evaluation().variants().containsKey("share-35"), s.evaluation().variants().keySet().toString());
    for (String name : s.evaluation().variants().keySet()) {
      JobSettings v = s.with(s.evaluation().variant(name));
      assertTrue(v.listSize() > 0, name);
    }
    JobSettings share = s.with(s.evaluation().variant("share-35"));
    assertEquals(Map.of("HEAVY", 0.35, "REGULAR_CONSISTENT", 0.35, "REGULAR_EXPLORATORY", 0.35, "LIGHT", 0.35),
        share.segments().discoveryShare());
  }
}

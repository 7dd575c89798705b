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

  /** A model behind several methods is trained once, and not at all when no measured method needs it. */
  @Test
  void aMemoComputesOnceAndOnlyWhenAsked() {
    int[] runs = {0};
    java.util.function.Supplier<String> model = EvaluationRun.memo(() -> "model " + ++runs[0]);
    assertEquals(0, runs[0]);
    assertEquals("model 1", model.get());
    assertEquals("model 1", model.get());
    assertEquals(1, runs[0]);
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

  @Test
  void aDiscoveryVariantChangesOnlyWhatItNames() {
    JobSettings.Discovery d = JobSettings.of(Map.of("shoprec.job.input.path", "x")).discovery();
    JobSettings.Discovery v = EvaluationRun.discoveryVariant("discovery[hl=14,nb=30,each=20]", d);
    assertEquals(new JobSettings.Discovery(d.neighboursWeight(), d.alsWeight(), d.cooccurrenceWeight(),
        d.popularityWeight(), d.easeWeight(), d.nextNewWeight(), 14, d.recentProducts(), 30, 20), v);
    assertEquals(new JobSettings.Discovery(0.6, 0.2, 0.1, 0.1, 0, 0, d.neighboursHalfLifeDays(), 5, d.maxNeighbours(),
        d.productsPerNeighbour()), EvaluationRun.discoveryVariant("discovery[w=0.6/0.2/0.1/0.1/0,recent=5]", d));
    assertEquals(new JobSettings.Discovery(0.1, 0, 0, 0.1, 0.5, 0.3, d.neighboursHalfLifeDays(), d.recentProducts(),
        d.maxNeighbours(), d.productsPerNeighbour()), EvaluationRun.discoveryVariant("discovery[w=0.1/0/0/0.1/0.5/0.3]", d));
    assertEquals(0.4, EvaluationRun.discoveryVariant("discovery[next=0.4]", d).nextNewWeight());
    assertEquals(0.3, EvaluationRun.discoveryVariant("discovery[pop=0.3]", d).popularityWeight());
    assertEquals(0.9, EvaluationRun.discoveryVariant("discovery[ease=0.9]", d).easeWeight());
  }

  @Test
  void aBadDiscoveryVariantIsNamed() {
    JobSettings.Discovery d = JobSettings.of(Map.of("shoprec.job.input.path", "x")).discovery();
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.discoveryVariant("discovery[hl=0]", d))
        .getMessage().contains("discovery[hl=0]: the neighbours' half-life must be positive"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.discoveryVariant("discovery[nb=0]", d))
        .getMessage().contains("discovery[nb=0]: recent products (10), neighbours (0) and products per neighbour"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.discoveryVariant("discovery[pop=-1]", d))
        .getMessage().contains("discovery[pop=-1]: discovery weights must not be negative"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.discoveryVariant("discovery[k=3]", d))
        .getMessage().contains("unknown key \"k\""));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.discoveryVariant("discovery[w=1/2]", d))
        .getMessage().contains("bad value for w"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.discoveryVariant("discovery[nb]", d))
        .getMessage().contains("is not a discovery variant"));
  }

  @Test
  void theDefaultSweepParsesAndNeverRepeatsTheDefaults() {
    JobSettings.Discovery d = JobSettings.of(Map.of("shoprec.job.input.path", "x")).discovery();
    for (String variant : EvaluationRun.DISCOVERY_VARIANTS) {
      assertTrue(!EvaluationRun.discoveryVariant(variant, d).equals(d), variant + " is the default blend again");
    }
  }

  @Test
  void aNextNewVariantChangesOnlyWhatItNamesAndTheDefaultsParse() {
    JobSettings.NextNew nn = JobSettings.of(Map.of("shoprec.job.input.path", "x")).nextNew();
    assertEquals(new JobSettings.NextNew(nn.maxProducts(), 300, 90, nn.candidatesPerCustomer()),
        EvaluationRun.nextNewVariant("next-new[lambda=300,hl=90]", nn));
    for (String variant : EvaluationRun.NEXT_NEW_VARIANTS) {
      assertTrue(!EvaluationRun.nextNewVariant(variant, nn).equals(nn), variant + " is the default model again");
    }
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.nextNewVariant("next-new[hl=-1]", nn))
        .getMessage().contains("next-new[hl=-1]: lambda must be positive, hl at least 0"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.nextNewVariant("next-new[products=9]", nn))
        .getMessage().contains("unknown key \"products\" (lambda, hl)"));
  }

  @Test
  void anEaseVariantChangesOnlyWhatItNamesAndTheDefaultsParse() {
    JobSettings.Ease e = JobSettings.of(Map.of("shoprec.job.input.path", "x")).ease();
    assertEquals(new JobSettings.Ease(e.maxProducts(), 300, 14, e.candidatesPerCustomer()),
        EvaluationRun.easeVariant("ease[lambda=300,hl=14]", e));
    assertEquals(new JobSettings.Ease(1000, e.lambda(), e.preferenceHalfLifeDays(), e.candidatesPerCustomer()),
        EvaluationRun.easeVariant("ease[products=1000]", e));
    for (String variant : EvaluationRun.EASE_VARIANTS) {
      assertTrue(!EvaluationRun.easeVariant(variant, e).equals(e), variant + " is the default model again");
    }
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.easeVariant("ease[lambda=0]", e))
        .getMessage().contains("ease[lambda=0]: lambda must be positive"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.easeVariant("ease[rank=3]", e))
        .getMessage().contains("unknown key \"rank\" (lambda, hl, products)"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.easeVariant("ease[products=x]", e))
        .getMessage().contains("bad value for products"));
  }

  @Test
  void anAlsVariantChangesOnlyWhatItNames() {
    JobSettings.Als a = JobSettings.of(Map.of("shoprec.job.input.path", "x")).als();
    assertEquals(java.util.Optional.of("[alpha=40,reg=1]"), EvaluationRun.alsSpec("als[alpha=40,reg=1]"));
    assertEquals(java.util.Optional.of("[rank=64]"), EvaluationRun.alsSpec("discovery[als[rank=64]]"));
    assertEquals(java.util.Optional.empty(), EvaluationRun.alsSpec("discovery[hl=7]"));
    JobSettings.Als v = EvaluationRun.alsVariant("[alpha=40,reg=1,rank=64,iter=12,hl=14]", a);
    assertEquals(new JobSettings.Als(64, 1.0, 40.0, 12, a.seed(), a.checkpointInterval(), a.blockSize(),
        a.candidatesPerCustomer(), a.checkpointDir(), a.blocks(), 14.0), v);
    assertEquals(a.withPreferenceHalfLife(0), EvaluationRun.alsVariant("[counts]", a));
    assertEquals(new JobSettings.Als(a.rank(), a.regParam(), 1.0, a.maxIter(), a.seed(), a.checkpointInterval(),
        a.blockSize(), a.candidatesPerCustomer(), a.checkpointDir(), a.blocks(), a.preferenceHalfLifeDays()),
        EvaluationRun.alsVariant("[alpha=1]", a));
  }

  @Test
  void aBadAlsVariantIsNamed() {
    JobSettings.Als a = JobSettings.of(Map.of("shoprec.job.input.path", "x")).als();
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.alsVariant("[beta=2]", a))
        .getMessage().contains("als[beta=2]: unknown key \"beta\" (rank, iter, alpha, reg, hl)"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.alsVariant("[rank=0]", a))
        .getMessage().contains("als[rank=0]: rank and iter must be at least 1"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.alsVariant("[alpha=x]", a))
        .getMessage().contains("als[alpha=x]: bad value for alpha"));
    assertTrue(assertThrows(SettingsException.class, () -> EvaluationRun.alsVariant("[alpha]", a))
        .getMessage().contains("is not an ALS variant"));
  }
}

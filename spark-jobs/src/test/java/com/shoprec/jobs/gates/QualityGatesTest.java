package com.shoprec.jobs.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.config.JobSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Defaults: full lists ≥ 0.9, coverage ≥ 0.02, overlap ≥ 0.05, reject rate ≤ 0.2, at least 1 customer. */
class QualityGatesTest {

  private final QualityGates.Settings gates = JobSettings.of(Map.of("shoprec.job.input.path", "x")).gates();

  @Test
  void aHealthyRunPasses() {
    List<QualityGates.Check> checks = QualityGates.check(
        new QualityGates.Measures(1000, 990, 3000, 900, 10_000, 100, 0.4), gates);
    assertTrue(QualityGates.allPassed(checks), checks.toString());
    assertEquals(5, checks.size());
  }

  @Test
  void eachFailureIsReportedWithItsValueAndThreshold() {
    List<QualityGates.Check> checks = QualityGates.check(
        new QualityGates.Measures(1000, 500, 3000, 30, 10_000, 3000, 0.01), gates);
    assertFalse(QualityGates.allPassed(checks));
    assertEquals(List.of("full_list_share", "catalog_coverage", "reject_rate", "overlap_with_previous"),
        QualityGates.failed(checks).stream().map(QualityGates.Check::name).toList());
    assertEquals("full_list_share = 0.5000 (must be >= 0.9)", QualityGates.failed(checks).get(0).toString());
    assertTrue(QualityGates.json(checks).contains(
        "{\"check\":\"reject_rate\",\"value\":0.300000,\"comparison\":\"<=\",\"threshold\":0.2,\"passed\":false}"));
  }

  @Test
  void theFirstRunHasNoOverlapToCheck() {
    List<QualityGates.Check> checks = QualityGates.check(
        new QualityGates.Measures(10, 10, 100, 50, 100, 0, null), gates);
    assertTrue(checks.stream().noneMatch(c -> c.name().equals("overlap_with_previous")));
    assertTrue(QualityGates.allPassed(checks));
  }

  @Test
  void noCustomersFails() {
    assertFalse(QualityGates.allPassed(QualityGates.check(new QualityGates.Measures(0, 0, 100, 0, 100, 0, null), gates)));
  }
}

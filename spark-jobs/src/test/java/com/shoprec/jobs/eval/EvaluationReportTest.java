package com.shoprec.jobs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON report has the issue's shape; the table has one line per segment and method. */
class EvaluationReportTest {

  private static final List<Metric> RESULTS = List.of(
      new Metric("GP-TopFreq", "ALL", "all", "recall", 25, 0.2781, 1995),
      new Metric("GP-TopFreq", "ALL", "repeat", "hit_rate", 25, 0.5, 1800),
      new Metric("GP-TopFreq", "ALL", "all", "recall", 10, 0.2, 1995),
      new Metric("weekly", "LIGHT \"x\"", "all", "coverage", 25, 0.125, 12));

  @Test
  void jsonHasTheReportShape() throws Exception {
    JsonNode report = new ObjectMapper().readTree(EvaluationReport.toJson("last-basket", 1995, RESULTS,
        List.of(new EvaluationReport.SplitSummary(java.time.LocalDate.of(2011, 12, 10), 1995))));
    assertEquals("last-basket", report.get("protocol").asText());
    assertEquals(1995, report.get("customers").asLong());
    assertEquals("2011-12-10", report.get("splits").get(0).get("cutoff").asText());
    assertEquals(1995, report.get("splits").get(0).get("customers").asLong());
    assertEquals(4, report.get("results").size());
    JsonNode first = report.get("results").get(0);
    assertEquals(List.of("method", "segment", "items", "metric", "k", "value", "customers"),
        List.copyOf(iterable(first.fieldNames())));
    assertEquals(1800, report.get("results").get(1).get("customers").asLong());
    assertEquals("GP-TopFreq", first.get("method").asText());
    assertEquals(25, first.get("k").asInt());
    assertEquals(0.2781, first.get("value").asDouble(), 0.0);
    assertEquals("LIGHT \"x\"", report.get("results").get(3).get("segment").asText());
  }

  /** Several weeks as one: customer-weighted means, customers summed, a segment one week lacks from the other. */
  @Test
  void poolingWeighsEachWeekByItsCustomers() {
    List<Metric> week1 = List.of(
        new Metric("discovery", "ALL", "explore", "hit_rate", 25, 0.5, 300),
        new Metric("discovery", "HEAVY", "explore", "hit_rate", 25, 0.25, 4));
    List<Metric> week2 = List.of(
        new Metric("discovery", "ALL", "explore", "hit_rate", 25, 0.6, 100),
        new Metric("discovery", "LIGHT", "explore", "hit_rate", 25, 1.0, 3));
    List<Metric> pooled = Evaluator.pool(List.of(week1, week2));
    assertEquals(List.of(
        new Metric("discovery", "ALL", "explore", "hit_rate", 25, (0.5 * 300 + 0.6 * 100) / 400, 400),
        new Metric("discovery", "HEAVY", "explore", "hit_rate", 25, 0.25, 4),
        new Metric("discovery", "LIGHT", "explore", "hit_rate", 25, 1.0, 3)), pooled);
    assertEquals(0.525, pooled.get(0).value(), 1e-12);
    assertEquals(week1, Evaluator.pool(List.of(week1)), "one week pools to itself");
  }

  @Test
  void tableHasOneLinePerSegmentAndMethodAtK() {
    String[] lines = EvaluationReport.toTable(RESULTS, 25).split("\\R");
    assertEquals(3, lines.length);
    assertTrue(lines[0].startsWith("segment"));
    assertTrue(lines[1].matches("ALL\\s+GP-TopFreq\\s+1995\\s+0\\.2781\\s+-.*"), lines[1]);
    assertTrue(lines[1].contains("0.5000"), lines[1]);
    assertTrue(lines[2].contains("0.1250"), lines[2]);
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}

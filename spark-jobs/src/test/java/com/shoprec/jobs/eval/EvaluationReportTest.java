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
    JsonNode report = new ObjectMapper().readTree(EvaluationReport.toJson("last-basket", 1995, RESULTS));
    assertEquals("last-basket", report.get("protocol").asText());
    assertEquals(1995, report.get("customers").asLong());
    assertEquals(4, report.get("results").size());
    JsonNode first = report.get("results").get(0);
    assertEquals(List.of("method", "segment", "items", "metric", "k", "value"),
        List.copyOf(iterable(first.fieldNames())));
    assertEquals("GP-TopFreq", first.get("method").asText());
    assertEquals(25, first.get("k").asInt());
    assertEquals(0.2781, first.get("value").asDouble(), 0.0);
    assertEquals("LIGHT \"x\"", report.get("results").get(3).get("segment").asText());
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

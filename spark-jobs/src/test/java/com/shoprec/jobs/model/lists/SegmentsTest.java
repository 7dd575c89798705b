package com.shoprec.jobs.model.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SegmentsTest {

  private final Segments.Thresholds absolute = new Segments.Thresholds(500, 100, 0.5, "absolute");

  @Test
  void absoluteThresholdsFromTheDesign() {
    assertEquals(Segments.HEAVY, Segments.segmentOf(500, 0.0, absolute));
    assertEquals(Segments.LIGHT, Segments.segmentOf(99, 0.9, absolute));
    assertEquals(Segments.REGULAR_EXPLORATORY, Segments.segmentOf(100, 0.5, absolute));
    assertEquals(Segments.REGULAR_CONSISTENT, Segments.segmentOf(499, 0.49, absolute));
  }

  @Test
  void quantileThresholdsRoundUpToWholeOrders() {
    Segments.Thresholds t = Segments.quantileThresholds(1.6, 20.2, 0.5);
    assertEquals(21, t.heavyMinOrders());
    assertEquals(2, t.lightMaxOrders());
    assertEquals(Segments.LIGHT, Segments.segmentOf(1, 0, t));
    assertEquals(Segments.REGULAR_CONSISTENT, Segments.segmentOf(2, 0.2, t));
    assertEquals(Segments.HEAVY, Segments.segmentOf(21, 0, t));
  }

  @Test
  void lightNeverAboveHeavy() {
    Segments.Thresholds t = Segments.quantileThresholds(3, 2, 0.5);
    assertEquals(2, t.heavyMinOrders());
    assertEquals(2, t.lightMaxOrders());
  }
}

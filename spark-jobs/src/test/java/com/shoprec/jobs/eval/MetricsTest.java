package com.shoprec.jobs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-customer formulas of {@link RankingMetrics} on literal lists, against values worked out by hand. */
class MetricsTest {

  private static final double EPS = 1e-12;

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  /** Test basket of 3, hits at positions 0 and 4 of a list of 6. */
  private static final List<String> LIST = List.of("a", "x1", "x2", "x3", "b", "x4");
  private static final Set<String> BASKET = Set.of("a", "b", "c");

  @Test
  void ndcgIdealRunsOverTheWholeBasket() {
    double ideal = 1 + 1 / log2(3) + 1 / log2(4);
    assertEquals((1 + 1 / log2(6)) / ideal, RankingMetrics.ndcg(LIST, BASKET, 5), EPS);
    // at K = 2 only the first hit counts; the ideal is still that of 3 items, not of 2
    assertEquals(1 / ideal, RankingMetrics.ndcg(LIST, BASKET, 2), EPS);
    assertEquals(1.0, RankingMetrics.ndcg(List.of("b", "a", "c"), BASKET, 3), EPS);
    // a basket larger than K: a perfect top-1 still scores below 1
    assertEquals(1 / ideal, RankingMetrics.ndcg(List.of("c"), BASKET, 1), EPS);
  }

  @Test
  void recallHitAndPrecision() {
    assertEquals(2 / 3.0, RankingMetrics.recall(LIST, BASKET, 5), EPS);
    assertEquals(1 / 3.0, RankingMetrics.recall(LIST, BASKET, 4), EPS);
    assertEquals(0.0, RankingMetrics.recall(List.of("x1", "a"), BASKET, 1), EPS);
    assertEquals(1.0, RankingMetrics.hit(LIST, BASKET, 1), EPS);
    assertEquals(0.0, RankingMetrics.hit(List.of("x1", "a"), BASKET, 1), EPS);
    assertEquals(2 / 5.0, RankingMetrics.precision(LIST, BASKET, 5), EPS);
    // a list shorter than K is not excused
    assertEquals(1 / 10.0, RankingMetrics.precision(List.of("a"), BASKET, 10), EPS);
  }

  @Test
  void averagePrecisionIsNormalisedByTheSmallerOfBasketAndK() {
    // hits at 0 (1 of 1) and 4 (2 of 5), basket 3
    assertEquals((1 + 2 / 5.0) / 3, RankingMetrics.averagePrecision(LIST, BASKET, 5), EPS);
    // K = 2 < |T|: only the hit at 0, divided by 2
    assertEquals(1 / 2.0, RankingMetrics.averagePrecision(LIST, BASKET, 2), EPS);
    assertEquals(1.0, RankingMetrics.averagePrecision(List.of("c", "b", "a"), BASKET, 3), EPS);
  }

  @Test
  void duplicatesCountOnceAtTheirFirstPosition() {
    List<String> withDuplicate = List.of("a", "a", "b");
    assertEquals(2 / 3.0, RankingMetrics.recall(withDuplicate, BASKET, 2), EPS);
    assertEquals((1 + 1 / log2(3)) / (1 + 1 / log2(3) + 1 / log2(4)),
        RankingMetrics.ndcg(withDuplicate, BASKET, 2), EPS);
  }

  @Test
  void emptyBasketOrListScoresZero() {
    assertEquals(0.0, RankingMetrics.recall(LIST, Set.of(), 5), EPS);
    assertEquals(0.0, RankingMetrics.ndcg(LIST, Set.of(), 5), EPS);
    assertEquals(0.0, RankingMetrics.averagePrecision(LIST, Set.of(), 5), EPS);
    assertEquals(0.0, RankingMetrics.ndcg(List.of(), BASKET, 5), EPS);
    assertEquals(0.0, RankingMetrics.hit(List.of(), BASKET, 5), EPS);
  }

  @Test
  void idealDcgSumsTheDiscounts() {
    assertEquals(0.0, RankingMetrics.idealDcg(0), EPS);
    assertEquals(1.0, RankingMetrics.idealDcg(1), EPS);
    assertEquals(1 + 1 / log2(3) + 1 / log2(4) + 1 / log2(5), RankingMetrics.idealDcg(4), EPS);
  }
}

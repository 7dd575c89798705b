package com.shoprec.jobs.eval;

import java.util.List;
import java.util.Set;

/**
 * The per-customer formulas, on one ranked list and one test basket T (position i is 0-based). The
 * {@link Evaluator} computes the same sums in Spark; these are the definitions it is tested against.
 * <ul>
 *   <li>Recall@K = |top-K ∩ T| / |T|</li>
 *   <li>NDCG@K = Σ over hits at i &lt; K of 1/log2(i+2), divided by Σ over i &lt; |T| of 1/log2(i+2): the
 *       ideal runs over the whole basket, not capped at K (as in the published next-basket results)</li>
 *   <li>hit = 1 if top-K holds at least one item of T</li>
 *   <li>Precision@K = |top-K ∩ T| / K (a list shorter than K is not excused)</li>
 *   <li>AP@K = Σ over hits at i &lt; K of (hits in positions 0..i) / (i+1), divided by min(|T|, K)</li>
 * </ul>
 * Duplicates in the list count once, at their first position. All are 0 for an empty T.
 */
public final class RankingMetrics {

  private RankingMetrics() {}

  public static double recall(List<String> ranked, Set<String> test, int k) {
    return test.isEmpty() ? 0.0 : (double) hits(ranked, test, k) / test.size();
  }

  public static double ndcg(List<String> ranked, Set<String> test, int k) {
    if (test.isEmpty()) {
      return 0.0;
    }
    double dcg = 0.0;
    List<String> top = top(ranked, k);
    for (int i = 0; i < top.size(); i++) {
      if (test.contains(top.get(i))) {
        dcg += gain(i);
      }
    }
    return dcg / idealDcg(test.size());
  }

  public static double hit(List<String> ranked, Set<String> test, int k) {
    return hits(ranked, test, k) > 0 ? 1.0 : 0.0;
  }

  public static double precision(List<String> ranked, Set<String> test, int k) {
    return (double) hits(ranked, test, k) / k;
  }

  public static double averagePrecision(List<String> ranked, Set<String> test, int k) {
    if (test.isEmpty()) {
      return 0.0;
    }
    double sum = 0.0;
    int hits = 0;
    List<String> top = top(ranked, k);
    for (int i = 0; i < top.size(); i++) {
      if (test.contains(top.get(i))) {
        hits++;
        sum += (double) hits / (i + 1);
      }
    }
    return sum / Math.min(test.size(), k);
  }

  /** The discount of position {@code i} (0-based): 1/log2(i+2). */
  static double gain(int i) {
    return 1.0 / (Math.log(i + 2) / Math.log(2));
  }

  /** Σ over i &lt; n of 1/log2(i+2). */
  static double idealDcg(int n) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
      sum += gain(i);
    }
    return sum;
  }

  private static int hits(List<String> ranked, Set<String> test, int k) {
    int hits = 0;
    for (String product : top(ranked, k)) {
      if (test.contains(product)) {
        hits++;
      }
    }
    return hits;
  }

  /** The first {@code k} distinct products of the list. */
  private static List<String> top(List<String> ranked, int k) {
    return ranked.stream().distinct().limit(k).toList();
  }
}

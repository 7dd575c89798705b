package com.shoprec.jobs.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The in-memory scoring of candidate pairs, on literal tables and against a brute force, without Spark. */
class InMemoryNeighboursTest {

  /**
   * c0 {0,1,2}, c1 {0,1,2,3}, c2 {0,4}, c3 {4,5}, c4 {5}; index: product 0 → c0 c1 c2, 4 → c2 c3, 5 → c3 c4
   * (1, 2, 3 not indexed). J: c0–c1 3/4, c0–c2 1/4, c1–c2 1/5, c2–c3 1/3, c3–c4 1/2.
   */
  private static InMemoryNeighbours.Tables five() {
    return InMemoryNeighbours.Tables.of(new String[] {"c0", "c1", "c2", "c3", "c4"}, 6,
        new int[][] {{0, 1, 2}, {0, 1, 2, 3}, {0, 4}, {4, 5}, {5}},
        new int[][] {{0, 1, 2}, null, null, null, {2, 3}, {3, 4}});
  }

  private static List<String> rows(InMemoryNeighbours.Tables t, double min, int topK, AtomicLong pairs) {
    List<String> out = new ArrayList<>();
    // two slices, both owned: every customer once
    Iterator<Row> it = InMemoryNeighbours.rows(t, Set.of(0, 1), 2, min, topK, c -> pairs.addAndGet(c.candidatePairs));
    it.forEachRemaining(r -> out.add(r.getString(0) + ">" + r.getString(1) + " " + r.getDouble(2) + " "
        + r.getInt(3) + " " + r.getInt(4)));
    return out;
  }

  @Test
  void tablesAreFlatAndTheIndexIsInvertedPerCustomer() {
    InMemoryNeighbours.Tables t = five();
    assertEquals(4, t.size(1));
    assertEquals(List.of(0, 4), List.of(t.entryProducts()[t.entryStart()[2]], t.entryProducts()[t.entryStart()[2] + 1]));
    assertEquals(2, t.entryStart()[3] - t.entryStart()[2], "c2 is in the lists of products 0 and 4");
    assertEquals(7, t.buyers().length);
  }

  @Test
  void everyCustomersNeighboursBestFirstWithExactSimilarities() {
    AtomicLong pairs = new AtomicLong();
    List<String> rows = rows(five(), 0.2, 100, pairs);
    assertEquals(List.of(
        "c0>c1 0.75 1 3", "c0>c2 0.25 2 1",
        "c1>c0 0.75 1 3", "c1>c2 0.2 2 1",
        "c2>c3 " + 1.0 / 3 + " 1 1", "c2>c0 0.25 2 1", "c2>c1 0.2 3 1",
        "c3>c4 0.5 1 1", "c3>c2 " + 1.0 / 3 + " 2 1",
        "c4>c3 0.5 1 1"), rows);
    assertEquals(5, pairs.get(), "c0c1 c0c2 c1c2 c2c3 c3c4, once each");
  }

  @Test
  void theSlicesSplitTheCustomers() {
    InMemoryNeighbours.Tables t = five();
    Set<String> customers = new TreeSet<>();
    InMemoryNeighbours.rows(t, Set.of(1), 2, 0.2, 100, c -> { }).forEachRemaining(r -> customers.add(r.getString(0)));
    assertEquals(Set.of("c1", "c3"), customers);
  }

  @Test
  void topKKeepsTheBestAndBreaksTiesByTheSmallerNumber() {
    // x = c0 {0,1}; c1 {0}, c2 {1}, c3 {0}: all at 1/2 from x
    InMemoryNeighbours.Tables t = InMemoryNeighbours.Tables.of(new String[] {"x", "c1", "c2", "c3"}, 2,
        new int[][] {{0, 1}, {0}, {1}, {0}}, new int[][] {{0, 1, 3}, {0, 2}});
    List<String> rows = rows(t, 0.05, 2, new AtomicLong());
    assertEquals(List.of("x>c1 0.5 1 1", "x>c2 0.5 2 1"), rows.subList(0, 2));
  }

  /** Random sets, every customer in every list (no caps): the result equals sorting all pairs. */
  @Test
  void equalsTheBruteForceOnRandomSets() {
    Random random = new Random(7);
    int n = 300;
    int products = 60;
    int[][] sets = new int[n][];
    List<List<Integer>> buyers = new ArrayList<>();
    for (int p = 0; p < products; p++) {
      buyers.add(new ArrayList<>());
    }
    for (int c = 0; c < n; c++) {
      TreeSet<Integer> set = new TreeSet<>();
      int size = 1 + random.nextInt(12);
      while (set.size() < size) {
        set.add((int) Math.min(products - 1, Math.abs(random.nextGaussian()) * 15));
      }
      sets[c] = set.stream().mapToInt(Integer::intValue).toArray();
      for (int p : set) {
        buyers.get(p).add(c);
      }
    }
    int[][] index = buyers.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    String[] names = new String[n];
    for (int c = 0; c < n; c++) {
      names[c] = String.format("c%03d", c);
    }
    double min = 0.1;
    int topK = 7;
    List<String> expected = new ArrayList<>();
    for (int a = 0; a < n; a++) {
      List<double[]> all = new ArrayList<>();
      for (int b = 0; b < n; b++) {
        if (b == a) {
          continue;
        }
        Set<Integer> sa = new TreeSet<>();
        for (int p : sets[a]) {
          sa.add(p);
        }
        int common = 0;
        for (int p : sets[b]) {
          common += sa.contains(p) ? 1 : 0;
        }
        double j = (double) common / (sets[a].length + sets[b].length - common);
        if (j >= min) {
          all.add(new double[] {b, j, common});
        }
      }
      all.sort(Comparator.<double[]>comparingDouble(x -> -x[1]).thenComparingDouble(x -> x[0]));
      for (int k = 0; k < Math.min(topK, all.size()); k++) {
        double[] x = all.get(k);
        expected.add(names[a] + ">" + names[(int) x[0]] + " " + x[1] + " " + (k + 1) + " " + (int) x[2]);
      }
    }
    List<String> actual = rows(InMemoryNeighbours.Tables.of(names, products, sets, index), min, topK,
        new AtomicLong());
    assertTrue(expected.size() > n, "a meaningful comparison: " + expected.size());
    assertEquals(expected, actual);
  }
}

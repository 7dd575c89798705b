package com.shoprec.jobs.model.kernels;

import com.shoprec.jobs.model.signals.JaccardNeighbours;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Jaccard scoring of the capped index's candidate pairs with everything in flat arrays that every scoring task
 * holds (one broadcast): the customers' full product sets and the capped index, both as dense integers. Used by
 * {@link JaccardNeighbours} when the product sets are small enough to broadcast.
 *
 * <p>Why: scored as rows, each candidate pair is shuffled to remove duplicates, then joined to both customers'
 * sets, which copies both sets out of the broadcast table for every pair; at 10 M order lines that is 150 M
 * pairs and most of the models phase. Here one task takes every {@code slices}-th customer A, gathers A's
 * candidates from the index (the buyers in the capped lists of A's indexed products, de-duplicated with a
 * stamp per customer), marks A's products in a bit set and counts, for each candidate B, the marked products of
 * B. Nothing is shuffled, and A's top K are kept as they come, so no window sorts them later. Each unordered
 * pair is scored from both sides, and both sides see the same candidates, since the index lists are shared.
 *
 * <p>The top K per customer are kept in a bounded heap; once it is full, a candidate whose size bound (the
 * largest similarity two sets of these sizes can have) is below the K-th similarity is not scored. The result
 * is the same as scoring every candidate: the ranking is a total order (similarity descending, then customer
 * number, which is the id order) and every similarity is exact.
 */
public final class InMemoryNeighbours {

  private InMemoryNeighbours() {}

  /**
   * Customers numbered 0..n−1 in id order, products 0..p−1. {@code setStart}/{@code setItems}: customer c's full
   * product set, ascending, is {@code setItems[setStart[c] .. setStart[c+1])}. {@code entryStart}/{@code
   * entryProducts}: the products through which c is in the capped index. {@code buyerStart}/{@code buyers}: the
   * capped buyer list of each product.
   */
  public record Tables(String[] names, int products, int[] setStart, int[] setItems, int[] entryStart, int[] entryProducts,
                int[] buyerStart, int[] buyers) implements Serializable {

    public int customers() {
      return names.length;
    }

    int size(int customer) {
      return setStart[customer + 1] - setStart[customer];
    }

    /** Approximate bytes held, for the log. */
    public long bytes() {
      return 4L * (setStart.length + setItems.length + entryStart.length + entryProducts.length + buyerStart.length
          + buyers.length) + 48L * names.length;
    }

    /**
     * Tables from sets already numbered: {@code names[c]} and {@code sets[c]} (product numbers, ascending) per
     * customer, and the capped index as {@code index[p]} = the customers in product p's list.
     */
    public static Tables of(String[] names, int products, int[][] sets, int[][] index) {
      int n = names.length;
      int[] setStart = new int[n + 1];
      for (int c = 0; c < n; c++) {
        setStart[c + 1] = setStart[c] + sets[c].length;
      }
      int[] setItems = new int[setStart[n]];
      for (int c = 0; c < n; c++) {
        System.arraycopy(sets[c], 0, setItems, setStart[c], sets[c].length);
      }
      int[] buyerStart = new int[products + 1];
      int[] entryCount = new int[n + 1];
      for (int p = 0; p < products; p++) {
        int[] list = p < index.length && index[p] != null ? index[p] : new int[0];
        buyerStart[p + 1] = buyerStart[p] + list.length;
        for (int c : list) {
          entryCount[c + 1]++;
        }
      }
      int[] buyers = new int[buyerStart[products]];
      int[] entryStart = new int[n + 1];
      for (int c = 0; c < n; c++) {
        entryStart[c + 1] = entryStart[c] + entryCount[c + 1];
      }
      int[] entryProducts = new int[entryStart[n]];
      int[] fill = Arrays.copyOf(entryStart, n);
      for (int p = 0; p < products; p++) {
        int[] list = p < index.length && index[p] != null ? index[p] : new int[0];
        System.arraycopy(list, 0, buyers, buyerStart[p], list.length);
        for (int c : list) {
          entryProducts[fill[c]++] = p;
        }
      }
      return new Tables(names, products, setStart, setItems, entryStart, entryProducts, buyerStart, buyers);
    }
  }

  /** One kept neighbour. */
  record Neighbour(int other, double similarity, int common) {}

  /**
   * What one task did. candidatePairs: pairs that met in the index and passed the size bound, each counted
   * once (on the side of the smaller number).
   */
  public static final class Counts {
    public long candidatePairs;
  }

  /**
   * The neighbours of the customers whose number modulo {@code slices} is one of {@code owned}, as rows
   * (customer_id, similar_customer_id, similarity, rank, common_products), computed lazily, customer by
   * customer; {@code whenDone} gets the counts once the last row has been read.
   */
  public static Iterator<Row> rows(Tables t, Set<Integer> owned, int slices, double minSimilarity, int topK,
      Consumer<Counts> whenDone) {
    Counts counts = new Counts();
    Scorer scorer = new Scorer(t, minSimilarity, topK, counts);
    return SlicedRows.of(t.customers(), owned, slices, scorer::neighbours,
        (of, nb, rank) -> RowFactory.create(t.names()[of], t.names()[nb.other()], nb.similarity(), rank, nb.common()),
        () -> whenDone.accept(counts));
  }

  /** Scores one customer at a time; holds the per-task scratch arrays. Not thread-safe. */
  static final class Scorer {
    private final Tables t;
    private final double minSimilarity;
    private final TopK best;
    private final Counts counts;
    private final long[] marks;
    private final int[] seenBy;
    private int[] candidates = new int[1024];

    Scorer(Tables t, double minSimilarity, int topK, Counts counts) {
      this.t = t;
      this.minSimilarity = minSimilarity;
      this.best = new TopK(topK);
      this.counts = counts;
      this.marks = new long[(t.products() + 63) >>> 6];
      this.seenBy = new int[t.customers()];
      Arrays.fill(seenBy, -1);
    }

    /** Customer a's neighbours, best first (similarity descending, then customer number). */
    List<Neighbour> neighbours(int a) {
      int m = 0;
      for (int e = t.entryStart()[a]; e < t.entryStart()[a + 1]; e++) {
        int p = t.entryProducts()[e];
        for (int k = t.buyerStart()[p]; k < t.buyerStart()[p + 1]; k++) {
          int b = t.buyers()[k];
          if (b != a && seenBy[b] != a) {
            seenBy[b] = a;
            if (m == candidates.length) {
              candidates = Arrays.copyOf(candidates, m * 2);
            }
            candidates[m++] = b;
          }
        }
      }
      if (m == 0) {
        return List.of();
      }
      int[] items = t.setItems();
      int from = t.setStart()[a];
      int to = t.setStart()[a + 1];
      int sizeA = to - from;
      for (int k = from; k < to; k++) {
        marks[items[k] >>> 6] |= 1L << items[k];
      }
      best.clear();
      for (int i = 0; i < m; i++) {
        int b = candidates[i];
        int sizeB = t.size(b);
        if (!JaccardNeighbours.canReach(sizeA, sizeB, minSimilarity)) {
          continue;
        }
        if (b > a) {
          counts.candidatePairs++;
        }
        if (best.full() && !JaccardNeighbours.canReach(sizeA, sizeB, best.worstSimilarity())) {
          continue;
        }
        int common = 0;
        for (int k = t.setStart()[b]; k < t.setStart()[b + 1]; k++) {
          common += (int) (marks[items[k] >>> 6] >>> items[k]) & 1;
        }
        double similarity = (double) common / (double) (sizeA + sizeB - common);
        if (similarity >= minSimilarity) {
          best.offer(b, similarity, common);
        }
      }
      for (int k = from; k < to; k++) {
        marks[items[k] >>> 6] = 0;
      }
      return best.sorted();
    }
  }

  /**
   * The best {@code k} by similarity descending, then customer number ascending: a binary heap with the worst
   * kept at the root.
   */
  static final class TopK extends WorstFirstHeap {
    private final int[] other;
    private final double[] similarity;
    private final int[] common;

    TopK(int k) {
      super(k);
      this.other = new int[k];
      this.similarity = new double[k];
      this.common = new int[k];
    }

    double worstSimilarity() {
      return similarity[0];
    }

    @Override
    protected boolean worse(int i, int j) {
      return similarity[i] < similarity[j] || (similarity[i] == similarity[j] && other[i] > other[j]);
    }

    void offer(int b, double s, int c) {
      if (k == 0) {
        return;
      }
      if (size < k) {
        set(size, b, s, c);
        added();
      } else if (s > similarity[0] || (s == similarity[0] && b < other[0])) {
        set(0, b, s, c);
        rootReplaced();
      }
    }

    List<Neighbour> sorted() {
      List<Neighbour> out = new ArrayList<>(size);
      for (int i : bestFirst()) {
        out.add(new Neighbour(other[i], similarity[i], common[i]));
      }
      return out;
    }

    private void set(int i, int b, double s, int c) {
      other[i] = b;
      similarity[i] = s;
      common[i] = c;
    }

    @Override
    protected void swap(int i, int j) {
      int o = other[i];
      double s = similarity[i];
      int c = common[i];
      set(i, other[j], similarity[j], common[j]);
      set(j, o, s, c);
    }
  }
}

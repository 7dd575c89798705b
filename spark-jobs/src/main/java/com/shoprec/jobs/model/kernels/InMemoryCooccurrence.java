package com.shoprec.jobs.model.kernels;

import com.shoprec.jobs.model.signals.Cooccurrence;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The pair counting of {@link Cooccurrence} with the baskets in flat arrays that every counting task holds (one
 * broadcast): each (sampled) basket as the numbers of its products, and for each product the baskets holding it.
 * Used when those arrays are small enough to broadcast.
 *
 * <p>Why: counted as rows, every pair of products in every basket is a row that is shuffled and hash-aggregated
 * on its two keys (at 2 M order lines some 100 M pair rows, the largest share of the models phase). Here one task
 * takes every {@code slices}-th product a, walks the baskets holding a and adds one to a counter per partner b,
 * then keeps a's best {@code topK} partners as they come, in a bounded heap. Nothing is shuffled and no window
 * sorts the pairs later. The counts, measures and ranks are those of the row-based counting (same basket sample,
 * same arithmetic, same order: the measure descending, then co-count descending, then the partner's id).
 */
public final class InMemoryCooccurrence {

  private InMemoryCooccurrence() {}

  /**
   * Products numbered 0..p−1 in id order ({@code names}); {@code productOrders[a]} = n(a), the baskets holding a
   * (before sampling); {@code baskets} = N. {@code basketStart}/{@code basketItems}: basket k's sampled products,
   * ascending, are {@code basketItems[basketStart[k] .. basketStart[k+1])}; {@code itemStart}/{@code itemBaskets}:
   * the sampled baskets holding each product.
   */
  public record Tables(String[] names, long[] productOrders, long baskets, int[] basketStart, int[] basketItems,
                int[] itemStart, int[] itemBaskets) implements Serializable {

    int products() {
      return names.length;
    }

    /** Approximate bytes held, for the log. */
    public long bytes() {
      return 4L * (basketStart.length + basketItems.length + itemStart.length + itemBaskets.length)
          + 8L * productOrders.length + 48L * names.length;
    }

    /**
     * Tables from baskets already numbered and sampled: {@code sampled[k]}, product numbers ascending;
     * {@code productOrders} and {@code baskets} count the baskets before sampling.
     */
    public static Tables of(String[] names, long[] productOrders, long baskets, int[][] sampled) {
      int p = names.length;
      int[] basketStart = new int[sampled.length + 1];
      int[] itemStart = new int[p + 1];
      for (int k = 0; k < sampled.length; k++) {
        basketStart[k + 1] = basketStart[k] + sampled[k].length;
        for (int item : sampled[k]) {
          itemStart[item + 1]++;
        }
      }
      for (int a = 0; a < p; a++) {
        itemStart[a + 1] += itemStart[a];
      }
      int[] basketItems = new int[basketStart[sampled.length]];
      int[] itemBaskets = new int[itemStart[p]];
      int[] fill = Arrays.copyOf(itemStart, p);
      for (int k = 0; k < sampled.length; k++) {
        System.arraycopy(sampled[k], 0, basketItems, basketStart[k], sampled[k].length);
        for (int item : sampled[k]) {
          itemBaskets[fill[item]++] = k;
        }
      }
      return new Tables(names, productOrders, baskets, basketStart, basketItems, itemStart, itemBaskets);
    }
  }

  /**
   * The basket's products that enter pair counting: all of them when there are at most {@code max}, else the
   * {@code max} smallest by (draw, hash), as the row-based sample takes them; ascending by number either way.
   */
  public static int[] sample(int[] basket, int max, long[] draw, long[] hash) {
    if (basket.length <= max) {
      return basket;
    }
    Integer[] order = Arrays.stream(basket).boxed().toArray(Integer[]::new);
    Arrays.sort(order, (x, y) -> draw[x] != draw[y] ? Long.compare(draw[x], draw[y]) : Long.compare(hash[x], hash[y]));
    int[] kept = new int[max];
    for (int i = 0; i < max; i++) {
      kept[i] = order[i];
    }
    Arrays.sort(kept);
    return kept;
  }

  /** One kept partner with its measures. */
  record Partner(int other, long coCount, double support, double confidence, double lift, double jaccard) {}

  /**
   * The partners of the products whose number modulo {@code slices} is one of {@code owned}, as rows
   * (product_id, other_product_id, co_count, support, confidence, lift, jaccard, rank), product by product.
   */
  public static Iterator<Row> rows(Tables t, Set<Integer> owned, int slices, int minCoCount, int topK,
      Cooccurrence.Rank rankBy) {
    Counter counter = new Counter(t, minCoCount, topK, rankBy);
    return SlicedRows.of(t.products(), owned, slices, counter::partners,
        (of, p, rank) -> RowFactory.create(t.names()[of], t.names()[p.other()], p.coCount(), p.support(),
            p.confidence(), p.lift(), p.jaccard(), rank),
        () -> { });
  }

  /** Counts one product's partners at a time; holds the per-task scratch arrays. Not thread-safe. */
  static final class Counter {
    private final Tables t;
    private final int minCoCount;
    private final Cooccurrence.Rank rankBy;
    private final TopK best;
    private final int[] counts;
    private int[] touched = new int[1024];

    Counter(Tables t, int minCoCount, int topK, Cooccurrence.Rank rankBy) {
      this.t = t;
      this.minCoCount = minCoCount;
      this.rankBy = rankBy;
      this.best = new TopK(topK);
      this.counts = new int[t.products()];
    }

    /** Product a's partners, best first. */
    List<Partner> partners(int a) {
      int[] items = t.basketItems();
      int[] starts = t.basketStart();
      int m = 0;
      for (int e = t.itemStart()[a]; e < t.itemStart()[a + 1]; e++) {
        int k = t.itemBaskets()[e];
        for (int i = starts[k]; i < starts[k + 1]; i++) {
          int b = items[i];
          if (b != a && counts[b]++ == 0) {
            if (m == touched.length) {
              touched = Arrays.copyOf(touched, m * 2);
            }
            touched[m++] = b;
          }
        }
      }
      best.clear();
      long n = t.baskets();
      long na = t.productOrders()[a];
      for (int i = 0; i < m; i++) {
        int b = touched[i];
        long co = counts[b];
        counts[b] = 0;
        if (co < minCoCount) {
          continue;
        }
        best.offer(b, co, rankValue(rankBy, co, na, t.productOrders()[b], n));
      }
      List<Partner> out = new ArrayList<>(best.size);
      for (int i : best.bestFirst()) {
        int b = best.other[i];
        long co = best.coCount[i];
        long nb = t.productOrders()[b];
        out.add(new Partner(b, co, support(co, n), confidence(co, na), lift(co, na, nb, n), jaccard(co, na, nb)));
      }
      return out;
    }
  }

  // The measures, with the row-based query's arithmetic: the co-count as a double, the counts' sums and products
  // in longs.
  static double support(long co, long n) {
    return (double) co / (double) n;
  }

  static double confidence(long co, long na) {
    return (double) co / (double) na;
  }

  static double lift(long co, long na, long nb, long n) {
    return (double) co * (double) n / (double) (na * nb);
  }

  static double jaccard(long co, long na, long nb) {
    return (double) co / (double) (na + nb - co);
  }

  static double rankValue(Cooccurrence.Rank rankBy, long co, long na, long nb, long n) {
    return switch (rankBy) {
      case CONFIDENCE -> confidence(co, na);
      case LIFT -> lift(co, na, nb, n);
      case CO_COUNT -> co;
      case JACCARD -> jaccard(co, na, nb);
    };
  }

  /** The best {@code k} by the measure descending, then co-count descending, then product number ascending. */
  static final class TopK extends WorstFirstHeap {
    private final int[] other;
    private final long[] coCount;
    private final double[] value;

    TopK(int k) {
      super(k);
      this.other = new int[k];
      this.coCount = new long[k];
      this.value = new double[k];
    }

    private boolean below(double v, long co, int b, int j) {
      int c = Double.compare(v, value[j]);
      if (c != 0) {
        return c < 0;
      }
      return co != coCount[j] ? co < coCount[j] : b > other[j];
    }

    @Override
    protected boolean worse(int i, int j) {
      return below(value[i], coCount[i], other[i], j);
    }

    void offer(int b, long co, double v) {
      if (size < k) {
        set(size, b, co, v);
        added();
      } else if (!below(v, co, b, 0)) { // ids are distinct: not below the worst kept is above it
        set(0, b, co, v);
        rootReplaced();
      }
    }

    private void set(int i, int b, long co, double v) {
      other[i] = b;
      coCount[i] = co;
      value[i] = v;
    }

    @Override
    protected void swap(int i, int j) {
      int o = other[i];
      long c = coCount[i];
      double v = value[i];
      set(i, other[j], coCount[j], value[j]);
      set(j, o, c, v);
    }
  }
}

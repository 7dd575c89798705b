package com.shoprec.jobs.model.signals;

import com.shoprec.jobs.model.kernels.PackedSets;
import static com.shoprec.jobs.model.signals.JaccardNeighbours.buyerCap;
import static com.shoprec.jobs.model.signals.JaccardNeighbours.canReach;
import static com.shoprec.jobs.model.kernels.PackedSets.intersectionSize;
import static com.shoprec.jobs.model.kernels.PackedSets.pack;
import static com.shoprec.jobs.model.signals.JaccardNeighbours.pairsAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The merge that counts common products, the size bound that prunes pairs and the pair budget, without Spark. */
class JaccardNeighboursTest {

  /** 10 products with 2 index entries, 3 with 50, 1 with 1,000. */
  private static final long[][] HISTOGRAM = {{2, 10}, {50, 3}, {1000, 1}};

  @Test
  void pairsAtSumsTheCappedBuyerListsOfEveryProduct() {
    assertEquals(10 * 1 + 3 * 1225 + 499_500, pairsAt(HISTOGRAM, 1000));
    assertEquals(10 * 1 + 3 * 1225 + 4950, pairsAt(HISTOGRAM, 100));
    assertEquals(10 * 1 + 3 * 1 + 1, pairsAt(HISTOGRAM, 2));
    assertEquals(0, pairsAt(new long[0][], 300));
  }

  @Test
  void buyerCapIsTheLargestThatFitsTheBudget() {
    // no budget pressure: the configured cap
    assertEquals(300, buyerCap(HISTOGRAM, 300, Long.MAX_VALUE));
    assertEquals(300, buyerCap(HISTOGRAM, 300, pairsAt(HISTOGRAM, 300)));
    // one pair less than cap 300 emits: 299
    assertEquals(299, buyerCap(HISTOGRAM, 300, pairsAt(HISTOGRAM, 300) - 1));
    // 10 + 3,675 + C(c, 2) <= 10,000: C(112, 2) = 6,216 fits, C(113, 2) = 6,328 does not
    assertEquals(112, buyerCap(HISTOGRAM, 300, 10_000));
    // below what cap 2 emits, still 2: every product keeps one pair
    assertEquals(2, buyerCap(HISTOGRAM, 300, 5));
  }

  @Test
  void packSortsAndUsesEightBytesPerValue() {
    byte[] packed = pack(new long[] {3, -1, 2});
    assertEquals(24, packed.length);
    // -1 sorts first (signed order): eight 0xFF bytes, then 2 and 3 big-endian
    assertEquals((byte) 0xFF, packed[0]);
    assertEquals((byte) 0xFF, packed[7]);
    assertEquals(2, packed[15]);
    assertEquals(3, packed[23]);
  }

  @Test
  void intersectionOfLiteralArrays() {
    assertEquals(2, intersectionSize(pack(new long[] {1, 3, 5, 7}), pack(new long[] {2, 3, 4, 7, 9})));
    assertEquals(0, intersectionSize(pack(new long[] {1, 2}), pack(new long[] {3, 4})));
    assertEquals(3, intersectionSize(pack(new long[] {10, 20, 30}), pack(new long[] {30, 10, 20})));
    assertEquals(1, intersectionSize(pack(new long[] {42}), pack(new long[] {-5, 0, 42, 1000})));
    assertEquals(0, intersectionSize(pack(new long[] {}), pack(new long[] {1, 2})));
    assertEquals(0, intersectionSize(pack(new long[] {}), pack(new long[] {})));
  }

  @Test
  void intersectionOrdersSignedAndAcrossTheWholeRange() {
    long[] a = {Long.MIN_VALUE, -7, 0, 7, Long.MAX_VALUE};
    long[] b = {Long.MIN_VALUE, -8, -7, 8, Long.MAX_VALUE};
    assertEquals(3, intersectionSize(pack(a), pack(b)));
    assertEquals(3, intersectionSize(pack(b), pack(a)));
    assertEquals(5, intersectionSize(pack(a), pack(a)));
  }

  @Test
  void repeatedValuesCountTheSmallerMultiplicity() {
    assertEquals(2, intersectionSize(pack(new long[] {4, 4, 4, 9}), pack(new long[] {4, 4, 5})));
  }

  @Test
  void sizeBoundIsMinOverMax() {
    // 1 product vs 20: J ≤ 1/20 = 0.05, which is the threshold itself, so the pair is kept
    assertTrue(canReach(1, 20, 0.05));
    assertTrue(canReach(20, 1, 0.05));
    assertFalse(canReach(1, 21, 0.05));
    assertTrue(canReach(3, 9, 1.0 / 3));
    assertFalse(canReach(3, 10, 1.0 / 3));
    assertTrue(canReach(7, 7, 1.0));
    assertFalse(canReach(6, 7, 1.0));
  }

  @Test
  void sizeBoundNeverPrunesAPairThatReachesTheThreshold() {
    // every (|A|, |B|, i) with a similarity at or above t must pass the bound, computed as the job computes J
    for (double t : new double[] {0.05, 0.1, 1.0 / 3, 0.5, 0.7}) {
      for (int a = 1; a <= 60; a++) {
        for (int b = 1; b <= 60; b++) {
          for (int i = 0; i <= Math.min(a, b); i++) {
            double j = (double) i / (double) (a + b - i);
            if (j >= t) {
              assertTrue(canReach(a, b, t), a + " " + b + " " + i + " " + t);
            }
          }
        }
      }
    }
  }
}

package com.shoprec.jobs.model.signals;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ludovic.netlib.lapack.JavaLAPACK;
import dev.ludovic.netlib.lapack.LAPACK;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.netlib.util.intW;

/** Next-new's solve on the driver in blocks of columns, on several cores: the numbers of one LAPACK call. */
class NextNewSolveTest {

  /** A random symmetric positive definite n × n matrix (column-major, full), as XᵀWX + λI is. */
  private static double[] spd(int n, Random random) {
    double[] x = new double[n * n];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextInt(4) == 0 ? random.nextDouble() : 0;
    }
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += x[i + k * n] * x[j + k * n];
        }
        a[i + j * n] = s + (i == j ? 10 : 0);
      }
    }
    return a;
  }

  @Test
  void blocksOfColumnsGiveTheNumbersOfOneCall() {
    LAPACK lapack = JavaLAPACK.getInstance();
    // more columns than one block, and a last block that is not full
    int n = 2 * NextNew.COLUMNS_PER_SOLVE + 37;
    Random random = new Random(7);
    double[] a = spd(n, random);
    double[] y = new double[n * n];
    for (int i = 0; i < y.length; i++) {
      y[i] = random.nextInt(3) == 0 ? random.nextDouble() : 0;
    }
    intW info = new intW(0);
    lapack.dpotrf("U", n, a, n, info);
    assertEquals(0, info.val);
    double[] once = y.clone();
    lapack.dpotrs("U", n, n, a, n, once, n, info);
    assertEquals(0, info.val);
    double[] blocks = y.clone();
    assertEquals(0, NextNew.solveColumns(lapack, n, a, blocks));
    assertArrayEquals(once, blocks, 0.0, "bit for bit");
    assertTrue(java.util.Arrays.stream(blocks).anyMatch(v -> v != 0));
  }
}

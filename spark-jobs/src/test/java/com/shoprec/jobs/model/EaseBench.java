package com.shoprec.jobs.model;

import dev.ludovic.netlib.lapack.JavaLAPACK;
import dev.ludovic.netlib.lapack.LAPACK;
import java.util.Random;

/**
 * What EASE's inversion costs the driver, run by {@code bench/ease.sh}: for each product count, a Gram matrix
 * XᵀX of random customers (20 products each, drawn with Zipf-like popularity, preferences in units of 2⁻¹⁰ as
 * the job's) inverted by {@link Ease#invert} through the LAPACK the job gets (native when the machine has
 * liblapack.so.3) and through netlib's pure-Java LAPACK (the fallback elsewhere), then B computed. Each is timed
 * once after one warm-up inversion at the smallest size; prints seconds and the ratio of the two.
 *
 * <p>Arguments: product counts (default 1000 2000 3000 5000).
 */
public final class EaseBench {

  private EaseBench() {}

  public static void main(String[] args) {
    int[] sizes = args.length == 0 ? new int[] {1000, 2000, 3000, 5000}
        : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    LAPACK loaded = LAPACK.getInstance();
    LAPACK java = JavaLAPACK.getInstance();
    System.out.printf("LAPACK the job gets: %s; fallback: %s; %d cores%n", loaded.getClass().getSimpleName(),
        java.getClass().getSimpleName(), Runtime.getRuntime().availableProcessors());
    long[] warm = gram(sizes[0], 1);
    Ease.invert(warm, sizes[0], 100, loaded);
    Ease.invert(warm, sizes[0], 100, java);
    System.out.printf("%-9s %-14s %-12s %-12s %-8s%n", "products", "driver MB", "loaded s", "java s", "ratio");
    for (int n : sizes) {
      long[] g = gram(n, 2);
      double a = time(g, n, loaded);
      double b = time(g, n, java);
      // XᵀX + its inverse as doubles, B as floats
      System.out.printf("%-9d %-14d %-12.2f %-12.2f %-8.1f%n", n, (8L * n * n * 2 + 4L * n * n) >> 20, a, b, b / a);
    }
  }

  private static double time(long[] g, int n, LAPACK lapack) {
    long start = System.nanoTime();
    Ease.weights(Ease.invert(g, n, 100, lapack), n);
    return (System.nanoTime() - start) / 1e9;
  }

  /** Packed XᵀX of 20 n random customers, as {@link Ease#gramOf} builds it. */
  private static long[] gram(int n, long seed) {
    Random random = new Random(seed);
    long[] g = new long[Ease.packedSize(n)];
    int[] idx = new int[20];
    long[] q = new long[20];
    for (int c = 0; c < 20 * n; c++) {
      java.util.Set<Integer> products = new java.util.HashSet<>();
      while (products.size() < idx.length) { // distinct products, the popular ones far more often
        products.add((int) Math.min(n - 1, Math.floor(Math.pow(n, random.nextDouble())) - 1 + random.nextInt(2)));
      }
      int m = 0;
      for (int p : products) {
        idx[m] = p;
        q[m++] = 1 + random.nextInt(2048);
      }
      for (int a = 0; a < idx.length; a++) {
        for (int b = 0; b < idx.length; b++) {
          if (idx[a] <= idx[b]) {
            g[idx[a] + (int) ((long) idx[b] * (idx[b] + 1) / 2)] += q[a] * q[b];
          }
        }
      }
    }
    return g;
  }
}

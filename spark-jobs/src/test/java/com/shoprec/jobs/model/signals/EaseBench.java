package com.shoprec.jobs.model.signals;

import dev.ludovic.netlib.lapack.JavaLAPACK;
import dev.ludovic.netlib.lapack.LAPACK;
import java.util.Random;

/**
 * What EASE's inversion costs the driver, run by {@code bench/ease.sh}: for each product count, a Gram matrix
 * XᵀX of random customers (20 products each, drawn with Zipf-like popularity, preferences in units of 2⁻¹⁰ as
 * the job's) inverted by {@link Ease#invert} through the LAPACK the job gets (native when the machine has
 * liblapack.so.3) and through netlib's pure-Java LAPACK (the fallback elsewhere), then B computed. Each is timed
 * once after one warm-up inversion at the smallest size; prints seconds and the ratio of the two. Then the same
 * for {@link NextNew}'s solve on the driver ({@link NextNew#solve}: a Cholesky factorization of XᵀWX + λI and n
 * right-hand sides, XᵀWY, here the same Gram matrix and random cross sums), its other driver step of the same size.
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
    NextNew.solve(withCross(warm, sizes[0], 1), sizes[0], 1000, loaded);
    System.out.printf("%-9s %-14s %-12s %-12s %-8s%n", "products", "driver MB", "loaded s", "java s", "ratio");
    System.out.println("EASE (invert, then B)");
    for (int n : sizes) {
      long[] g = gram(n, 2);
      double a = time(() -> Ease.weights(Ease.invert(g, n, 100, loaded), n));
      double b = time(() -> Ease.weights(Ease.invert(g, n, 100, java), n));
      // XᵀX + its inverse as doubles, B as floats
      System.out.printf("%-9d %-14d %-12.2f %-12.2f %-8.1f%n", n, (8L * n * n * 2 + 4L * n * n) >> 20, a, b, b / a);
    }
    System.out.println("next-new (Cholesky, n right-hand sides, then B)");
    for (int n : sizes) {
      long[] sums = withCross(gram(n, 2), n, 3);
      double a = time(() -> NextNew.solve(sums, n, 1000, loaded));
      double b = time(() -> NextNew.solve(sums, n, 1000, java));
      // the sums as longs (packed XᵀWX, dense XᵀWY), the factor and the right-hand sides as doubles, B as floats
      long bytes = 8L * sums.length + 8L * n * n * 2 + 4L * n * n;
      System.out.printf("%-9d %-14d %-12.2f %-12.2f %-8.1f%n", n, bytes >> 20, a, b, b / a);
    }
  }

  private static double time(Runnable step) {
    long start = System.nanoTime();
    step.run();
    return (System.nanoTime() - start) / 1e9;
  }

  /** {@code gram} followed by n² random cross sums (XᵀWY), as {@link NextNew}'s sums are laid out. */
  private static long[] withCross(long[] gram, int n, long seed) {
    Random random = new Random(seed);
    long[] sums = java.util.Arrays.copyOf(gram, gram.length + n * n);
    for (int i = gram.length; i < sums.length; i++) {
      sums[i] = random.nextInt(8) == 0 ? random.nextInt(1 << 22) : 0;
    }
    return sums;
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

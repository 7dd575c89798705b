package com.shoprec.testkit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Realistic synthetic orders in the job's input format ({@code order_id,customer_id,product_id,ts,quantity,price},
 * ISO timestamps), seeded: the same arguments give the same bytes.
 *
 * <pre>java -cp testkit/target/classes com.shoprec.testkit.SyntheticOrders OUT.csv.gz LINES [SEED]</pre>
 *
 * <p>The shop it models, calibrated on the shared Online Retail file (397,924 lines: 4,339 customers, 3,665
 * products, 18,536 orders; 34 % of customers order once, median 2 orders, 1 % order 30 times or more; median
 * basket 15 lines, mean 21.5, 1 % of baskets over 110 lines; top 1 % of products 9.6 % of lines; a third of
 * lines repeat an earlier purchase of the same customer):
 * <ul>
 *   <li><b>Customers</b>: orders per customer {@code ceil(exp(N(0.57, 1.4)))}, at most one a day: one-off buyers
 *       to a few customers ordering every few days. Customers are drawn until the lines reach {@code LINES}, so
 *       their number grows linearly with the lines (every customer behaves like a customer of a small shop).</li>
 *   <li><b>Products</b>: {@code 3,665 × sqrt(LINES / 397,924)} (a catalogue grows slower than its sales);
 *       popularity Zipf-like with exponent {@value #ZIPF_EXPONENT}; ids are SKU-like strings in an order
 *       unrelated to popularity; one price per product, log-normal around 2.50.</li>
 *   <li><b>Time</b>: one year (2024). Each customer orders at a personal interval (the year divided by the
 *       customer's orders, shrunk by a random factor, jittered ±30 %), from a random start.</li>
 *   <li><b>Baskets</b>: per-customer habit × log-normal (median 15 lines); {@value #WHOLESALE_SHARE} of
 *       orders are wholesale baskets of 150–500 lines with larger quantities. A product appears once per
 *       order.</li>
 *   <li><b>Repeat buying</b>: each customer has a favourite set (a share of the usual basket, between 20 % and
 *       70 %), each favourite bought every 1st to 4th order (its own phase), so products come back at
 *       per-customer, per-product intervals; the rest of a basket is explored by popularity.</li>
 * </ul>
 * Every id passes the job's id rules and no product id is a non-merchandise code, so the job uses every row.
 */
public final class SyntheticOrders {

  static final String HEADER = "order_id,customer_id,product_id,ts,quantity,price";
  static final double ZIPF_EXPONENT = 0.6;
  static final double WHOLESALE_SHARE = 0.005;
  static final LocalDateTime YEAR_START = LocalDateTime.of(2024, 1, 1, 0, 0);
  static final int DAYS = 366;

  private static final long REFERENCE_LINES = 397_924;
  private static final int REFERENCE_PRODUCTS = 3_665;
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");
  private static final int[] QUANTITIES = {1, 2, 3, 4, 6, 8, 10, 12, 24, 48};
  /** Shares of the quantities above among the lines of the reference file (rounded). */
  private static final double[] QUANTITY_WEIGHTS = {20, 16, 7, 9, 10, 3, 6, 17, 7, 2};

  /** What was written. */
  public record Summary(long lines, int orders, int customers, int products) {}

  private SyntheticOrders() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: SyntheticOrders OUT.csv.gz LINES [SEED]");
      System.exit(2);
    }
    long lines = Long.parseLong(args[1].replace("_", ""));
    long seed = args.length == 3 ? Long.parseLong(args[2]) : 42L;
    long start = System.nanoTime();
    Summary s = write(Path.of(args[0]), lines, seed);
    System.out.printf("wrote %s: %,d lines, %,d orders, %,d customers, %,d products, seed %d, in %.1f s%n", args[0],
        s.lines(), s.orders(), s.customers(), s.products(), seed, (System.nanoTime() - start) / 1e9);
  }

  /** Writes the orders gzip-compressed to {@code out} (through a temporary file, moved into place at the end). */
  public static Summary write(Path out, long lines, long seed) throws IOException {
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, ".synthetic-", ".tmp");
    try {
      Summary s;
      try (OutputStream file = Files.newOutputStream(tmp);
           GZIPOutputStream gz = new GZIPOutputStream(new BufferedOutputStream(file, 1 << 16), 1 << 16) {
             {
               def.setLevel(Deflater.BEST_SPEED);
             }
           };
           Writer w = new OutputStreamWriter(gz, StandardCharsets.UTF_8)) {
        s = write(w, lines, seed);
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return s;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes the header and exactly {@code lines} order lines. */
  public static Summary write(Writer out, long lines, long seed) throws IOException {
    if (lines < 1) {
      throw new IllegalArgumentException("lines must be at least 1, got " + lines);
    }
    return new Shop(lines, seed).write(out);
  }

  /** Products in the model for this many lines. */
  static int productsFor(long lines) {
    return (int) Math.max(50, Math.round(REFERENCE_PRODUCTS * Math.sqrt((double) lines / REFERENCE_LINES)));
  }

  /** One generated shop: products, then customers with their orders, then the lines in time order. */
  private static final class Shop {
    private final long lines;
    private final long seed;
    private final SplittableRandom rnd;
    private final int products;
    private final double[] popularityCdf;
    private final String[] productIds;
    private final String[] prices;
    private final double[] quantityCdf;

    // Per customer (index c): favourites and their period and phase (in orders).
    private int[][] favourites = new int[1024][];
    private byte[][] periods = new byte[1024][];
    private byte[][] phases = new byte[1024][];
    private String[] customerIds;
    // Per order (index o), in creation order.
    private int[] orderCustomer = new int[4096];
    private int[] orderNumber = new int[4096];
    private int[] orderSize = new int[4096];
    private boolean[] orderWholesale = new boolean[4096];
    private long[] orderTime = new long[4096];
    private int orders;
    private int customers;

    Shop(long lines, long seed) {
      this.lines = lines;
      this.seed = seed;
      this.rnd = new SplittableRandom(seed);
      this.products = productsFor(lines);
      this.popularityCdf = cdf(products, r -> Math.pow(r + 1, -ZIPF_EXPONENT));
      this.productIds = new String[products];
      this.prices = new String[products];
      int[] codes = permutation(products, rnd);
      for (int r = 0; r < products; r++) {
        // SKU-like: a number, some with a variant letter; popularity rank r gets a random code.
        int code = codes[r];
        productIds[r] = (10000 + code) + (code % 7 == 3 ? String.valueOf((char) ('A' + code % 5)) : "");
        double price = Math.max(0.1, Math.exp(Math.log(2.5) + 0.8 * gaussian(rnd)));
        prices[r] = String.format(java.util.Locale.ROOT, "%.2f", price);
      }
      this.quantityCdf = cdf(QUANTITIES.length, i -> QUANTITY_WEIGHTS[i]);
    }

    Summary write(Writer out) throws IOException {
      planCustomers();
      Integer[] byTime = new Integer[orders];
      for (int o = 0; o < orders; o++) {
        byTime[o] = o;
      }
      Arrays.sort(byTime, (a, b) -> orderTime[a] != orderTime[b] ? Long.compare(orderTime[a], orderTime[b])
          : Integer.compare(a, b));
      out.write(HEADER);
      out.write('\n');
      StringBuilder line = new StringBuilder(64);
      boolean[] inBasket = new boolean[products];
      int[] basket = new int[products];
      long written = 0;
      for (int i = 0; i < orders; i++) {
        int o = byTime[i];
        String orderId = Integer.toString(100000 + i);
        String ts = TS.format(YEAR_START.plusSeconds(orderTime[o]));
        int n = fillBasket(o, basket, inBasket);
        SplittableRandom q = new SplittableRandom(mix(seed, 0x5157L, o));
        for (int k = 0; k < n; k++) {
          int p = basket[k];
          inBasket[p] = false;
          int quantity = QUANTITIES[pick(quantityCdf, q.nextDouble())];
          if (orderWholesale[o]) {
            quantity *= 1 + q.nextInt(6);
          }
          line.setLength(0);
          line.append(orderId).append(',').append(customerIds[orderCustomer[o]]).append(',').append(productIds[p])
              .append(',').append(ts).append(',').append(quantity).append(',').append(prices[p]).append('\n');
          out.append(line);
        }
        written += n;
      }
      if (written != lines) {
        throw new IllegalStateException("generated " + written + " lines instead of " + lines);
      }
      return new Summary(written, orders, customers, products);
    }

    /** Draws customers and their orders (time, size) until the planned lines reach {@code lines} exactly. */
    private void planCustomers() {
      long planned = 0;
      while (planned < lines) {
        int c = customers++;
        growCustomers(c);
        int k = (int) Math.min(DAYS, Math.max(1, Math.ceil(Math.exp(0.45 + 1.3 * gaussian(rnd)))));
        double habit = Math.exp(0.3 * gaussian(rnd));
        double repeatShare = 0.4 + 0.5 * rnd.nextDouble();
        // Favourites: enough that about repeatShare of a usual basket is favourites due in that order
        // (a favourite of period m is due in 1/m of the orders, mean 1/m over 1..4 is 0.52).
        int usual = (int) Math.round(13 * habit);
        int nFav = k == 1 ? 0 : Math.min(products / 4, Math.max(1, (int) Math.round(repeatShare * usual / 0.52)));
        favourites[c] = distinctPopular(nFav, rnd);
        periods[c] = new byte[nFav];
        phases[c] = new byte[nFav];
        for (int f = 0; f < nFav; f++) {
          periods[c][f] = (byte) (1 + rnd.nextInt(4));
          phases[c][f] = (byte) rnd.nextInt(periods[c][f]);
        }
        // Personal interval: the year spread over k orders, shrunk by up to half; jittered ±30 %.
        double interval = (double) DAYS / k * (0.5 + 0.5 * rnd.nextDouble());
        double span = interval * (k - 1);
        double day = rnd.nextDouble() * Math.max(0, DAYS - 1 - span);
        for (int i = 0; i < k && planned < lines; i++) {
          boolean wholesale = rnd.nextDouble() < WHOLESALE_SHARE;
          int size = wholesale ? 150 + rnd.nextInt(251)
              : (int) Math.max(1, Math.round(Math.exp(Math.log(13 * habit) + 0.95 * gaussian(rnd))));
          size = (int) Math.min(Math.min(size, products / 2), lines - planned);
          int hour = 8 + rnd.nextInt(11);
          long seconds = (long) Math.min(DAYS - 1, Math.floor(day)) * 86_400 + hour * 3_600L + rnd.nextInt(3_600);
          addOrder(c, i, size, wholesale, seconds);
          planned += size;
          day += interval * (0.7 + 0.6 * rnd.nextDouble());
        }
      }
      int[] ids = permutation(customers, rnd);
      customerIds = new String[customers];
      for (int c = 0; c < customers; c++) {
        customerIds[c] = Integer.toString(100000 + ids[c]);
      }
    }

    /** The order's distinct products: its due favourites first (each kept with 90 %), then popular picks. */
    private int fillBasket(int o, int[] basket, boolean[] inBasket) {
      SplittableRandom r = new SplittableRandom(mix(seed, 0xBA5CL, o));
      int c = orderCustomer[o];
      int size = orderSize[o];
      int n = 0;
      int[] fav = favourites[c];
      for (int f = 0; f < fav.length && n < size; f++) {
        if ((orderNumber[o] + phases[c][f]) % periods[c][f] == 0 && r.nextDouble() < 0.9) {
          basket[n++] = fav[f];
          inBasket[fav[f]] = true;
        }
      }
      while (n < size) {
        int p = pick(popularityCdf, r.nextDouble());
        if (!inBasket[p]) {
          basket[n++] = p;
          inBasket[p] = true;
        }
      }
      return n;
    }

    private int[] distinctPopular(int n, SplittableRandom r) {
      int[] out = new int[n];
      java.util.HashSet<Integer> seen = new java.util.HashSet<>();
      for (int i = 0; i < n; ) {
        int p = pick(popularityCdf, r.nextDouble());
        if (seen.add(p)) {
          out[i++] = p;
        }
      }
      return out;
    }

    private void growCustomers(int c) {
      if (c == favourites.length) {
        favourites = Arrays.copyOf(favourites, c * 2);
        periods = Arrays.copyOf(periods, c * 2);
        phases = Arrays.copyOf(phases, c * 2);
      }
    }

    private void addOrder(int c, int number, int size, boolean wholesale, long seconds) {
      if (orders == orderCustomer.length) {
        int n = orders * 2;
        orderCustomer = Arrays.copyOf(orderCustomer, n);
        orderNumber = Arrays.copyOf(orderNumber, n);
        orderSize = Arrays.copyOf(orderSize, n);
        orderWholesale = Arrays.copyOf(orderWholesale, n);
        orderTime = Arrays.copyOf(orderTime, n);
      }
      orderCustomer[orders] = c;
      orderNumber[orders] = number;
      orderSize[orders] = size;
      orderWholesale[orders] = wholesale;
      orderTime[orders] = seconds;
      orders++;
    }
  }

  private static double[] cdf(int n, java.util.function.IntToDoubleFunction weight) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += weight.applyAsDouble(i);
      cdf[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
    return cdf;
  }

  /** The index whose cumulative share first exceeds {@code u} in [0, 1). */
  private static int pick(double[] cdf, double u) {
    int i = Arrays.binarySearch(cdf, u);
    i = i >= 0 ? i + 1 : -i - 1;
    return Math.min(i, cdf.length - 1);
  }

  private static int[] permutation(int n, SplittableRandom r) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A standard normal draw (Box–Muller), from one generator so that the sequence is reproducible. */
  private static double gaussian(SplittableRandom r) {
    double u = 1.0 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /** A seed for one order's own generator, independent of the order in which orders are visited. */
  private static long mix(long seed, long salt, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}

package com.shoprec.serving.bench;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.PayloadWriter.Item;
import com.shoprec.common.RedisKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Loads a published run of realistic customer lists into a Redis for {@code bench/serving.sh}: not a test.
 *
 * <p>Customer ids are zero-padded 12-digit numbers {@code 000000000000 … N-1}, exactly what
 * {@code redis-benchmark -r N}'s {@code __rand_int__} produces, so redis-benchmark GETs the very keys the
 * server reads. Every list has 25 items with Online-Retail-like SKUs ({@code 85123A}, {@code 22423}),
 * drawn with a skewed popularity; written with the batch's own {@link PayloadWriter}, pipelined.
 *
 * <p>Shapes (last argument): {@code compact} (default, about 1.5 KB, the closest to the "about
 * 1.2 KB": 25 bare items of id, score and rank are already about 1.4 KB in this shape): {@code source} and
 * {@code reason} on the customer's repurchase items only (0 to 5); {@code full}: {@code source} and
 * {@code reason} on every item, as {@code ListAssembler} writes them (about 2.5 KB).
 *
 * <p>Usage: {@code BenchLoad HOST PORT RUN CUSTOMERS SAMPLE_FILE [compact|full]}; writes customer 0's bytes
 * to SAMPLE_FILE (the body the constant-bytes server answers) and prints the mean payload size.
 */
public final class BenchLoad {

  static final String WEEK = "2011_W49";
  static final Instant GENERATED = Instant.parse("2011-12-10T06:00:00Z");
  static final int ITEMS = 25;
  static final int PRODUCTS = 4000;
  static final String[] SEGMENTS = {"LIGHT", "MEDIUM", "HEAVY"};

  private BenchLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: BenchLoad HOST PORT RUN CUSTOMERS SAMPLE_FILE [compact|full]");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String run = RedisKeys.checkRunId(args[2]);
    int customers = Integer.parseInt(args[3]);
    Path sample = Path.of(args[4]);
    boolean full = args.length > 5 && "full".equals(args[5]);

    RedisKeys keys = RedisKeys.withoutNamespace();
    String[] catalogue = catalogue(new SplittableRandom(7));
    PayloadWriter writer = new PayloadWriter();
    SplittableRandom random = new SplittableRandom(42);
    long bytes = 0;
    long started = System.nanoTime();
    try (Jedis jedis = new Jedis(host, port)) {
      Pipeline pipe = jedis.pipelined();
      for (int c = 0; c < customers; c++) {
        String id = customerId(c);
        String segment = SEGMENTS[random.nextInt(SEGMENTS.length)];
        byte[] payload = writer.customerList(id, WEEK, segment, items(random, catalogue, full), GENERATED);
        bytes += payload.length;
        if (c == 0) {
          Files.write(sample, payload);
        }
        pipe.set(utf8(keys.payload(PayloadKind.CUSTOMER_RECS, run, id)), payload);
        if (c % 1000 == 999) {
          pipe.sync();
        }
      }
      List<Item> popular = new ArrayList<>();
      for (int i = 0; i < ITEMS; i++) {
        popular.add(new Item(catalogue[i], round(1.0 - i * 0.03), i + 1, PayloadWriter.SOURCE_POPULAR,
            "{\"popular_rank\":" + (i + 1) + "}"));
      }
      pipe.set(utf8(keys.fallback(run)), writer.fallbackBody(WEEK, popular, GENERATED));
      pipe.set(utf8(keys.popularAll(run)),
          writer.list(PayloadKind.POPULAR, RedisKeys.PopularScope.all(), WEEK, popular, GENERATED));
      pipe.set(keys.runInfo(run), String.format(Locale.ROOT,
          "{\"run\":\"%s\",\"week\":\"%s\",\"generated_at\":\"%s\",\"keys\":{\"weekly_recs\":%d}}",
          run, WEEK, PayloadWriter.timestamp(GENERATED), customers));
      pipe.lpush(keys.publishedRuns(), run);
      pipe.sync();
      // The pointer last, as the batch does: only a fully written run becomes live.
      jedis.set(keys.liveRunPointer(), run);
    }
    System.out.printf(Locale.ROOT, "loaded %d customer lists of run %s (%s shape): mean %.0f bytes, %.1f s%n",
        customers, run, full ? "full" : "compact", customers == 0 ? 0.0 : (double) bytes / customers,
        (System.nanoTime() - started) / 1e9);
  }

  /** What redis-benchmark's {@code __rand_int__} expands to for {@code n}. */
  static String customerId(int n) {
    return String.format(Locale.ROOT, "%012d", n);
  }

  /** Online Retail style stock codes: five digits, a third of them with a letter suffix. */
  static String[] catalogue(SplittableRandom random) {
    Set<String> seen = new HashSet<>();
    String[] out = new String[PRODUCTS];
    int n = 0;
    while (n < PRODUCTS) {
      String code = Integer.toString(10000 + random.nextInt(80000));
      if (random.nextInt(3) == 0) {
        code += (char) ('A' + random.nextInt(6));
      }
      if (seen.add(code)) {
        out[n++] = code;
      }
    }
    return out;
  }

  /** 25 distinct products: a few repurchases, then discovery, then popular fill; scores decreasing. */
  static List<Item> items(SplittableRandom random, String[] catalogue, boolean full) {
    int repurchase = random.nextInt(6);
    int discovery = 10 + random.nextInt(8);
    Set<String> chosen = new HashSet<>();
    List<Item> items = new ArrayList<>(ITEMS);
    double score = 1.0;
    while (items.size() < ITEMS) {
      // Skewed popularity: the square of a uniform picks low (popular) indexes more often.
      double u = random.nextDouble();
      String product = catalogue[(int) (u * u * PRODUCTS)];
      if (!chosen.add(product)) {
        continue;
      }
      int rank = items.size() + 1;
      String source;
      String reason;
      if (rank <= repurchase) {
        source = PayloadWriter.SOURCE_REPURCHASE;
        reason = String.format(Locale.ROOT, "{\"times_bought\":%d,\"last_bought\":\"2011-%02d-%02d\"}",
            2 + random.nextInt(20), 6 + random.nextInt(6), 1 + random.nextInt(28));
      } else if (rank <= repurchase + discovery) {
        source = PayloadWriter.SOURCE_DISCOVERY;
        reason = "{\"neighbours\":" + (1 + random.nextInt(30)) + "}";
      } else {
        source = PayloadWriter.SOURCE_POPULAR;
        reason = "{\"popular_rank\":" + (1 + random.nextInt(100)) + "}";
      }
      boolean annotated = full || PayloadWriter.SOURCE_REPURCHASE.equals(source);
      items.add(new Item(product, round(score), rank, annotated ? source : null, annotated ? reason : null));
      score -= 0.01 + random.nextDouble() * 0.04;
      score = Math.max(score, 0.0001);
    }
    return items;
  }

  static double round(double score) {
    return Math.round(score * 10_000) / 10_000.0;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

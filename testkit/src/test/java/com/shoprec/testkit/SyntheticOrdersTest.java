package com.shoprec.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Properties of 60,000 generated lines (seed 7), each compared with what the model promises and what the shared
 * Online Retail file shows (one-off customers a third, top 1 % of products ~10 % of lines, a quarter to a third of
 * lines repeating an earlier purchase).
 */
class SyntheticOrdersTest {

  private static final int LINES = 60_000;
  private static String text;
  private static List<String[]> rows;

  @BeforeAll
  static void generate() throws IOException {
    StringWriter w = new StringWriter();
    SyntheticOrders.Summary s = SyntheticOrders.write(w, LINES, 7);
    assertEquals(LINES, s.lines());
    text = w.toString();
    rows = new ArrayList<>();
    String[] lines = text.split("\n");
    assertEquals(SyntheticOrders.HEADER, lines[0]);
    for (int i = 1; i < lines.length; i++) {
      rows.add(lines[i].split(",", -1));
    }
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes(@TempDir Path dir) throws IOException {
    Path a = dir.resolve("a.csv.gz");
    Path b = dir.resolve("b.csv.gz");
    SyntheticOrders.write(a, LINES, 7);
    SyntheticOrders.write(b, LINES, 7);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(a))) {
      assertEquals(text, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    StringWriter other = new StringWriter();
    SyntheticOrders.write(other, LINES, 8);
    assertNotEquals(text, other.toString());
  }

  @Test
  void exactLineCountAtAnySize() throws IOException {
    assertEquals(LINES, rows.size());
    for (int n : new int[] {1, 2, 17, 1_000, 12_345}) {
      StringWriter w = new StringWriter();
      SyntheticOrders.write(w, n, 3);
      assertEquals(n + 1, w.toString().split("\n").length, "lines for " + n);
    }
  }

  @Test
  void everyFieldIsWhatTheJobAccepts() {
    DateTimeFormatter ts = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");
    LocalDateTime first = LocalDateTime.MAX;
    LocalDateTime last = LocalDateTime.MIN;
    Map<String, String> priceOf = new HashMap<>();
    for (String[] r : rows) {
      assertEquals(6, r.length, String.join(",", r));
      for (int f = 0; f < 3; f++) {
        assertTrue(r[f].matches("[0-9]{5,7}[A-E]?"), "id " + r[f]);
      }
      LocalDateTime t = LocalDateTime.parse(r[3], ts);
      first = t.isBefore(first) ? t : first;
      last = t.isAfter(last) ? t : last;
      assertTrue(Integer.parseInt(r[4]) > 0, "quantity " + r[4]);
      assertTrue(Double.parseDouble(r[5]) >= 0.1, "price " + r[5]);
      assertEquals(r[5], priceOf.computeIfAbsent(r[2], p -> r[5]), "one price per product " + r[2]);
    }
    assertEquals(2024, first.getYear());
    assertEquals(2024, last.getYear());
    assertTrue(first.getDayOfYear() < 15 && last.getDayOfYear() > 350, first + " .. " + last);
  }

  @Test
  void productPopularityIsSkewed() {
    Map<String, Integer> lines = new HashMap<>();
    rows.forEach(r -> lines.merge(r[2], 1, Integer::sum));
    int[] counts = lines.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    int top = Math.max(1, counts.length / 100);
    long topLines = Arrays.stream(counts, counts.length - top, counts.length).sum();
    double share = (double) topLines / LINES;
    // Uniform popularity would give the top 1 % of products 1 % of lines; the shared file gives them 9.6 %.
    assertTrue(share > 0.06 && share < 0.3, "top 1 % share " + share);
    assertEquals(SyntheticOrders.productsFor(LINES), counts.length, "every product sells");
  }

  @Test
  void customersRangeFromOneOffToHeavy() {
    Map<String, Set<String>> ordersOf = new HashMap<>();
    rows.forEach(r -> ordersOf.computeIfAbsent(r[1], c -> new HashSet<>()).add(r[0]));
    int[] orders = ordersOf.values().stream().mapToInt(Set::size).sorted().toArray();
    double oneOff = Arrays.stream(orders).filter(n -> n == 1).count() / (double) orders.length;
    assertTrue(oneOff > 0.25 && oneOff < 0.45, "one-off share " + oneOff);
    int busiest = orders[orders.length - 1];
    assertTrue(busiest >= 30, "busiest customer " + busiest + " orders");
    int tenth = orders.length / 10;
    long topTenth = Arrays.stream(orders, orders.length - tenth, orders.length).sum();
    long all = Arrays.stream(orders).sum();
    assertTrue(topTenth > 0.35 * all, "top 10 % customers place " + topTenth + " of " + all + " orders");
  }

  @Test
  void basketsAreSkewedWithAFewLargeOnes() {
    Map<String, Integer> size = new HashMap<>();
    rows.forEach(r -> size.merge(r[0], 1, Integer::sum));
    int[] s = size.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    int median = s[s.length / 2];
    double mean = (double) LINES / s.length;
    assertTrue(median >= 8 && median <= 20, "median basket " + median);
    assertTrue(mean > median, "mean " + mean + " above median " + median);
    assertTrue(s[s.length - 1] >= 150, "largest basket " + s[s.length - 1]);
    // Distinct products per order: the job counts a product once per basket.
    Set<String> orderProduct = new HashSet<>();
    rows.forEach(r -> assertTrue(orderProduct.add(r[0] + "/" + r[2]), "product twice in order " + r[0]));
  }

  @Test
  void customersBuyTheirFavouritesAgainAtTheirOwnIntervals() {
    DateTimeFormatter ts = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");
    Map<String, String> firstOrder = new HashMap<>();
    Map<String, List<Long>> daysOf = new HashMap<>();
    int repeats = 0;
    for (String[] r : rows) {
      String key = r[1] + "/" + r[2];
      String before = firstOrder.putIfAbsent(key, r[0]);
      if (before != null && !before.equals(r[0])) {
        repeats++;
      }
      long day = LocalDateTime.parse(r[3], ts).toLocalDate().toEpochDay();
      List<Long> days = daysOf.computeIfAbsent(r[1], c -> new ArrayList<>());
      if (days.isEmpty() || days.get(days.size() - 1) != day) {
        days.add(day);
      }
    }
    double repeatShare = (double) repeats / LINES;
    assertTrue(repeatShare > 0.15 && repeatShare < 0.5, "repeat line share " + repeatShare);
    // Per-customer intervals: the usual gap between orders differs widely between customers with 4+ orders.
    List<Double> usualGap = new ArrayList<>();
    daysOf.values().stream().filter(d -> d.size() >= 4)
        .forEach(d -> usualGap.add((d.get(d.size() - 1) - d.get(0)) / (double) (d.size() - 1)));
    usualGap.sort(null);
    double p10 = usualGap.get(usualGap.size() / 10);
    double p90 = usualGap.get(usualGap.size() * 9 / 10);
    assertTrue(p90 > 3 * p10, "usual gaps p10 " + p10 + " p90 " + p90);
    assertFalse(usualGap.isEmpty());
  }
}

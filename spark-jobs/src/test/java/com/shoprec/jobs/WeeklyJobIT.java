package com.shoprec.jobs;

import com.shoprec.jobs.model.lists.DiscoveryModelsIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys;
import com.shoprec.testkit.EmbeddedStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The whole job on a slice of the shared Online Retail orders (customers whose id is divisible by 12), against
 * real embedded Redis and Postgres: publish, spot checks against the raw orders, and a run that fails half-way
 * leaving the first run live.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WeeklyJobIT extends SparkTestBase {

  @TempDir static Path dir;
  private static EmbeddedStores stores;
  private static Path slice;
  private static Path catalog;
  /** Gender by customer ({@link #gender}), region North for the first ten, and four rows left out. */
  private static Path customersFile;
  private static final Map<String, Set<String>> productsByCustomer = new HashMap<>();
  private static final Map<String, Set<String>> productsByOrder = new HashMap<>();
  /** Per customer: orders, first and last order time, quantity × price summed (BigDecimal: exact). */
  private static final Map<String, Set<String>> ordersByCustomer = new HashMap<>();
  private static final Map<String, String[]> firstAndLast = new HashMap<>();
  private static final Map<String, java.math.BigDecimal> revenueByCustomer = new HashMap<>();
  private static String firstRun;
  private static long sliceRows;

  @BeforeAll
  static void start() throws Exception {
    stores = EmbeddedStores.start();
    slice = dir.resolve("slice.csv");
    // A catalog with names (descriptions from the UCI file) for three products and a category-only row.
    catalog = dir.resolve("catalog.csv");
    Files.writeString(catalog, "product_id,category,name\n"
        + "85123A,Lights,WHITE HANGING HEART T-LIGHT HOLDER\n"
        + "71053,Lights,WHITE METAL LANTERN\n"
        + "22423,Kitchen,REGENCY CAKESTAND 3 TIER\n"
        + "47566,Party,\n");
    customersFile = dir.resolve("customers.csv");
    sliceRows = OrderSlice.write(slice, 12, f -> {
      if (!List.of("POST", "DOT", "M", "C2", "D", "CRUK", "PADS", "BANK CHARGES", "AMAZONFEE", "B", "S").contains(f[2])) {
        productsByCustomer.computeIfAbsent(f[1], k -> new HashSet<>()).add(f[2]);
        productsByOrder.computeIfAbsent(f[0], k -> new HashSet<>()).add(f[2]);
        ordersByCustomer.computeIfAbsent(f[1], k -> new HashSet<>()).add(f[0]);
        firstAndLast.merge(f[1], new String[] {f[3], f[3]}, (a, b) -> new String[] {
            a[0].compareTo(b[0]) <= 0 ? a[0] : b[0], a[1].compareTo(b[1]) >= 0 ? a[1] : b[1]});
        revenueByCustomer.merge(f[1], new java.math.BigDecimal(f[4]).multiply(new java.math.BigDecimal(f[5])),
            java.math.BigDecimal::add);
      }
    });
  }

  /** F for every other customer of the slice (ids divisible by 24), M for the others. */
  private static String gender(String customer) {
    return Long.parseLong(customer) % 24 == 0 ? "F" : "M";
  }

  /** The customers file: see {@link #customersFile}; written once the slice's customers are known. */
  private static void writeCustomers() throws Exception {
    StringBuilder csv = new StringBuilder("customer_id,GENDER,region\n");
    int n = 0;
    for (String customer : new java.util.TreeSet<>(ordersByCustomer.keySet())) {
      csv.append(customer).append(',').append(gender(customer)).append(',')
          .append(n++ < 10 ? "North" : "").append('\n');
    }
    String first = new java.util.TreeSet<>(ordersByCustomer.keySet()).first();
    csv.append(first).append(',').append(gender(first)).append(",North\n") // same again
        .append(",F,\n")                 // no id
        .append("99990,F\u0001,\n")       // a control character
        .append("99991,F,\n99991,M,\n");  // two genders
    Files.writeString(customersFile, csv.toString());
  }

  @AfterAll
  static void stop() {
    if (stores != null) {
      stores.close();
    }
  }

  private static int job(String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("--input", slice.toString(),
        "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl(),
        "--set", "shoprec.job.segments.mode=quantile",
        // no basket sampled, so that co-counts are exact counts over orders (sampling: DiscoveryModelsIT)
        "--set", "shoprec.job.cooccurrence.max-basket-size=10000"));
    // smaller models than production: this test is about the publish path, and runs the job three times
    args.addAll(SmallModels.ARGS);
    args.addAll(List.of(extra));
    return RecommendationJob.run(args.toArray(String[]::new));
  }

  private static Connection db() throws Exception {
    return DriverManager.getConnection(stores.jdbcUrl());
  }

  private static List<String> strings(String sql) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    try (Connection c = db(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  private static long count(String sql) throws Exception {
    try (Connection c = db(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  @Test
  @Order(1)
  void publishesEveryTableAndKeyOfOneRun() throws Exception {
    writeCustomers();
    assertEquals(0, job("--catalog", catalog.toString(), "--customers", customersFile.toString()));
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      firstRun = redis.get(RedisKeys.withoutNamespace().liveRunPointer());
    }
    assertEquals("2011_W49_1", firstRun);
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT status, input_rows, rejected_rows FROM recommendation_job_log WHERE run_id = '" + firstRun + "'")) {
      assertTrue(r.next());
      assertEquals("completed", r.getString(1));
      assertEquals(sliceRows, r.getLong(2), "input rows");
    }
    long customers = count("SELECT count(DISTINCT customer_id) FROM current_weekly_recommendations");
    assertTrue(customers > 100, customers + " customers with lists");
    assertEquals(customers * 25, count("SELECT count(*) FROM current_weekly_recommendations"),
        "every active customer has 25 items");
    for (String table : List.of("customer_segments", "popular_products", "similar_customers", "item_cooccurrence",
        "als_customer_factors", "als_product_factors", "product_audience")) {
      assertTrue(count("SELECT count(*) FROM current_" + table) > 0, table);
    }
    // EASE and next-new are in the blend (discovery.ease-weight, next-new-weight): both were trained, and they
    // name the purchase behind what they propose
    assertEquals(1, count("SELECT count(*) FROM recommendation_job_log WHERE run_id = '" + firstRun
        + "' AND stage_timings ? 'ease' AND stage_timings ? 'next-new'"), "EASE and next-new stages in the run log");
    assertTrue(count("SELECT count(*) FROM current_weekly_recommendations WHERE source = 'discovery' "
        + "AND reason->>'because_you_bought' IS NOT NULL") > 0, "discovery items from EASE or next-new");
    // the catalog is stored with the run, for analysts' names, and gives popularity per category
    List<String> stored = new java.util.ArrayList<>();
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT run_id, product_id, category, name FROM current_product_catalog ORDER BY product_id")) {
      while (r.next()) {
        stored.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3) + " " + r.getString(4));
      }
    }
    assertEquals(List.of(firstRun + " 22423 Kitchen REGENCY CAKESTAND 3 TIER", firstRun + " 47566 Party null",
        firstRun + " 71053 Lights WHITE METAL LANTERN", firstRun + " 85123A Lights WHITE HANGING HEART T-LIGHT HOLDER"),
        stored);
    assertEquals(4, count("SELECT (output_counts->>'product_catalog')::int FROM recommendation_job_log "
        + "WHERE run_id = '" + firstRun + "'"));
    assertTrue(count("SELECT count(*) FROM current_popular_products WHERE scope = 'category:Lights'") > 0);
    // the customers file: a popular list per gender and for North; the four bad rows left out and counted
    assertEquals(Set.of("gender:F", "gender:M", "region:North"), new HashSet<>(strings("SELECT DISTINCT scope FROM "
        + "current_popular_products WHERE scope LIKE 'gender:%' OR scope LIKE 'region:%' OR scope LIKE 'age_band:%'")));
    assertEquals(4, count("SELECT (output_counts->>'customers_file_rejected')::int FROM recommendation_job_log "
        + "WHERE run_id = '" + firstRun + "'"));
    assertEquals(ordersByCustomer.size() + 5, count("SELECT (output_counts->>'customers_file_rows')::int FROM "
        + "recommendation_job_log WHERE run_id = '" + firstRun + "'"));
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      for (String scope : List.of("gender:F", "gender:M", "region:North")) {
        assertTrue(redis.exists(RedisKeys.withoutNamespace().payload(PayloadKind.POPULAR, firstRun, scope)), scope);
      }
    }
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      assertTrue(redis.exists(RedisKeys.withoutNamespace().payload(PayloadKind.POPULAR, firstRun,
          RedisKeys.PopularScope.category("Lights"))),
          "the Lights category's popular list is in Redis");
    }
  }

  @Test
  @Order(2)
  void everyCustomerHasAProfileThatMatchesTheirOrders() throws Exception {
    RedisKeys keys = RedisKeys.withoutNamespace();
    ObjectMapper json = new ObjectMapper();
    Set<String> withLists = new HashSet<>();
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT DISTINCT customer_id FROM current_weekly_recommendations")) {
      while (r.next()) {
        withLists.add(r.getString(1));
      }
    }
    int withCategories = 0;
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      for (String customer : new java.util.TreeSet<>(ordersByCustomer.keySet())) {
        String stored = redis.get(keys.payload(PayloadKind.CUSTOMER_PROFILE, firstRun, customer));
        assertNotNull(stored, "profile of " + customer);
        JsonNode p = json.readTree(stored);
        String what = customer + ": " + stored;
        assertEquals(customer, p.get("customer_id").asText(), what);
        assertEquals(ordersByCustomer.get(customer).size(), p.get("orders").asInt(), what);
        assertEquals(productsByCustomer.get(customer).size(), p.get("distinct_products").asInt(), what);
        assertEquals(firstAndLast.get(customer)[0] + "Z", p.get("first_order_at").asText(), what);
        assertEquals(firstAndLast.get(customer)[1] + "Z", p.get("last_order_at").asText(), what);
        assertEquals(java.time.Duration.between(java.time.LocalDateTime.parse(firstAndLast.get(customer)[1]),
            java.time.LocalDate.parse("2011-12-10").atStartOfDay()).toDays(), p.get("days_since_last_order").asLong(),
            what);
        assertEquals(revenueByCustomer.get(customer).divide(java.math.BigDecimal.valueOf(
            ordersByCustomer.get(customer).size()), 2, java.math.RoundingMode.HALF_UP).doubleValue(),
            p.get("average_basket_value").asDouble(), 0.0101, what); // a sum in doubles may round a half cent down
        assertEquals(withLists.contains(customer), p.get("has_personal_list").asBoolean(), what);
        assertEquals(withLists.contains(customer), p.get("list_generated_at").isTextual(), what);
        // the catalog names Lights (85123A, 71053), Kitchen (22423) and Party (47566)
        Map<String, Integer> products = new java.util.TreeMap<>();
        for (String product : productsByCustomer.get(customer)) {
          String category = Map.of("85123A", "Lights", "71053", "Lights", "22423", "Kitchen", "47566", "Party")
              .get(product);
          if (category != null) {
            products.merge(category, 1, Integer::sum);
          }
        }
        Map<String, Integer> top = new java.util.TreeMap<>();
        for (JsonNode category : p.get("top_categories")) {
          top.put(category.get("category").asText(), category.get("products").asInt());
          assertTrue(category.get("orders").asInt() >= category.get("products").asInt(), what);
        }
        assertEquals(products, top, what);
        withCategories += top.isEmpty() ? 0 : 1;
      }
      assertTrue(withCategories > 10, withCategories + " customers bought from the catalog's categories");
      assertEquals(ordersByCustomer.size(), redis.keys(keys.runPattern(PayloadKind.CUSTOMER_PROFILE, firstRun)).size(),
          "one profile per customer with history, and none for anyone else");
      JsonNode info = json.readTree(redis.get(keys.runInfo(firstRun)));
      assertEquals(withLists.size(), info.get("customers_with_lists").asLong());
      long bySegment = 0;
      for (JsonNode n : info.get("lists_by_segment")) {
        bySegment += n.asLong();
      }
      assertEquals(withLists.size(), bySegment);
      assertEquals(ordersByCustomer.size(), info.get("customers").asLong());
      assertEquals(withLists.size() * 25L, info.get("items_by_source").get("repurchase").asLong()
          + info.get("items_by_source").get("discovery").asLong() + info.get("items_by_source").get("popular").asLong());
    }
  }

  @Test
  @Order(2)
  void scoresDecreaseWithRankInEveryStoredList() throws Exception {
    RedisKeys keys = RedisKeys.withoutNamespace();
    ObjectMapper json = new ObjectMapper();
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      for (PayloadKind kind : PayloadKind.values()) {
        if (kind == PayloadKind.CUSTOMER_PROFILE) {
          continue;
        }
        Set<String> found = redis.keys(keys.runPattern(kind, firstRun));
        assertFalse(found.isEmpty(), kind.toString());
        for (String key : found) {
          JsonNode items = json.readTree(redis.get(key)).get(kind.arrayField());
          for (int i = 1; i < items.size(); i++) {
            double before = items.get(i - 1).get("score").asDouble();
            double now = items.get(i).get("score").asDouble();
            assertEquals(i + 1, items.get(i).get("rank").asInt(), key);
            if (kind == PayloadKind.CUSTOMER_RECS) {
              assertTrue(now < before, key + " rank " + (i + 1) + ": " + now + " after " + before);
            } else {
              assertTrue(now <= before, key + " rank " + (i + 1) + ": " + now + " after " + before);
            }
          }
        }
      }
    }
  }

  @Test
  @Order(2)
  void redisHoldsThePostgresListsAsJson() throws Exception {
    RedisKeys keys = RedisKeys.withoutNamespace();
    String customer;
    try (Connection c = db(); Statement s = c.createStatement();
         // one whose repurchase candidates fill the other 16 slots, so discovery has exactly its share
         ResultSet r = s.executeQuery("SELECT customer_id FROM current_weekly_recommendations WHERE segment = 'LIGHT' "
             + "GROUP BY customer_id HAVING count(*) FILTER (WHERE source = 'discovery') > 0 "
             + "AND count(*) FILTER (WHERE source = 'repurchase') >= 16 ORDER BY customer_id LIMIT 1")) {
      assertTrue(r.next(), "a LIGHT customer with discovery items and 16 repurchase items");
      customer = r.getString(1);
    }
    JsonNode payload;
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      payload = new ObjectMapper().readTree(redis.get(keys.payload(PayloadKind.CUSTOMER_RECS, firstRun, customer)));
      long ttl = redis.ttl(keys.payload(PayloadKind.CUSTOMER_RECS, firstRun, customer));
      assertTrue(ttl > 7 * 86_400 && ttl <= 8 * 86_400, "ttl " + ttl);
      assertTrue(redis.exists(keys.fallback(firstRun)));
      assertTrue(redis.exists(keys.popularAll(firstRun)));
    }
    assertEquals(customer, payload.get("customer_id").asText());
    assertEquals("LIGHT", payload.get("segment").asText());
    assertEquals(25, payload.get("count").asInt());
    // LIGHT: 35 % of 25 slots (8.75, rounded) go to discovery when there are enough candidates
    assertEquals(9, payload.get("discovery_count").asInt());
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT product_id, source FROM current_weekly_recommendations WHERE customer_id = '"
             + customer + "' ORDER BY rank")) {
      for (JsonNode item : payload.get("recommendations")) {
        assertTrue(r.next());
        assertEquals(r.getString(1), item.get("product_id").asText());
        assertEquals(r.getString(2), item.get("source").asText());
        if ("discovery".equals(item.get("source").asText())) {
          assertFalse(productsByCustomer.get(customer).contains(item.get("product_id").asText()),
              "discovery never proposes a product the customer bought");
        }
      }
    }
  }

  @Test
  @Order(3)
  void aNeighboursSimilarityAndACoCountEqualDirectCountsOverTheOrders() throws Exception {
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT customer_id, similar_customer_id, similarity FROM current_similar_customers "
             + "ORDER BY similarity DESC, customer_id LIMIT 20")) {
      while (r.next()) {
        Set<String> a = productsByCustomer.get(r.getString(1));
        Set<String> b = productsByCustomer.get(r.getString(2));
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        Set<String> either = new HashSet<>(a);
        either.addAll(b);
        assertEquals((double) both.size() / either.size(), r.getDouble(3), 1e-12);
      }
    }
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT product_id, other_product_id, co_count FROM current_item_cooccurrence "
             + "ORDER BY co_count DESC, product_id, other_product_id LIMIT 20")) {
      while (r.next()) {
        String p = r.getString(1);
        String q = r.getString(2);
        long direct = productsByOrder.values().stream().filter(o -> o.contains(p) && o.contains(q)).count();
        assertEquals(direct, r.getLong(3), p + " with " + q);
      }
    }
  }

  @Test
  @Order(4)
  void aRunThatFailsHalfWayLeavesThePreviousRunServing() throws Exception {
    long before = count("SELECT count(*) FROM current_weekly_recommendations");
    try (Connection c = db(); Statement s = c.createStatement()) {
      // The next run's rows cannot be loaded: it fails after it started writing.
      s.execute("ALTER TABLE weekly_recommendations ADD CONSTRAINT test_no_rank_25 CHECK (rank < 25) NOT VALID");
    }
    try {
      assertNotEquals(0, job());
    } finally {
      try (Connection c = db(); Statement s = c.createStatement()) {
        s.execute("ALTER TABLE weekly_recommendations DROP CONSTRAINT test_no_rank_25");
      }
    }
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      assertEquals(firstRun, redis.get(RedisKeys.withoutNamespace().liveRunPointer()));
      assertTrue(redis.keys("weekly_recs:2011_W49_2:*").isEmpty(), "the failed run's keys are gone");
    }
    assertEquals(before, count("SELECT count(*) FROM current_weekly_recommendations"));
    try (Connection c = db(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT status, error FROM recommendation_job_log WHERE run_id = '2011_W49_2'")) {
      assertTrue(r.next());
      assertEquals("failed", r.getString(1));
      assertTrue(r.getString(2).contains("test_no_rank_25"), r.getString(2));
    }
    assertEquals(0, count("SELECT count(*) FROM weekly_recommendations WHERE run_id = '2011_W49_2'"));

    // and a plain rerun publishes
    assertEquals(0, job());
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      assertEquals("2011_W49_3", redis.get(RedisKeys.withoutNamespace().liveRunPointer()));
    }

    // rollback: both stores point back to the first run
    assertEquals(0, RecommendationJob.run("--rollback", "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl()));
    try (Jedis redis = new Jedis("127.0.0.1", stores.redisPort())) {
      assertEquals(firstRun, redis.get(RedisKeys.withoutNamespace().liveRunPointer()));
    }
    assertEquals(1, count("SELECT count(*) FROM recommendation_current_run WHERE run_id = '" + firstRun + "'"));
    assertEquals(1, count("SELECT count(*) FROM recommendation_job_log WHERE run_id = '2011_W49_3' AND status = 'rolled_back'"));
    assertEquals(0, RecommendationJob.run("--status", "--database-url", stores.jdbcUrl()));
  }

  @Test
  @Order(5)
  void badInputStopsBeforeAnythingIsWritten() throws Exception {
    long runs = count("SELECT count(*) FROM recommendation_job_log");
    Path noCustomer = dir.resolve("no-customer.csv");
    Files.writeString(noCustomer, "order_id,client,product_id,ts,quantity,price\n1,7,A,2011-01-01T10:00:00,1,1\n");
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", noCustomer.toString(),
        "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl()));
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", dir.resolve("missing.csv").toString(),
        "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl()));
    assertEquals(RecommendationJob.EXIT_STORE_UNAVAILABLE, RecommendationJob.run("--input", slice.toString(),
        "--redis-url", "redis://127.0.0.1:1", "--database-url", stores.jdbcUrl()));
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", slice.toString(), "--limit", "0"));
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", slice.toString(),
        "--evaluate", "time-split", "--weeks", "0"));
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", slice.toString(),
        "--evaluate", "last-basket", "--weeks", "2"));
    Path noId = dir.resolve("customers-without-id.csv");
    Files.writeString(noId, "client,gender\n12347,F\n");
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", slice.toString(),
        "--customers", noId.toString(), "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl()));
    Path noAttribute = dir.resolve("customers-without-attributes.csv");
    Files.writeString(noAttribute, "customer_id,shoe_size\n12347,38\n");
    assertEquals(RecommendationJob.EXIT_BAD_INPUT, RecommendationJob.run("--input", slice.toString(),
        "--customers", noAttribute.toString(), "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl()));
    assertEquals(runs, count("SELECT count(*) FROM recommendation_job_log"), "no run was logged");
  }

  /**
   * A rolling time-split: two test weeks, each scored against models trained on the orders before it, pooled
   * into one report and one set of evaluation_results rows that count the customers of both weeks.
   */
  @Test
  @Order(6)
  void aTwoWeekTimeSplitPoolsBothWeeks() throws Exception {
    Path report = dir.resolve("two-weeks.json");
    assertEquals(0, job("--evaluate", "time-split", "--weeks", "2", "--split-date", "2011-12-03",
        "--report", report.toString(), "--set", "shoprec.job.evaluation.methods=[GP-TopFreq, popular-new]"));
    JsonNode r = new ObjectMapper().readTree(report.toFile());
    JsonNode splits = r.get("splits");
    assertEquals(2, splits.size());
    assertEquals("2011-11-26", splits.get(0).get("cutoff").asText());
    assertEquals("2011-12-03", splits.get(1).get("cutoff").asText());
    long first = splits.get(0).get("customers").asLong();
    long second = splits.get(1).get("customers").asLong();
    assertTrue(first > 0 && second > 0, "customers per week: " + first + ", " + second);
    assertEquals(first + second, r.get("customers").asLong());
    JsonNode recall = null;
    for (JsonNode m : r.get("results")) {
      if (m.get("method").asText().equals("GP-TopFreq") && m.get("segment").asText().equals("ALL")
          && m.get("items").asText().equals("all") && m.get("metric").asText().equals("recall")
          && m.get("k").asInt() == 25) {
        recall = m;
      }
    }
    assertEquals(first + second, recall.get("customers").asLong(), "every customer of both weeks has a test basket");
    assertEquals(first + second, count("SELECT customers FROM evaluation_results WHERE run_id = (SELECT max(run_id) "
        + "FROM evaluation_results WHERE protocol = 'time-split') AND method = 'GP-TopFreq' AND segment = 'ALL' "
        + "AND items = 'all' AND metric = 'recall' AND k = 25"));
  }
}

package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.PayloadWriter.Item;
import com.shoprec.common.RedisKeys.PopularScope;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Every endpoint of a running server against a real embedded Redis holding the {@link Fixture} run. */
class ServingIT {

  private static Fixture f;

  @BeforeAll
  static void start() {
    f = new Fixture(Map.of());
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static final String RUN = Fixture.RUN;

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Test
  void customerRecommendationsAreExactlyTheStoredBytes() throws Exception {
    byte[] stored = f.stored(f.keys.payload(PayloadKind.CUSTOMER_RECS, RUN, "12347"));
    for (String path : List.of("/customers/12347/recommendations", "/weekly-recommendations/12347")) {
      HttpResponse<byte[]> r = f.get(path);
      assertEquals(200, r.statusCode(), path);
      assertArrayEquals(stored, r.body(), path);
      assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(RUN, r.headers().firstValue("X-Run-Id").orElseThrow());
      assertTrue(r.headers().firstValue("ETag").orElseThrow().startsWith("\"" + RUN + "-"));
      assertEquals("max-age=60", r.headers().firstValue("Cache-Control").orElseThrow());
    }
  }

  @Test
  void aCustomersProfileIsItsStoredBytes() throws Exception {
    HttpResponse<byte[]> r = f.get("/customers/12347");
    assertEquals(200, r.statusCode());
    assertArrayEquals(f.stored(f.keys.payload(PayloadKind.CUSTOMER_PROFILE, RUN, "12347")), r.body());
    assertEquals("{\"customer_id\":\"12347\",\"week\":\"2011_W49\",\"segment\":\"LIGHT\",\"orders\":7,"
        + "\"distinct_products\":103,\"first_order_at\":\"2010-12-07T14:57:00Z\","
        + "\"last_order_at\":\"2011-12-07T15:52:00Z\",\"days_since_last_order\":2,\"average_basket_value\":615.71,"
        + "\"top_categories\":[{\"category\":\"Home & Garden\",\"products\":12,\"orders\":20,\"rank\":1}],"
        + "\"has_personal_list\":true,\"list_generated_at\":\"2011-12-10T06:00:00Z\","
        + "\"generated_at\":\"2011-12-10T06:00:00Z\"}", Fixture.text(r));
    assertEquals(RUN, r.headers().firstValue("X-Run-Id").orElseThrow());

    HttpResponse<byte[]> lapsed = f.get("/customers/lapsed");
    assertEquals(200, lapsed.statusCode());
    assertTrue(Fixture.text(lapsed).contains("\"average_basket_value\":null,\"top_categories\":[],"
        + "\"has_personal_list\":false,\"list_generated_at\":null"), Fixture.text(lapsed));

    HttpResponse<byte[]> unknown = f.get("/customers/nobody");
    assertEquals(404, unknown.statusCode());
    assertEquals("{\"error\":\"no profile for nobody\",\"status\":404}", Fixture.text(unknown));

    HttpResponse<byte[]> withParameter = f.get("/customers/12347?limit=1");
    assertEquals(400, withParameter.statusCode());
    assertTrue(Fixture.text(withParameter).contains("unknown parameter limit: this endpoint takes none"),
        Fixture.text(withParameter));
  }

  @Test
  void statsReportTheLiveRunAndTheServersCounters() throws Exception {
    f.get("/customers/12347/recommendations");
    f.get("/customers/12347/recommendations");
    HttpResponse<byte[]> r = f.get("/stats");
    assertEquals(200, r.statusCode(), Fixture.text(r));
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
    com.fasterxml.jackson.databind.JsonNode stats = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    com.fasterxml.jackson.databind.JsonNode run = stats.get("run");
    assertEquals(RUN, run.get("run_id").asText());
    assertEquals("2011-12-10T07:00:00Z", run.get("published_at").asText());
    assertEquals(2, run.get("customers_with_lists").asLong());
    assertEquals(1, run.get("lists_by_segment").get("LIGHT").asLong());
    assertEquals(2, run.get("items_by_source").get("discovery").asLong());
    com.fasterxml.jackson.databind.JsonNode server = stats.get("server");
    assertTrue(server.get("requests").asLong() >= 2, server.toString());
    assertTrue(server.get("requests_by_status").get("2xx").asLong() >= 2, server.toString());
    com.fasterxml.jackson.databind.JsonNode cache = server.get("cache");
    assertTrue(cache.get("hits").asLong() >= 1, "the second lookup of the same list is a hit: " + cache);
    double rate = cache.get("hit_rate").asDouble();
    assertEquals(rate, (double) cache.get("hits").asLong() / (cache.get("hits").asLong() + cache.get("misses").asLong()),
        0.0001);
    assertEquals(400, f.get("/stats?verbose=1").statusCode());
  }

  @Test
  void postRoutesOfTheOldServicesTakeTheirParametersInTheBody() throws Exception {
    String popular = Fixture.text(f.get("/popular?category=" + enc("Home & Garden") + "&page=1&page_size=1"));
    HttpResponse<String> posted = f.send("POST", "/popular",
        "{\"category\":\"Home & Garden\",\"page\":1,\"page_size\":1}".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, posted.statusCode(), posted.body());
    assertEquals(popular, posted.body());
    assertEquals(Fixture.text(f.get("/popular")), f.send("POST", "/popular", new byte[0]).body(), "no body: no filter");

    String list = Fixture.text(f.get("/customers/12347/recommendations?limit=2&exclude=P1"));
    HttpResponse<String> personalized = f.send("POST", "/personalized",
        "{\"user_id\":\"12347\",\"n\":2,\"exclude\":[\"P1\"]}".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, personalized.statusCode(), personalized.body());
    assertEquals(list, personalized.body());
    HttpResponse<String> unknown = f.send("POST", "/personalized", "{\"user_id\":\"nobody\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, unknown.statusCode());
    assertTrue(unknown.body().startsWith("{\"customer_id\":\"nobody\",\"fallback\":true"), unknown.body());

    Map<String, String> bad = Map.of(
        "{\"user_id\":\"12347\",\"price_to\":5}", "unknown field price_to in the body",
        "{\"page\":2}", "the body must name user_id",
        "{\"user_id\":{\"a\":1}}", "field user_id must be a string",
        "{\"user_id\":\"12347\",\"limit\":0}", "limit must be an integer from 1 to 100",
        "{\"user_id\":\"12347\",\"n\":2,\"limit\":2}", "give n or limit, not both",
        "[1]", "body must be a JSON object");
    for (Map.Entry<String, String> b : bad.entrySet()) {
      HttpResponse<String> r = f.send("POST", "/personalized", b.getKey().getBytes(StandardCharsets.UTF_8));
      assertEquals(400, r.statusCode(), b.getKey());
      assertTrue(r.body().contains(b.getValue()), b.getKey() + " -> " + r.body());
    }
    assertEquals(413, f.send("POST", "/personalized", new byte[com.shoprec.serving.http.Bodies.MAX_BODY_BYTES + 1])
        .statusCode(), "a body larger than any endpoint takes");
    HttpResponse<String> query = f.send("POST", "/popular?limit=1", "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(400, query.statusCode());
    assertTrue(query.body().contains("takes its parameters in a JSON body"), query.body());
  }

  @Test
  void unicodeIdsArePercentDecoded() throws Exception {
    HttpResponse<byte[]> r = f.get("/customers/" + enc("été ☕") + "/recommendations");
    assertEquals(200, r.statusCode());
    assertArrayEquals(f.stored(f.keys.payload(PayloadKind.CUSTOMER_RECS, RUN, "été ☕")), r.body());
  }

  @Test
  void unknownCustomerGetsTheFallbackWithItsId() throws Exception {
    HttpResponse<byte[]> r = f.get("/customers/nobody/recommendations");
    assertEquals(200, r.statusCode());
    assertArrayEquals(PayloadWriter.fallbackFor("nobody", f.stored(f.keys.fallback(RUN))), r.body());
    assertTrue(Fixture.text(r).startsWith("{\"customer_id\":\"nobody\",\"fallback\":true,\"week\":\"2011_W49\""));
    assertEquals("true", r.headers().firstValue("X-Fallback").orElseThrow());
    HttpResponse<byte[]> limited = f.get("/customers/nobody/recommendations?limit=1");
    assertEquals("{\"customer_id\":\"nobody\",\"fallback\":true,\"week\":\"2011_W49\",\"segment\":null,"
        + "\"recommendations\":[{\"product_id\":\"POP1\",\"score\":10.0,\"rank\":1,\"source\":\"popular\"}],"
        + "\"count\":1,\"total\":2,\"has_next\":true,\"has_previous\":false,\"discovery_count\":0,"
        + "\"generated_at\":\"2011-12-10T06:00:00Z\"}", Fixture.text(limited));
  }

  @Test
  void everyReadEndpointSendsItsStoredBytes() throws Exception {
    Map<String, String> pathToKey = Map.of(
        "/products/P1/similar", f.keys.payload(PayloadKind.SIMILAR_PRODUCTS, RUN, "P1"),
        "/products/P1/audience", f.keys.payload(PayloadKind.PRODUCT_AUDIENCE, RUN, "P1"),
        "/customers/12347/similar", f.keys.payload(PayloadKind.SIMILAR_CUSTOMERS, RUN, "12347"),
        "/popular", f.keys.popularAll(RUN),
        "/popular?category=" + enc("Home & Garden"),
        f.keys.payload(PayloadKind.POPULAR, RUN, PopularScope.category("Home & Garden")),
        "/popular?segment=LIGHT", f.keys.payload(PayloadKind.POPULAR, RUN, PopularScope.segment("LIGHT")));
    for (Map.Entry<String, String> e : pathToKey.entrySet()) {
      HttpResponse<byte[]> r = f.get(e.getKey());
      assertEquals(200, r.statusCode(), e.getKey());
      assertArrayEquals(f.stored(e.getValue()), r.body(), e.getKey());
    }
  }

  @Test
  void unknownSubjectsAre404WithJson() throws Exception {
    for (String path : List.of("/products/NOPE/similar", "/products/NOPE/audience", "/customers/NOPE/similar",
        "/popular?category=nope", "/popular?segment=nope")) {
      HttpResponse<byte[]> r = f.get(path);
      assertEquals(404, r.statusCode(), path);
      assertTrue(Fixture.text(r).matches("\\{\"error\":\"no .+\",\"status\":404}"), Fixture.text(r));
    }
  }

  @Test
  void limitAndExcludeCutTheListAndFixTheCounts() throws Exception {
    PayloadWriter w = new PayloadWriter();
    Item p1 = new Item("P1", 0.9, 1, "repurchase", "{\"times_bought\":12,\"last_bought\":\"2011-11-30\"}");
    Item p2 = new Item("P2", 0.8, 2, "discovery", "{\"neighbours\":3}");
    Item p3 = new Item("P3", 0.5, 3, "discovery", null);
    // A cut list is the stored list of its items, with the page fields of the cut.
    assertEquals(page(w.customerList("12347", Fixture.WEEK, "LIGHT", List.of(p1), Fixture.GENERATED), 3, true, false),
        Fixture.text(f.get("/customers/12347/recommendations?limit=1")));
    assertEquals(page(w.customerList("12347", Fixture.WEEK, "LIGHT", List.of(p2, p3), Fixture.GENERATED), 2, false,
        false), Fixture.text(f.get("/customers/12347/recommendations?exclude=P1")));
    assertEquals(page(w.customerList("12347", Fixture.WEEK, "LIGHT", List.of(p1, p3), Fixture.GENERATED), 2, false,
        false), Fixture.text(f.get("/customers/12347/recommendations?exclude=P2,NOT_THERE&limit=5")));
    assertEquals("{\"product_id\":\"P1\",\"week\":\"2011_W49\",\"similar\":[{\"product_id\":\"X\",\"score\":0.4,"
        + "\"rank\":2}],\"count\":1,\"total\":2,\"has_next\":true,\"has_previous\":false,"
        + "\"generated_at\":\"2011-12-10T06:00:00Z\"}",
        Fixture.text(f.get("/products/P1/similar?exclude=P2&limit=1")));
    // Pages: by offset and limit, or by page and page_size; the same page either way.
    String second = page(w.customerList("12347", Fixture.WEEK, "LIGHT", List.of(p2), Fixture.GENERATED), 3, true, true);
    assertEquals(second, Fixture.text(f.get("/customers/12347/recommendations?offset=1&limit=1")));
    assertEquals(second, Fixture.text(f.get("/customers/12347/recommendations?page=2&page_size=1")));
    assertEquals(page(w.customerList("12347", Fixture.WEEK, "LIGHT", List.of(p3), Fixture.GENERATED), 3, false, true),
        Fixture.text(f.get("/customers/12347/recommendations?offset=2")));
    assertEquals(page(w.customerList("12347", Fixture.WEEK, "LIGHT", List.of(), Fixture.GENERATED), 3, false, true),
        Fixture.text(f.get("/customers/12347/recommendations?page=3&page_size=2")));
    assertNotEquals(f.get("/customers/12347/recommendations?offset=1&limit=1").headers().firstValue("ETag"),
        f.get("/customers/12347/recommendations?limit=1").headers().firstValue("ETag"));
    for (String bad : List.of("0", "101", "-1", "abc", "1.5", "", "99999999999")) {
      HttpResponse<byte[]> r = f.get("/customers/12347/recommendations?limit=" + bad);
      assertEquals(400, r.statusCode(), bad);
      assertEquals("{\"error\":\"limit must be an integer from 1 to 100\",\"status\":400}", Fixture.text(r));
    }
    Map<String, String> badPages = Map.of(
        "offset=-1", "offset must be an integer from 0 to 10000",
        "offset=10001", "offset must be an integer from 0 to 10000",
        "page=0", "page must be an integer from 1 to 401",
        "page_size=101", "page_size must be an integer from 1 to 100",
        "page=2&limit=5", "give limit and offset, or page and page_size, not both",
        "page_size=5&offset=5", "give limit and offset, or page and page_size, not both");
    for (Map.Entry<String, String> e : badPages.entrySet()) {
      HttpResponse<byte[]> r = f.get("/customers/12347/recommendations?" + e.getKey());
      assertEquals(400, r.statusCode(), e.getKey());
      assertEquals("{\"error\":\"" + e.getValue() + "\",\"status\":400}", Fixture.text(r), e.getKey());
    }
  }

  @Test
  void anUnknownParameterIs400NamingIt() throws Exception {
    for (String path : List.of("/customers/12347/recommendations?n=5", "/products/P1/similar?limit=2&n=5",
        "/products/P1/audience?n=5", "/customers/12347/similar?n=5", "/popular?n=5", "/popular?category=x&n=5")) {
      HttpResponse<byte[]> r = f.get(path);
      assertEquals(400, r.statusCode(), path);
      assertTrue(Fixture.text(r).startsWith("{\"error\":\"unknown parameter n: this endpoint takes "), Fixture.text(r));
    }
    assertEquals("{\"error\":\"unknown parameter n: this endpoint takes age_band, category, exclude, gender, limit, "
        + "offset, page, page_size, region, segment\",\"status\":400}", Fixture.text(f.get("/popular?n=5")));
    HttpResponse<String> basket = f.send("POST", "/basket?n=5", Fixture.bytes("{\"items\":[\"P1\"]}"));
    assertEquals(400, basket.statusCode());
    assertTrue(basket.body().contains("unknown parameter n"), basket.body());
    HttpResponse<String> field = f.send("POST", "/basket", Fixture.bytes("{\"items\":[\"P1\"],\"n\":5}"));
    assertEquals(400, field.statusCode());
    assertEquals("{\"error\":\"unknown field n in the body: it takes items and limit\",\"status\":400}", field.body());
  }

  @Test
  void theOldServicesRoutesGiveOurAnswersUnderTheirNames() throws Exception {
    Map<String, String> oldToOurs = Map.of(
        "/recommendations/12347?n=1", "/customers/12347/recommendations?limit=1",
        "/recommendations/12347?limit=2&offset=1", "/customers/12347/recommendations?limit=2&offset=1",
        "/recommend/P1?n=1", "/products/P1/similar?limit=1",
        "/api/v1/popular-items?limit=1", "/popular?limit=1",
        "/api/v1/popular-items", "/popular",
        "/api/v1/similar-items/P1?page=1&page_size=1", "/products/P1/similar?page=1&page_size=1");
    for (Map.Entry<String, String> e : oldToOurs.entrySet()) {
      HttpResponse<byte[]> old = f.get(e.getKey());
      assertEquals(200, old.statusCode(), e.getKey());
      assertEquals(Fixture.text(f.get(e.getValue())), Fixture.text(old), e.getKey());
    }
    String basket = "{\"items\":[\"P1\",\"P2\"],\"limit\":5}";
    assertEquals(f.send("POST", "/basket", Fixture.bytes(basket)).body(),
        f.send("POST", "/api/v1/basket-recommendations", Fixture.bytes(basket)).body());
    HttpResponse<byte[]> both = f.get("/recommend/P1?n=1&limit=2");
    assertEquals(400, both.statusCode());
    assertEquals("{\"error\":\"give n or limit, not both\",\"status\":400}", Fixture.text(both));
    assertEquals(400, f.get("/products/P1/similar?n=1").statusCode(), "n is a name of the old routes only");
  }

  /** {@code stored} with the page fields set as the server sets them for a cut. */
  private static String page(byte[] stored, int total, boolean hasNext, boolean hasPrevious) {
    return new String(stored, java.nio.charset.StandardCharsets.UTF_8).replaceFirst(
        "\"total\":\\d+,\"has_next\":false,\"has_previous\":false",
        "\"total\":" + total + ",\"has_next\":" + hasNext + ",\"has_previous\":" + hasPrevious);
  }

  @Test
  void etagAnswers304WithoutABody() throws Exception {
    HttpResponse<byte[]> first = f.get("/products/P1/similar");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<byte[]> again = f.get("/products/P1/similar", "If-None-Match", etag);
    assertEquals(304, again.statusCode());
    assertEquals(0, again.body().length);
    assertEquals(etag, again.headers().firstValue("ETag").orElseThrow());
    assertEquals(200, f.get("/products/P1/similar", "If-None-Match", "\"other\"").statusCode());
    String limitedTag = f.get("/products/P1/similar?limit=1").headers().firstValue("ETag").orElseThrow();
    assertNotEquals(etag, limitedTag);
    assertEquals(200, f.get("/products/P1/similar?limit=1", "If-None-Match", etag).statusCode());
  }

  @Test
  void basketMergesBoughtTogetherListsWithoutItsOwnProducts() throws Exception {
    HttpResponse<String> r = f.send("POST", "/basket", Fixture.bytes("{\"items\":[\"P1\",\"P2\",\"UNKNOWN\"],\"limit\":5}"));
    assertEquals(200, r.statusCode(), r.body());
    // X: 0.4 (with P1) + 0.3 (with P2); Z 0.2; Y 0.1. P1 and P2 are in the basket.
    assertEquals("{\"items\":[\"P1\",\"P2\",\"UNKNOWN\"],\"recommendations\":["
        + "{\"product_id\":\"X\",\"score\":0.7,\"rank\":1,\"reason\":{\"bought_with\":[\"P1\",\"P2\"]}},"
        + "{\"product_id\":\"Z\",\"score\":0.2,\"rank\":2,\"reason\":{\"bought_with\":[\"P2\"]}},"
        + "{\"product_id\":\"Y\",\"score\":0.1,\"rank\":3,\"reason\":{\"bought_with\":[\"P1\"]}}],"
        + "\"count\":3,\"run_id\":\"" + RUN + "\"}", r.body());
    assertEquals("{\"items\":[\"P1\"],\"recommendations\":[{\"product_id\":\"P2\",\"score\":0.5,\"rank\":1,"
        + "\"reason\":{\"bought_with\":[\"P1\"]}}],\"count\":1,\"run_id\":\"" + RUN + "\"}",
        f.send("POST", "/basket", Fixture.bytes("{\"items\":[\"P1\"],\"limit\":1}")).body());
  }

  @Test
  void badBasketsAre400Or413() throws Exception {
    for (String body : List.of("", "nope", "[]", "{}", "{\"items\":[]}", "{\"items\":\"P1\"}", "{\"items\":[1]}",
        "{\"items\":[\"P1\"],\"limit\":0}", "{\"items\":[\"P1\"],\"limit\":\"5\"}", "{\"items\":[\" P1\"]}",
        "{\"items\":[\"P1\"]", "{\"items\":[" + "\"P\",".repeat(60) + "\"P\"]}")) {
      HttpResponse<String> r = f.send("POST", "/basket", Fixture.bytes(body));
      assertEquals(400, r.statusCode(), body);
      assertTrue(r.body().startsWith("{\"error\":") && r.body().endsWith(",\"status\":400}"), r.body());
    }
    HttpResponse<String> big = f.send("POST", "/basket", new byte[Basket.MAX_BODY_BYTES + 1]);
    assertEquals(413, big.statusCode());
    assertTrue(big.body().endsWith(",\"status\":413}"), big.body());
  }

  @Test
  void badIdsUnknownRoutesAndWrongMethodsAreJsonErrors() throws Exception {
    HttpResponse<byte[]> longId = f.get("/customers/" + "x".repeat(129) + "/recommendations");
    assertEquals(400, longId.statusCode());
    assertTrue(Fixture.text(longId).startsWith("{\"error\":\"invalid id"));
    assertEquals(400, f.get("/customers/%20x/recommendations").statusCode());
    assertEquals(400, f.get("/customers/x%01/recommendations").statusCode());
    assertEquals(400, f.get("/popular?category=a&segment=b").statusCode());
    assertArrayEquals(f.stored(f.keys.payload(PayloadKind.POPULAR, RUN, PopularScope.attribute("gender", "F"))),
        f.get("/popular?gender=F").body());
    assertEquals(404, f.get("/popular?region=Nowhere").statusCode());
    HttpResponse<byte[]> two = f.get("/popular?gender=F&age_band=25-34");
    assertEquals(400, two.statusCode());
    assertTrue(Fixture.text(two).contains("give one of category, segment, gender, age_band, region, not gender and "
        + "age_band"), Fixture.text(two));
    assertEquals(400, f.get("/customers/12347/recommendations?exclude=%09").statusCode());
    HttpResponse<byte[]> unknown = f.get("/nothing/here");
    assertEquals(404, unknown.statusCode());
    assertEquals("{\"error\":\"no such endpoint\",\"status\":404}", Fixture.text(unknown));
    HttpResponse<String> wrong = f.send("DELETE", "/customers/12347/recommendations", null);
    assertEquals(405, wrong.statusCode());
    assertEquals("{\"error\":\"method DELETE not allowed here\",\"status\":405}", wrong.body());
    assertEquals(405, f.send("GET", "/basket", null).statusCode());
  }

  @Test
  void healthNamesTheLiveRunAndItsAge() throws Exception {
    HttpResponse<byte[]> r = f.get("/health");
    assertEquals(200, r.statusCode());
    String body = Fixture.text(r);
    assertTrue(body.startsWith("{\"status\":\"ok\",\"run_id\":\"" + RUN + "\",\"week\":\"2011_W49\","
        + "\"generated_at\":\"2011-12-10T06:00:00Z\",\"published_at\":\"2011-12-10T07:00:00Z\",\"age_seconds\":"), body);
  }

  @Test
  void hotPayloadsComeFromTheCacheWithoutRedis() throws Exception {
    String key = f.keys.payload(PayloadKind.SIMILAR_CUSTOMERS, RUN, "12347");
    byte[] stored = f.stored(key);
    assertArrayEquals(stored, f.get("/customers/12347/similar").body());
    try (Jedis j = f.jedis()) {
      j.del(key);
      // Gone from Redis, still served: the second answer did not touch Redis.
      assertArrayEquals(stored, f.get("/customers/12347/similar").body());
      j.set(Fixture.bytes(key), stored);
    }
  }

  @Test
  void metricsCountRequestsHitsAndFallbacks() throws Exception {
    f.get("/products/P2/similar");
    f.get("/products/P2/similar");
    f.get("/customers/metrics-nobody/recommendations");
    String text = Fixture.text(f.get("/metrics"));
    assertTrue(text.contains("shoprec_http_requests_total{route=\"/products/{id}/similar\",status=\"200\"}"), text);
    assertTrue(text.contains("shoprec_http_request_duration_seconds_bucket{route=\"/products/{id}/similar\""), text);
    assertTrue(text.contains("shoprec_cache_hits_total "), text);
    assertTrue(text.contains("shoprec_cache_misses_total "), text);
    assertTrue(text.contains("shoprec_fallbacks_total "), text);
    assertTrue(text.contains("shoprec_redis_errors_total "), text);
  }

  @Test
  void aNewRunIsServedAfterThePointerSwitchWithoutRestart() throws Exception {
    String run2 = "2011_W50_1";
    PayloadWriter w = new PayloadWriter();
    byte[] list2 = w.customerList("12347", "2011_W50", "HEAVY",
        List.of(new Item("NEW", 1.0, 1, "repurchase", null)), Fixture.GENERATED);
    try (Jedis j = f.jedis()) {
      j.set(Fixture.bytes(f.keys.payload(PayloadKind.CUSTOMER_RECS, run2, "12347")), list2);
      j.set(f.keys.liveRunPointer(), run2);
    }
    try {
      HttpResponse<byte[]> r = awaitRun(run2, "/customers/12347/recommendations");
      assertArrayEquals(list2, r.body());
      // This run was published without a fallback list: an unknown customer is a 404.
      HttpResponse<byte[]> unknown = f.get("/customers/nobody-in-w50/recommendations");
      assertEquals(404, unknown.statusCode());
      assertTrue(Fixture.text(unknown).contains("no fallback"), Fixture.text(unknown));
    } finally {
      try (Jedis j = f.jedis()) {
        j.set(f.keys.liveRunPointer(), RUN);
      }
      awaitRun(RUN, "/customers/12347/recommendations");
    }
  }

  private static HttpResponse<byte[]> awaitRun(String run, String path) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      HttpResponse<byte[]> r = f.get(path);
      if (run.equals(r.headers().firstValue("X-Run-Id").orElse(null)) || System.nanoTime() > deadline) {
        assertEquals(run, r.headers().firstValue("X-Run-Id").orElse(null));
        return r;
      }
      Thread.sleep(50);
    }
  }
}

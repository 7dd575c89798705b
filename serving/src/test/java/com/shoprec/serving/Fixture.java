package com.shoprec.serving;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.PayloadWriter.Item;
import com.shoprec.common.RedisKeys;
import com.shoprec.common.RedisKeys.PopularScope;
import com.shoprec.common.RunInfo;
import com.shoprec.testkit.EmbeddedStores;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;

/**
 * A real embedded Redis holding a tiny published run, written with the batch's own {@link PayloadWriter},
 * and a server on a free port answering from it. Run {@value #RUN}:
 * <ul>
 *   <li>customer {@code 12347}: P1 (repurchase 0.9), P2 (discovery 0.8), P3 (discovery 0.5);
 *       customer {@code été ☕} (unicode): P9 only; anyone else gets the fallback POP1, POP2;
 *   <li>similar products: P1 → P2 0.5, X 0.4, Y 0.1; P2 → P1 0.6, X 0.3, Z 0.2;
 *   <li>audience of P1: 12347, 999; neighbours of 12347: 555;
 *   <li>popular: all POP1, POP2; category {@code Home & Garden}: K1; segment LIGHT: L1; gender F: F1, F2;
 *   <li>profiles: {@code 12347} (with a list), {@code lapsed} (without).
 * </ul>
 */
final class Fixture implements AutoCloseable {

  static final String RUN = "2011_W49_1";
  static final String WEEK = "2011_W49";
  static final Instant GENERATED = Instant.parse("2011-12-10T06:00:00Z");

  final EmbeddedStores stores;
  final RedisKeys keys = RedisKeys.withoutNamespace();
  final ShoprecServer server;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String base;

  Fixture(Map<String, Object> overrides) {
    stores = EmbeddedStores.start();
    publish(RUN);
    Map<String, Object> conf = new HashMap<>();
    conf.put("shoprec.serving.port", 0);
    conf.put("shoprec.serving.live-run-cache-millis", 200);
    conf.put("shoprec.serving.redis-reconnect-millis", 100);
    conf.put("shoprec.redis.url", stores.redisUrl());
    conf.putAll(overrides);
    ServingSettings settings = ServingSettings.from(ConfigFactory.parseMap(conf)
        .withFallback(ConfigFactory.defaultReference()));
    server = ShoprecServer.start(settings);
    base = "http://127.0.0.1:" + server.port();
  }

  Jedis jedis() {
    return new Jedis("127.0.0.1", stores.redisPort());
  }

  /** Writes every key of {@code run}, then switches the pointer to it, as the batch does. */
  void publish(String run) {
    try (Jedis j = jedis()) {
      publish(j, keys, run);
    }
  }

  /** Writes every key of {@code run} through {@code j}, then switches the pointer to it. */
  static void publish(Jedis j, RedisKeys keys, String run) {
    PayloadWriter w = new PayloadWriter();
    {
      j.set(bytes(keys.payload(PayloadKind.CUSTOMER_RECS, run, "12347")), w.customerList("12347", WEEK, "LIGHT",
          List.of(new Item("P1", 0.9, 1, "repurchase", "{\"times_bought\":12,\"last_bought\":\"2011-11-30\"}"),
              new Item("P2", 0.8, 2, "discovery", "{\"neighbours\":3}"),
              new Item("P3", 0.5, 3, "discovery", null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.CUSTOMER_RECS, run, "été ☕")), w.customerList("été ☕", WEEK, "HEAVY",
          List.of(new Item("P9", 1.0, 1, "repurchase", null)), GENERATED));
      j.set(bytes(keys.fallback(run)), w.fallbackBody(WEEK,
          List.of(new Item("POP1", 10.0, 1, "popular", null), new Item("POP2", 7.5, 2, "popular", null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.SIMILAR_PRODUCTS, run, "P1")), w.list(PayloadKind.SIMILAR_PRODUCTS, "P1", WEEK,
          List.of(new Item("P2", 0.5, 1, null, null), new Item("X", 0.4, 2, null, null),
              new Item("Y", 0.1, 3, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.SIMILAR_PRODUCTS, run, "P2")), w.list(PayloadKind.SIMILAR_PRODUCTS, "P2", WEEK,
          List.of(new Item("P1", 0.6, 1, null, null), new Item("X", 0.3, 2, null, null),
              new Item("Z", 0.2, 3, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.PRODUCT_AUDIENCE, run, "P1")), w.list(PayloadKind.PRODUCT_AUDIENCE, "P1", WEEK,
          List.of(new Item("12347", 0.7, 1, null, null), new Item("999", 0.2, 2, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.SIMILAR_CUSTOMERS, run, "12347")), w.list(PayloadKind.SIMILAR_CUSTOMERS, "12347",
          WEEK, List.of(new Item("555", 0.3, 1, null, null)), GENERATED));
      j.set(bytes(keys.popularAll(run)), w.list(PayloadKind.POPULAR, "all", WEEK,
          List.of(new Item("POP1", 10.0, 1, null, null), new Item("POP2", 7.5, 2, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.POPULAR, run, PopularScope.category("Home & Garden"))),
          w.list(PayloadKind.POPULAR, "category:Home & Garden", WEEK, List.of(new Item("K1", 3.0, 1, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.POPULAR, run, PopularScope.segment("LIGHT"))),
          w.list(PayloadKind.POPULAR, "segment:LIGHT", WEEK, List.of(new Item("L1", 2.0, 1, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.POPULAR, run, PopularScope.attribute("gender", "F"))),
          w.list(PayloadKind.POPULAR, "gender:F", WEEK, List.of(new Item("F1", 1.0, 1, null, null),
              new Item("F2", 0.5, 2, null, null)), GENERATED));
      j.set(bytes(keys.payload(PayloadKind.CUSTOMER_PROFILE, run, "12347")), w.customerProfile(
          new PayloadWriter.Profile("12347", "LIGHT", 7, 103, Instant.parse("2010-12-07T14:57:00Z"),
              Instant.parse("2011-12-07T15:52:00Z"), 2, 615.71,
              List.of(new PayloadWriter.CategoryShare("Home & Garden", 12, 20)), true), WEEK, GENERATED));
      j.set(bytes(keys.payload(PayloadKind.CUSTOMER_PROFILE, run, "lapsed")), w.customerProfile(
          new PayloadWriter.Profile("lapsed", "LAPSED", 1, 2, Instant.parse("2010-12-01T09:00:00Z"),
              Instant.parse("2010-12-01T09:00:00Z"), 373, null, List.of(), false), WEEK, GENERATED));
      j.set(keys.runInfo(run), new RunInfo(run, WEEK, GENERATED, Instant.parse("2011-12-10T07:00:00Z"),
          Map.of("weekly_recs", 2L), new RunInfo.Summary(3, Map.of("LIGHT", 1L, "HEAVY", 1L), 12, 4,
              Map.of("repurchase", 2L, "discovery", 2L))).json());
      j.set(keys.liveRunPointer(), run);
    }
  }

  byte[] stored(String key) {
    try (Jedis j = jedis()) {
      return j.get(bytes(key));
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  HttpResponse<byte[]> get(String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> send(String method, String pathAndQuery, byte[] body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json")
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      stores.close();
    }
  }
}

package com.shoprec.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.shoprec.serving.http.ApiException;
import com.shoprec.serving.http.Flow;
import com.shoprec.serving.http.Responses;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * {@code GET /stats}: the live run as the batch described it (run id, week, when it was generated and published,
 * keys per kind, customers, customers with a list per segment, products, list items per source) and this
 * server's counters since it started (requests by status class, payload cache hits, misses and hit rate,
 * fallbacks, Redis errors).
 *
 * <p>Parameters: none. Answers: 200 ({@code "run":null} when no run is live); 400 for any parameter; 503 when
 * Redis is unreachable. Never cached. Not a hot path: the run's document is read from Redis on every call.
 */
final class Stats implements HttpHandler {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String[] STATUS_CLASSES = {null, "1xx", "2xx", "3xx", "4xx", "5xx"};

  private final Serving serving;

  Stats(Serving serving) {
    this.serving = serving;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    new Flow(exchange).start(flow -> {
      PayloadEndpoint.knownParameters(exchange, Set.of());
      exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
      flow.await(serving.liveRun.current(), run -> {
        if (run == null) {
          Responses.json(exchange, 200, body(null, null));
          return;
        }
        flow.await(serving.redis.get(serving.keys.runInfo(run)), info -> {
          exchange.getResponseHeaders().put(Responses.RUN_ID, run);
          Responses.json(exchange, 200, body(run, info));
        });
      });
    });
  }

  /** The answer: {@code run} the live run's id (null: none), {@code info} its stored document (null: gone). */
  private byte[] body(String run, byte[] info) throws IOException {
    ObjectNode out = MAPPER.createObjectNode();
    if (run == null) {
      out.putNull("run");
    } else {
      JsonNode stored = info == null ? null : MAPPER.readTree(info);
      if (stored == null || !stored.isObject()) {
        throw new ApiException(503, "the live run " + run + " has no readable run info in Redis");
      }
      out.set("run", stored);
    }
    Metrics.Totals t = serving.metrics.totals();
    ObjectNode server = out.putObject("server");
    server.put("started_at", t.started().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    server.put("uptime_seconds", Duration.between(t.started(), Instant.now()).getSeconds());
    server.put("requests", t.requests());
    ObjectNode byStatus = server.putObject("requests_by_status");
    for (int c = 1; c < STATUS_CLASSES.length; c++) {
      byStatus.put(STATUS_CLASSES[c], t.byStatusClass()[c]);
    }
    ObjectNode cache = server.putObject("cache");
    cache.put("enabled", serving.cache.enabled());
    cache.put("entries", serving.cache.entries());
    cache.put("hits", t.cacheHits());
    cache.put("misses", t.cacheMisses());
    long lookups = t.cacheHits() + t.cacheMisses();
    if (lookups == 0) {
      cache.putNull("hit_rate");
    } else {
      cache.put("hit_rate", Math.round(10_000.0 * t.cacheHits() / lookups) / 10_000.0);
    }
    server.put("fallbacks", t.fallbacks());
    server.put("redis_errors", t.redisErrors());
    return MAPPER.writeValueAsBytes(out);
  }
}

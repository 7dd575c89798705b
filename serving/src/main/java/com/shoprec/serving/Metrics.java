package com.shoprec.serving;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * The server's Prometheus metrics, in a registry of its own (so tests can run several servers): requests
 * by route and status, latency by route, payload cache hits and misses, fallbacks served, Redis errors.
 */
final class Metrics {

  /** Latency buckets in seconds: the interesting range is 0.1 to 10 ms. */
  private static final double[] LATENCY_BUCKETS = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests;
  private final Histogram latency;
  private final CounterDataPoint cacheHits;
  private final CounterDataPoint cacheMisses;
  private final CounterDataPoint fallbacks;
  private final CounterDataPoint redisErrors;
  /** Since when the counters count, and their totals (what {@code /stats} reports; Prometheus keeps its own). */
  private final Instant started = Instant.now();
  private final LongAdder requestsTotal = new LongAdder();
  /** Answers by status class: index 1 for 1xx to 5 for 5xx. */
  private final LongAdder[] byStatusClass = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(),
      new LongAdder(), new LongAdder()};
  private final LongAdder hitsTotal = new LongAdder();
  private final LongAdder missesTotal = new LongAdder();
  private final LongAdder fallbacksTotal = new LongAdder();
  private final LongAdder redisErrorsTotal = new LongAdder();
  /** Label lookups cost a map probe and arrays; keep the data points per route, and per status in it. */
  private final ConcurrentHashMap<String, RoutePoints> routePoints = new ConcurrentHashMap<>();

  /** One route's latency data point and its request counters by status (100 to 599), made on first use. */
  private final class RoutePoints {
    final String route;
    final DistributionDataPoint latency;
    final AtomicReferenceArray<CounterDataPoint> byStatus = new AtomicReferenceArray<>(600);

    RoutePoints(String route) {
      this.route = route;
      this.latency = Metrics.this.latency.labelValues(route);
    }

    CounterDataPoint status(int status) {
      if (status < 0 || status >= 600) {
        return requests.labelValues(route, Integer.toString(status));
      }
      CounterDataPoint p = byStatus.get(status);
      if (p == null) {
        p = requests.labelValues(route, Integer.toString(status));
        byStatus.compareAndSet(status, null, p);
      }
      return p;
    }
  }

  Metrics() {
    requests = Counter.builder().name("shoprec_http_requests")
        .help("HTTP requests answered, by route template and status code")
        .labelNames("route", "status").register(registry);
    latency = Histogram.builder().name("shoprec_http_request_duration_seconds")
        .help("Time from request parsed to response sent, by route template")
        .labelNames("route").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    cacheHits = Counter.builder().name("shoprec_cache_hits")
        .help("Payload lookups answered from the in-process cache").register(registry).labelValues();
    cacheMisses = Counter.builder().name("shoprec_cache_misses")
        .help("Payload lookups that went to Redis").register(registry).labelValues();
    fallbacks = Counter.builder().name("shoprec_fallbacks")
        .help("Unknown customers answered with the popular fallback list").register(registry).labelValues();
    redisErrors = Counter.builder().name("shoprec_redis_errors")
        .help("Redis commands that failed (unreachable, timed out or error reply)").register(registry)
        .labelValues();
  }

  /** Exposes a value read at scrape time, e.g. the cache's entry count. */
  void gauge(String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder().name(name).help(help)
        .callback(cb -> cb.call(value.getAsDouble())).register(registry);
  }

  void request(String route, int status, long startNanos) {
    RoutePoints points = routePoints.get(route);
    if (points == null) {
      points = routePoints.computeIfAbsent(route, RoutePoints::new);
    }
    points.status(status).inc();
    points.latency.observe((System.nanoTime() - startNanos) * 1e-9);
    requestsTotal.increment();
    if (status >= 100 && status < 600) {
      byStatusClass[status / 100].increment();
    }
  }

  void cacheHit() {
    cacheHits.inc();
    hitsTotal.increment();
  }

  void cacheMiss() {
    cacheMisses.inc();
    missesTotal.increment();
  }

  void fallback() {
    fallbacks.inc();
    fallbacksTotal.increment();
  }

  void redisError() {
    redisErrors.inc();
    redisErrorsTotal.increment();
  }

  /** The counters' totals since the server started, read now (each exact; together not one snapshot). */
  record Totals(Instant started, long requests, long[] byStatusClass, long cacheHits, long cacheMisses,
      long fallbacks, long redisErrors) {}

  Totals totals() {
    long[] classes = new long[byStatusClass.length];
    for (int i = 0; i < classes.length; i++) {
      classes[i] = byStatusClass[i].sum();
    }
    return new Totals(started, requestsTotal.sum(), classes, hitsTotal.sum(), missesTotal.sum(),
        fallbacksTotal.sum(), redisErrorsTotal.sum());
  }

  String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}

package com.shoprec.serving;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;

/**
 * {@code GET /metrics}: Prometheus text format ({@code shoprec_http_requests_total} by route and status,
 * {@code shoprec_http_request_duration_seconds} histogram by route, {@code shoprec_cache_hits_total},
 * {@code shoprec_cache_misses_total}, {@code shoprec_fallbacks_total}, {@code shoprec_redis_errors_total},
 * cache entries). Answers: 200. Formatted on a worker thread, never on an IO thread.
 */
final class MetricsEndpoint implements HttpHandler {

  private final Metrics metrics;

  MetricsEndpoint(Metrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      exchange.dispatch(this);
      return;
    }
    byte[] body = metrics.scrape();
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, metrics.contentType());
    exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
    exchange.setResponseContentLength(body.length);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }
}

package com.shoprec.serving;

import com.shoprec.common.RedisKeys;
import com.shoprec.serving.http.Responses;
import com.shoprec.serving.redis.PipelinedRedis;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.util.PathTemplateMatch;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: wiring of the Redis client, cache, live run and endpoints, and the one route table.
 *
 * <p>Request path: an Undertow IO thread routes and checks the request; a cached live run and a cached
 * payload are answered right there. Otherwise the IO thread enqueues a command on {@link PipelinedRedis}
 * and returns; the Redis reader thread completes the command's future and hands the answer back to the
 * exchange's IO thread, which sends it. No thread ever blocks on Redis for a request.
 */
public final class ShoprecServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ShoprecServer.class);

  /** Longest request line plus headers accepted, in bytes (ids are at most 128 characters). */
  static final int MAX_HEADER_BYTES = 16 * 1024;
  /** Most query parameters parsed per request. */
  static final int MAX_QUERY_PARAMETERS = 32;

  private final ServingSettings settings;
  private final PipelinedRedis redis;
  private final Undertow undertow;
  private final GracefulShutdownHandler shutdown;
  private final int port;

  private ShoprecServer(ServingSettings settings, PipelinedRedis redis, Undertow undertow,
      GracefulShutdownHandler shutdown) {
    this.settings = settings;
    this.redis = redis;
    this.undertow = undertow;
    this.shutdown = shutdown;
    this.port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
  }

  /** Starts a server; with {@code fail-fast}, throws when Redis cannot be reached. */
  public static ShoprecServer start(ServingSettings s) {
    PipelinedRedis redis = new PipelinedRedis(s.redis, s.redisConnections, s.redisTimeoutMillis,
        s.redisConnectTimeoutMillis, s.redisReconnectMillis, s.redisMaxPending);
    try {
      RedisKeys keys = new RedisKeys(s.namespace);
      Metrics metrics = new Metrics();
      PayloadCache cache = new PayloadCache(s.cacheBytes);
      metrics.gauge("shoprec_cache_entries", "Entries in the in-process payload cache", cache::entries);
      LiveRun liveRun = new LiveRun(redis, keys, s.liveRunCacheMillis, run -> cache.newRun());
      checkRedis(s, liveRun);
      Serving serving = new Serving(keys, redis, liveRun, cache, metrics, s.maxAgeSeconds);

      GracefulShutdownHandler shutdown = new GracefulShutdownHandler(observed(metrics, guarded(routes(serving))));
      Undertow undertow = Undertow.builder()
          .addHttpListener(s.port, s.host)
          .setIoThreads(s.effectiveIoThreads())
          .setWorkerThreads(s.workerThreads)
          .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, (long) Responses.MAX_DRAINED_BODY_BYTES)
          .setServerOption(UndertowOptions.MAX_HEADER_SIZE, MAX_HEADER_BYTES)
          .setServerOption(UndertowOptions.MAX_PARAMETERS, MAX_QUERY_PARAMETERS)
          .setHandler(shutdown)
          .build();
      undertow.start();
      ShoprecServer server = new ShoprecServer(s, redis, undertow, shutdown);
      log.info("serving on http://{}:{}/ from Redis {}", s.host, server.port, s.redis);
      return server;
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /** One route: method, path template, and the handler that answers it. */
  record Endpoint(String method, String path, Function<Serving, HttpHandler> handler) {}

  /**
   * The route table: every endpoint, in one place (and the old services' routes to them: {@link Compatibility}).
   * {@code openapi.json} describes each of them.
   */
  static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("GET", "/customers/{id}", CustomerProfile::new),
      new Endpoint("GET", "/customers/{id}/recommendations", CustomerRecommendations::new),
      new Endpoint("GET", "/weekly-recommendations/{id}", CustomerRecommendations::new),
      new Endpoint("GET", "/customers/{id}/similar", SimilarCustomers::new),
      new Endpoint("GET", "/products/{id}/similar", SimilarProducts::new),
      new Endpoint("GET", "/products/{id}/audience", ProductAudience::new),
      new Endpoint("GET", "/popular", Popular::new),
      new Endpoint("POST", "/basket", Basket::new),
      new Endpoint("GET", "/stats", Stats::new),
      new Endpoint("GET", "/health", Health::new),
      new Endpoint("GET", "/metrics", serving -> new MetricsEndpoint(serving.metrics)),
      new Endpoint("GET", "/openapi.json", serving -> new OpenApiEndpoint()));

  static RoutingHandler routes(Serving serving) {
    RoutingHandler routes = new RoutingHandler(false);
    Map<String, HttpHandler> ours = new LinkedHashMap<>();
    for (Endpoint e : ENDPOINTS) {
      HttpHandler handler = e.handler().apply(serving);
      routes.add(e.method(), e.path(), handler);
      ours.put(e.path(), handler);
    }
    return Compatibility.register(routes, ours)
        .setFallbackHandler(ex -> Responses.json(ex, 404, Responses.errorBody(404, "no such endpoint")))
        .setInvalidMethodHandler(ex -> Responses.json(ex, 405,
            Responses.errorBody(405, "method " + ex.getRequestMethod() + " not allowed here")));
  }

  /** Whatever a handler throws becomes a JSON error, never a stack trace. */
  private static HttpHandler guarded(HttpHandler next) {
    return exchange -> {
      try {
        next.handleRequest(exchange);
      } catch (Throwable t) {
        Responses.error(exchange, t);
      }
    };
  }

  /** Counts every answer by route template and status, and times it. */
  private static HttpHandler observed(Metrics metrics, HttpHandler next) {
    return exchange -> {
      long start = System.nanoTime();
      exchange.addExchangeCompleteListener((ex, nextListener) -> {
        try {
          metrics.request(route(ex), ex.getStatusCode(), start);
        } finally {
          nextListener.proceed();
        }
      });
      next.handleRequest(exchange);
    };
  }

  private static String route(HttpServerExchange exchange) {
    PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
    return match == null ? "unmatched" : match.getMatchedTemplate();
  }

  private static void checkRedis(ServingSettings s, LiveRun liveRun) {
    try {
      String run = liveRun.refresh().get(s.redisConnectTimeoutMillis + s.redisTimeoutMillis, TimeUnit.MILLISECONDS);
      if (run == null) {
        log.warn("Redis {} answers but no run is live yet: /health says 503 until the batch publishes one", s.redis);
      }
    } catch (ExecutionException | TimeoutException e) {
      String why = e instanceof TimeoutException ? "no answer" : String.valueOf(e.getCause().getMessage());
      if (s.failFast) {
        throw new IllegalStateException("cannot reach Redis " + s.redis + " (shoprec.serving.fail-fast = true): " + why);
      }
      log.warn("cannot reach Redis {} ({}); starting anyway, answering 503 until it is back", s.redis, why);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking Redis");
    }
  }

  /** The port actually listened on (useful with port 0). */
  public int port() {
    return port;
  }

  /** Stops accepting requests, lets those in progress finish (up to the grace period), then stops. */
  @Override
  public void close() {
    shutdown.shutdown();
    try {
      if (!shutdown.awaitShutdown(settings.shutdownGraceMillis)) {
        log.warn("requests still running after {} ms; stopping anyway", settings.shutdownGraceMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    undertow.stop();
    redis.close();
  }
}

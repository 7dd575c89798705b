package com.shoprec.serving;

import static com.shoprec.serving.http.ApiException.checkArgument;

import io.undertow.server.HttpHandler;
import io.undertow.server.RoutingHandler;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The routes of the services this server replaces, so that their clients switch by changing the base URL. Each is
 * one of our endpoints under the old path, taking the old parameter names beside ours, and answering as ours does.
 * This table is the only place that knows them: the endpoints do not.
 */
final class Compatibility {

  /**
   * One old route.
   *
   * @param method {@code GET} or {@code POST}
   * @param path the old path template; a path parameter is named {@code id}, as in ours
   * @param ours the template of our route that answers it
   * @param renames old query parameter name to ours
   */
  record Route(String method, String path, String ours, Map<String, String> renames) {}

  static final List<Route> ROUTES = List.of(
      new Route("GET", "/recommendations/{id}", "/customers/{id}/recommendations", Map.of("n", "limit")),
      new Route("GET", "/recommend/{id}", "/products/{id}/similar", Map.of("n", "limit")),
      new Route("GET", "/api/v1/popular-items", "/popular", Map.of("n", "limit")),
      new Route("GET", "/api/v1/similar-items/{id}", "/products/{id}/similar", Map.of("n", "limit")),
      new Route("POST", "/api/v1/basket-recommendations", "/basket", Map.of()));

  private Compatibility() {}

  /** Adds every old route to {@code routes}, answered by {@code ours.get(route.ours())}. */
  static RoutingHandler register(RoutingHandler routes, Map<String, HttpHandler> ours) {
    for (Route r : ROUTES) {
      HttpHandler target = ours.get(r.ours());
      if (target == null) {
        throw new IllegalStateException("compatibility route " + r.path() + " names no route of ours: " + r.ours());
      }
      routes.add(r.method(), r.path(), r.renames().isEmpty() ? target : renaming(r.renames(), target));
    }
    return routes;
  }

  /** Renames the old query parameters to ours, then hands the request on; both names at once are a 400. */
  private static HttpHandler renaming(Map<String, String> renames, HttpHandler next) {
    return exchange -> {
      Map<String, Deque<String>> query = exchange.getQueryParameters();
      for (Map.Entry<String, String> e : renames.entrySet()) {
        Deque<String> values = query.remove(e.getKey());
        if (values != null) {
          checkArgument(!query.containsKey(e.getValue()), "give " + e.getKey() + " or " + e.getValue() + ", not both");
          query.put(e.getValue(), values);
        }
      }
      next.handleRequest(exchange);
    };
  }
}

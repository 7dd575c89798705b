package com.shoprec.serving;

import static com.shoprec.serving.http.ApiException.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shoprec.common.Ids;
import com.shoprec.serving.http.ApiException;
import com.shoprec.serving.http.Bodies;
import com.shoprec.serving.http.Flow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.PathTemplateMatch;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The routes of the services this server replaces, so that their clients switch by changing the base URL. Each is
 * one of our endpoints under the old path, taking the old parameter names beside ours, and answering as ours does.
 * A {@code POST} route answered by one of our {@code GET} endpoints takes its parameters as the fields of a JSON
 * object body instead of the query ({@code {"category":"Lights","page":2,"page_size":10}}), its path id from
 * {@link Route#idField}. This table is the only place that knows them: the endpoints do not.
 */
final class Compatibility {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * One old route.
   *
   * @param method {@code GET} or {@code POST}
   * @param path the old path template; a path parameter is named {@code id}, as in ours
   * @param ours the template of our route that answers it
   * @param renames old parameter (or body field) name to ours
   * @param fromBody whether the parameters come as the fields of a JSON body (a {@code POST} answered by a
   *     {@code GET} of ours)
   * @param idField with {@code fromBody}, the body field that gives our route's {@code {id}}, or null
   */
  record Route(String method, String path, String ours, Map<String, String> renames, boolean fromBody,
      String idField) {

    static Route get(String path, String ours, Map<String, String> renames) {
      return new Route("GET", path, ours, renames, false, null);
    }
  }

  static final List<Route> ROUTES = List.of(
      Route.get("/recommendations/{id}", "/customers/{id}/recommendations", Map.of("n", "limit")),
      Route.get("/recommend/{id}", "/products/{id}/similar", Map.of("n", "limit")),
      Route.get("/api/v1/popular-items", "/popular", Map.of("n", "limit")),
      Route.get("/api/v1/similar-items/{id}", "/products/{id}/similar", Map.of("n", "limit")),
      new Route("POST", "/api/v1/basket-recommendations", "/basket", Map.of(), false, null),
      new Route("POST", "/popular", "/popular", Map.of("n", "limit"), true, null),
      new Route("POST", "/personalized", "/customers/{id}/recommendations", Map.of("n", "limit"), true, "user_id"));

  private Compatibility() {}

  /** Adds every old route to {@code routes}, answered by {@code ours.get(route.ours())}. */
  static RoutingHandler register(RoutingHandler routes, Map<String, HttpHandler> ours) {
    for (Route r : ROUTES) {
      HttpHandler target = ours.get(r.ours());
      if (target == null) {
        throw new IllegalStateException("compatibility route " + r.path() + " names no route of ours: " + r.ours());
      }
      HttpHandler handler = r.fromBody() ? fromBody(r, target)
          : r.renames().isEmpty() ? target : renaming(r.renames(), target);
      routes.add(r.method(), r.path(), handler);
    }
    return routes;
  }

  /** Renames the old query parameters to ours, then hands the request on; both names at once are a 400. */
  private static HttpHandler renaming(Map<String, String> renames, HttpHandler next) {
    return exchange -> {
      rename(exchange.getQueryParameters(), renames);
      next.handleRequest(exchange);
    };
  }

  private static void rename(Map<String, Deque<String>> query, Map<String, String> renames) {
    for (Map.Entry<String, String> e : renames.entrySet()) {
      Deque<String> values = query.remove(e.getKey());
      if (values != null) {
        checkArgument(!query.containsKey(e.getValue()), "give " + e.getKey() + " or " + e.getValue() + ", not both");
        query.put(e.getValue(), values);
      }
    }
  }

  /**
   * Reads the JSON body, turns its fields into our query parameters (arrays, as for {@code exclude}, joined by
   * commas) and its {@code idField} into our path's {@code {id}}, then hands the request to {@code next}.
   */
  private static HttpHandler fromBody(Route route, HttpHandler next) {
    Set<String> fields = new TreeSet<>(route.renames().keySet());
    if (next instanceof PayloadEndpoint endpoint) {
      fields.addAll(endpoint.parameters());
    }
    if (route.idField() != null) {
      fields.add(route.idField());
    }
    return exchange -> new Flow(exchange).start(flow -> {
      checkArgument(exchange.getQueryParameters().isEmpty(),
          "this route takes its parameters in a JSON body, not the query");
      Bodies.receive(exchange, read -> {
        HttpServerExchange ex = read.flow().exchange();
        toQuery(ex, route, fields, read.body());
        next.handleRequest(ex);
      });
    });
  }

  /** The body's fields as {@code exchange}'s query parameters (and path id); a 400 naming a bad field. */
  static void toQuery(HttpServerExchange exchange, Route route, Set<String> fields, byte[] body) {
    String shape = "body must be a JSON object of parameters, e.g. {\"page\":1,\"page_size\":10}";
    JsonNode root;
    try {
      root = body.length == 0 ? MAPPER.createObjectNode() : MAPPER.readTree(body);
    } catch (IOException e) {
      throw new ApiException(400, shape);
    }
    checkArgument(root != null && root.isObject(), shape);
    Map<String, Deque<String>> query = exchange.getQueryParameters();
    String id = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      JsonNode value = field.getValue();
      checkArgument(fields.contains(name), "unknown field " + PayloadEndpoint.printable(name)
          + " in the body: this route takes " + String.join(", ", fields));
      if (value.isNull()) {
        continue;
      }
      String text = text(name, value);
      if (name.equals(route.idField())) {
        id = text;
      } else {
        query.computeIfAbsent(name, k -> new ArrayDeque<>()).add(text);
      }
    }
    rename(query, route.renames());
    if (route.idField() != null) {
      checkArgument(id != null, "the body must name " + route.idField());
      checkArgument(Ids.isValid(id), "invalid " + route.idField() + ": 1 to " + Ids.MAX_LENGTH
          + " characters, no control characters, no leading or trailing space");
      exchange.putAttachment(PathTemplateMatch.ATTACHMENT_KEY, new PathTemplateMatch(route.path(), Map.of("id", id)));
    }
  }

  /** A field's value as a query parameter's text: a string, number or boolean, or an array of strings joined. */
  private static String text(String name, JsonNode value) {
    if (value.isTextual() || value.isNumber() || value.isBoolean()) {
      return value.asText();
    }
    if (value.isArray()) {
      List<String> parts = new ArrayList<>();
      for (JsonNode element : value) {
        checkArgument(element.isTextual(), "field " + name + ": an array of strings");
        parts.add(element.asText());
      }
      return String.join(",", parts);
    }
    throw new ApiException(400, "field " + name + " must be a string, number or array of strings");
  }
}

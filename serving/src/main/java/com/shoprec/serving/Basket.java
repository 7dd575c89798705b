package com.shoprec.serving;

import static com.shoprec.serving.http.ApiException.check;
import static com.shoprec.serving.http.ApiException.checkArgument;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shoprec.common.Ids;
import com.shoprec.common.PayloadKind;
import com.shoprec.serving.http.ApiException;
import com.shoprec.serving.http.Bodies;
import com.shoprec.serving.http.Flow;
import com.shoprec.serving.http.Responses;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /basket} with body {@code {"items":["p1","p2",…],"limit":n}}: products that complete the
 * basket, from the bought-together lists of its products (one {@code MGET}, or none when all are cached),
 * merged by {@link BasketMerge}: scores summed per product, basket products left out, best first.
 *
 * <p>{@code items}: 1 to {@value #MAX_ITEMS} product ids (duplicates ignored); {@code limit}: 1 to
 * {@value PayloadEndpoint#MAX_LIMIT}, default {@value #DEFAULT_LIMIT}. The body is at most
 * {@value #MAX_BODY_BYTES} bytes. Any other body field or any query parameter is a 400 that names it.
 *
 * <p>Answers: 200 {@code {"items":[…],"recommendations":[…],"count":n,"run_id":…}} (an empty list when
 * no basket product has bought-together data); 400 for a body that is not such JSON or has invalid ids or
 * limit; 413 for a larger body; 503 when Redis is unreachable or no run is live.
 */
final class Basket implements HttpHandler {

  /** Largest request body accepted, in bytes. */
  static final int MAX_BODY_BYTES = Bodies.MAX_BODY_BYTES;
  /** Most products a basket may name. */
  static final int MAX_ITEMS = 50;
  /** Products proposed when the body gives no limit. */
  static final int DEFAULT_LIMIT = 10;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String SHAPE = "body must be JSON like {\"items\":[\"product id\",…],\"limit\":10}";

  /** A checked request body. */
  record Request(List<String> items, int limit) {}

  private final Serving serving;

  Basket(Serving serving) {
    this.serving = serving;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    new Flow(exchange).start(unused -> {
      PayloadEndpoint.knownParameters(exchange, Set.of());
      Bodies.receive(exchange, read -> withBody(read.flow(), read.body()));
    });
  }

  private void withBody(Flow flow, byte[] body) {
    Request request = parse(body);
    flow.await(serving.liveRun.current(), run -> {
      check(run != null, 503, "no run is live yet");
      List<String> keys = new ArrayList<>(request.items.size());
      for (String item : request.items) {
        keys.add(serving.keys.payload(PayloadKind.SIMILAR_PRODUCTS, run, item));
      }
      flow.await(serving.payloads(keys), lists -> {
        HttpServerExchange exchange = flow.exchange();
        // Merging up to MAX_ITEMS lists is real work: keep it off the IO and Redis reader threads.
        CompletableFuture<byte[]> merged = CompletableFuture.supplyAsync(() -> BasketMerge.write(run,
            request.items, BasketMerge.merge(request.items, lists, request.limit)), exchange.getConnection().getWorker());
        flow.await(merged, answer -> {
          exchange.getResponseHeaders().put(Responses.RUN_ID, run).put(Headers.CACHE_CONTROL, "no-store");
          Responses.json(exchange, 200, answer);
        });
      });
    });
  }

  /** Checks the body: a 400 naming the problem, or the request. */
  static Request parse(byte[] body) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ApiException(400, SHAPE);
    } catch (java.io.IOException e) {
      throw new ApiException(400, SHAPE);
    }
    checkArgument(root != null && root.isObject(), SHAPE);
    root.fieldNames().forEachRemaining(name -> checkArgument(name.equals("items") || name.equals("limit"),
        "unknown field " + PayloadEndpoint.printable(name) + " in the body: it takes items and limit"));
    JsonNode items = root.get("items");
    checkArgument(items != null && items.isArray() && !items.isEmpty(), "items must be a non-empty array of product ids");
    checkArgument(items.size() <= MAX_ITEMS, "a basket has at most " + MAX_ITEMS + " items");
    Set<String> distinct = new LinkedHashSet<>();
    for (JsonNode item : items) {
      checkArgument(item.isTextual() && Ids.isValid(item.asText()), "items must be valid product ids (strings)");
      distinct.add(item.asText());
    }
    int limit = DEFAULT_LIMIT;
    JsonNode limitNode = root.get("limit");
    if (limitNode != null && !limitNode.isNull()) {
      checkArgument(limitNode.isIntegralNumber() && limitNode.canConvertToInt()
          && limitNode.asInt() >= 1 && limitNode.asInt() <= PayloadEndpoint.MAX_LIMIT,
          "limit must be an integer from 1 to " + PayloadEndpoint.MAX_LIMIT);
      limit = limitNode.asInt();
    }
    return new Request(List.copyOf(distinct), limit);
  }
}

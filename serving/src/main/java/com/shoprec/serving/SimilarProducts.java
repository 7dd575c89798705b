package com.shoprec.serving;

import com.shoprec.common.PayloadKind;
import io.undertow.server.HttpServerExchange;

/**
 * {@code GET /products/{id}/similar}: products most often bought together with the product, as stored
 * under {@code similar_products:{run}:{id}}.
 *
 * <p>Parameters: the paging ones of every list ({@link PayloadEndpoint}), {@code exclude} naming products.
 * Answers: 200; 304; 400 for an invalid id or parameter; 404 when the product has no list; 503 when Redis is
 * unreachable or no run is live.
 */
final class SimilarProducts extends PayloadEndpoint {

  SimilarProducts(Serving serving) {
    super(serving, PayloadKind.SIMILAR_PRODUCTS, "similar products");
  }

  @Override
  String subject(HttpServerExchange exchange) {
    return pathId(exchange, "id");
  }
}

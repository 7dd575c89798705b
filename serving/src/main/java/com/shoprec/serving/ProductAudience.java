package com.shoprec.serving;

import com.shoprec.common.PayloadKind;
import io.undertow.server.HttpServerExchange;

/**
 * {@code GET /products/{id}/audience}: the customers most likely to buy the product next, as stored under
 * {@code product_audience:{run}:{id}}.
 *
 * <p>Parameters: the paging ones of every list ({@link PayloadEndpoint}), {@code exclude} naming customers.
 * Answers: 200; 304; 400 for an invalid id or parameter; 404 when the product has no audience; 503 when Redis is
 * unreachable or no run is live.
 */
final class ProductAudience extends PayloadEndpoint {

  ProductAudience(Serving serving) {
    super(serving, PayloadKind.PRODUCT_AUDIENCE, "audience");
  }

  @Override
  String subject(HttpServerExchange exchange) {
    return pathId(exchange, "id");
  }
}

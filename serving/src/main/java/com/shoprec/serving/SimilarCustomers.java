package com.shoprec.serving;

import com.shoprec.common.PayloadKind;
import io.undertow.server.HttpServerExchange;

/**
 * {@code GET /customers/{id}/similar}: the customer's nearest neighbours by Jaccard similarity of their
 * product sets, as stored under {@code similar_customers:{run}:{id}}.
 *
 * <p>Parameters: the paging ones of every list ({@link PayloadEndpoint}), {@code exclude} naming customers.
 * Answers: 200; 304; 400 for an invalid id or parameter; 404 when the customer has no neighbours; 503 when Redis
 * is unreachable or no run is live.
 */
final class SimilarCustomers extends PayloadEndpoint {

  SimilarCustomers(Serving serving) {
    super(serving, PayloadKind.SIMILAR_CUSTOMERS, "similar customers");
  }

  @Override
  String subject(HttpServerExchange exchange) {
    return pathId(exchange, "id");
  }
}

package com.shoprec.serving;

import com.shoprec.common.PayloadKind;
import io.undertow.server.HttpServerExchange;
import java.util.Set;

/**
 * {@code GET /customers/{id}}: who the customer is, as the batch stored it under
 * {@code customer_profile:{run}:{id}} ({@link com.shoprec.common.PayloadWriter#customerProfile}): segment, orders,
 * distinct products, first and last order, days since the last, average basket value, top categories, and
 * whether the run made a personal list. Sent as stored.
 *
 * <p>Parameters: none. Answers: 200; 304 when {@code If-None-Match} matches; 400 for an invalid id or any
 * parameter; 404 for a customer without history; 503 when Redis is unreachable or no run is live.
 */
final class CustomerProfile extends PayloadEndpoint {

  CustomerProfile(Serving serving) {
    super(serving, PayloadKind.CUSTOMER_PROFILE, "profile");
  }

  @Override
  String subject(HttpServerExchange exchange) {
    return pathId(exchange, "id");
  }

  @Override
  Set<String> parameters() {
    return Set.of();
  }
}

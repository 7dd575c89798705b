package com.shoprec.serving;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.serving.http.ApiException;
import com.shoprec.serving.http.Flow;
import com.shoprec.serving.http.Responses;
import io.undertow.server.HttpServerExchange;

/**
 * {@code GET /customers/{id}/recommendations}, alias {@code GET /weekly-recommendations/{id}}: the
 * customer's weekly list, exactly the bytes the batch stored under {@code weekly_recs:{run}:{id}}.
 *
 * <p>Parameters: the paging ones of every list ({@link PayloadEndpoint}), {@code exclude} naming products;
 * the page fields and {@code discovery_count} are fixed to match.
 *
 * <p>Answers: 200 with the list; 200 with the run's popular list marked {@code "fallback":true} (and
 * header {@code X-Fallback: true}) when the customer has no list; 304 when {@code If-None-Match} matches;
 * 400 for an invalid id or parameter; 404 when there is neither a list nor a fallback; 503 when Redis is
 * unreachable or no run is live.
 */
final class CustomerRecommendations extends PayloadEndpoint {

  CustomerRecommendations(Serving serving) {
    super(serving, PayloadKind.CUSTOMER_RECS, "recommendations");
  }

  @Override
  String subject(HttpServerExchange exchange) {
    return pathId(exchange, "id");
  }

  /** Unknown customer: the stored fallback body with this customer's id spliced in. */
  @Override
  void missing(Flow flow, String run, String customerId, Cut cut, String etag) {
    flow.await(serving.payload(serving.keys.fallback(run)), fallback -> {
      if (fallback == null) {
        throw new ApiException(404, "no recommendations for customer " + customerId + " and no fallback list");
      }
      serving.metrics.fallback();
      flow.exchange().getResponseHeaders().put(Responses.FALLBACK, "true");
      send(flow.exchange(), run, etag, kind, PayloadWriter.fallbackFor(customerId, fallback), cut);
    });
  }
}

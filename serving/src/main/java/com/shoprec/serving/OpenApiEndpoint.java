package com.shoprec.serving;

import com.shoprec.serving.http.Flow;
import com.shoprec.serving.http.Responses;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 description of every route, as kept in the repository
 * ({@code serving/src/main/resources/openapi.json}) and packed into the jar. Read once, sent as it is.
 *
 * <p>Parameters: none. Answers: 200; 400 for any parameter.
 */
final class OpenApiEndpoint implements HttpHandler {

  /** The document's place on the class path. */
  static final String RESOURCE = "/openapi.json";

  private static final byte[] DOCUMENT = load();

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    new Flow(exchange).start(flow -> {
      PayloadEndpoint.knownParameters(exchange, Set.of());
      exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "max-age=3600");
      Responses.json(exchange, 200, DOCUMENT);
    });
  }

  static byte[] load() {
    try (InputStream in = OpenApiEndpoint.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }
}

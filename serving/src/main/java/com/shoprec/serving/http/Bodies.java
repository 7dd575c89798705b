package com.shoprec.serving.http;

import static com.shoprec.serving.http.ApiException.check;

import io.undertow.io.Receiver;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;

/** Reading a request body without blocking, bounded in size. */
public final class Bodies {

  /** Largest request body an endpoint takes, in bytes. */
  public static final int MAX_BODY_BYTES = 16 * 1024;

  private Bodies() {}

  /**
   * Reads the whole body of {@code exchange}, then continues with it in a new {@link Flow}: 413 for a body larger
   * than {@link #MAX_BODY_BYTES} (by its {@code Content-Length} up front, or once read when chunked), 400 when it
   * cannot be read. Call from within a flow's step.
   */
  public static void receive(HttpServerExchange exchange, Flow.Step<Flow.WithBody> next) {
    check(exchange.getRequestContentLength() <= MAX_BODY_BYTES, 413, tooLarge());
    // Undertow runs these callbacks inside a handler call of their own (when the body arrives later), so each
    // continues in a new Flow, which knows whether it must dispatch.
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, body) -> new Flow(ex).start(flow -> {
          // A chunked body has no Content-Length to check up front (Undertow bounds it by MAX_DRAINED_BODY_BYTES).
          check(body.length <= MAX_BODY_BYTES, 413, tooLarge());
          next.accept(new Flow.WithBody(flow, body));
        }),
        (ex, error) -> new Flow(ex).start(flow -> {
          if (error instanceof Receiver.RequestToLargeException || error instanceof RequestTooBigException) {
            throw new ApiException(413, tooLarge());
          }
          throw new ApiException(400, "could not read the request body");
        }));
  }

  private static String tooLarge() {
    return "request body larger than " + MAX_BODY_BYTES + " bytes";
  }
}

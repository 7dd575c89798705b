package com.shoprec.serving.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Writing answers: stored bytes as they are, and every error as {@code {"error":"…","status":n}}. The
 * mapping from failures to statuses lives here and only here: {@link ApiException} carries its own status;
 * Redis unreachable or silent is 503; a Redis error reply or anything unexpected is 500, logged with its
 * stack trace, which the client never sees.
 */
public final class Responses {

  private static final Logger log = LoggerFactory.getLogger(Responses.class);

  public static final String JSON = "application/json";
  public static final HttpString RUN_ID = new HttpString("X-Run-Id");
  public static final HttpString FALLBACK = new HttpString("X-Fallback");

  private Responses() {}

  /**
   * Largest request body the server drains ({@code MAX_ENTITY_SIZE}) when it answers without reading it
   * (e.g. a 405 or 413), so the client still reads the answer on a reusable connection. A larger unread
   * body cannot be skipped: the answer then says {@code Connection: close}.
   */
  public static final int MAX_DRAINED_BODY_BYTES = 1024 * 1024;

  /** Sends {@code body} unchanged with the given status and a JSON content type. */
  public static void json(HttpServerExchange exchange, int status, byte[] body) {
    if (!exchange.isRequestComplete() && (exchange.getRequestContentLength() > MAX_DRAINED_BODY_BYTES
        || exchange.getRequestContentLength() < 0 && exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING))) {
      // Say so (Connection: close) rather than let the client reuse a connection Undertow will drop.
      exchange.setPersistent(false);
    }
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
    exchange.setResponseContentLength(body.length);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  /** Answers with the status and message that {@code failure} maps to. */
  public static void error(HttpServerExchange exchange, Throwable failure) {
    Throwable t = unwrap(failure);
    int status;
    String message;
    if (t instanceof ApiException api) {
      status = api.status();
      message = api.getMessage();
    } else if (t instanceof JedisConnectionException) {
      status = 503;
      message = "Redis is unavailable: " + t.getMessage();
    } else if (t instanceof JedisDataException) {
      status = 500;
      message = "Redis answered with an error";
      log.error("Redis error on {} {}", exchange.getRequestMethod(), exchange.getRequestPath(), t);
    } else {
      status = 500;
      message = "internal error";
      log.error("failed on {} {}", exchange.getRequestMethod(), exchange.getRequestPath(), t);
    }
    if (exchange.isResponseStarted()) {
      // Too late for an error body: the status line is out. Cut the connection so the client notices.
      org.xnio.IoUtils.safeClose(exchange.getConnection());
      return;
    }
    exchange.getResponseHeaders().clear();
    if (status == 503) {
      exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
    }
    exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
    json(exchange, status, errorBody(status, message));
  }

  /** {@code {"error":"<message>","status":<status>}}. */
  public static byte[] errorBody(int status, String message) {
    String quoted = new String(JsonStringEncoder.getInstance().quoteAsString(message));
    return ("{\"error\":\"" + quoted + "\",\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
  }

  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}

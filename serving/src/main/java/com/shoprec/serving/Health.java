package com.shoprec.serving;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shoprec.common.RedisKeys;
import com.shoprec.serving.http.Flow;
import com.shoprec.serving.http.Responses;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /health}: whether this server can answer, for load balancers and orchestrators.
 *
 * <p>Always reads the pointer key (never the cached run) and the run's info document: two Redis commands.
 *
 * <p>Answers: 200 {@code {"status":"ok","run_id":…,"week":…,"generated_at":…,"age_seconds":…}} when Redis
 * answers and a run is live ({@code age_seconds} counts from the run's {@code generated_at}, null when its
 * info document is missing); 503 {@code {"status":"unavailable","error":…}} when Redis is unreachable or
 * no run is live.
 */
final class Health implements HttpHandler {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory JSON = MAPPER.getFactory();

  private record Reply(byte[] value, Throwable error) {}

  private final Serving serving;

  Health(Serving serving) {
    this.serving = serving;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
    new Flow(exchange).start(flow -> flow.await(read(serving.keys.liveRunPointer()), pointer -> {
      if (pointer.error != null) {
        unavailable(exchange, "Redis is unreachable: " + Responses.unwrap(pointer.error).getMessage());
        return;
      }
      String run = pointer.value == null ? null : new String(pointer.value, StandardCharsets.UTF_8).trim();
      if (run == null || !RedisKeys.isValidRunId(run)) {
        serving.liveRun.accept(null);
        unavailable(exchange, run == null ? "no run is live" : "the live run pointer holds an invalid id");
        return;
      }
      serving.liveRun.accept(run);
      flow.await(read(serving.keys.runInfo(run)), info -> {
        if (info.error != null) {
          unavailable(exchange, "Redis is unreachable: " + Responses.unwrap(info.error).getMessage());
          return;
        }
        Responses.json(exchange, 200, healthy(run, info.value, Instant.now()));
      });
    }));
  }

  private CompletableFuture<Reply> read(String key) {
    return serving.redis.get(key).handle((value, error) -> {
      if (error != null) {
        serving.metrics.redisError();
      }
      return new Reply(value, error);
    });
  }

  /** The 200 body; {@code info} is the run's JSON document or null. */
  static byte[] healthy(String run, byte[] info, Instant now) throws IOException {
    String week = null;
    String generatedAt = null;
    String publishedAt = null;
    if (info != null) {
      try {
        JsonNode node = MAPPER.readTree(info);
        week = text(node, "week");
        generatedAt = text(node, "generated_at");
        publishedAt = text(node, "published_at");
      } catch (IOException e) {
        // An unreadable info document does not make the server unhealthy; the age is then unknown.
      }
    }
    Long age = null;
    if (generatedAt != null) {
      try {
        age = Duration.between(Instant.parse(generatedAt), now).getSeconds();
      } catch (DateTimeParseException e) {
        // age stays unknown
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("status", "ok");
      g.writeStringField("run_id", run);
      g.writeStringField("week", week);
      g.writeStringField("generated_at", generatedAt);
      g.writeStringField("published_at", publishedAt);
      if (age == null) {
        g.writeNullField("age_seconds");
      } else {
        g.writeNumberField("age_seconds", age);
      }
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || !v.isTextual() ? null : v.asText();
  }

  private static void unavailable(HttpServerExchange exchange, String why) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("status", "unavailable");
      g.writeStringField("error", why);
      g.writeEndObject();
    }
    exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
    Responses.json(exchange, 503, out.toByteArray());
  }
}

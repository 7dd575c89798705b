package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Redis goes away and comes back: answers turn into 503 JSON (never 500, never a hang), /health says 503,
 * and both recover without restarting the server. The cache is off so every request needs Redis.
 */
class RedisOutageIT {

  private static final String PATH = "/customers/12347/recommendations";

  @Test
  void redisDownIs503AndServingRecoversWhenItReturns() throws Exception {
    try (Fixture f = new Fixture(Map.of("shoprec.serving.cache-size", 0, "shoprec.serving.redis-timeout-millis", 500))) {
      assertEquals(200, f.get(PATH).statusCode());
      assertEquals(200, f.get("/health").statusCode());

      f.stores.stopRedis();
      HttpResponse<byte[]> down = awaitStatus(f, PATH, 503);
      assertTrue(Fixture.text(down).matches("\\{\"error\":\"Redis is unavailable: .*\",\"status\":503}"),
          Fixture.text(down));
      assertEquals("1", down.headers().firstValue("Retry-After").orElseThrow());
      HttpResponse<byte[]> health = awaitStatus(f, "/health", 503);
      assertTrue(Fixture.text(health).startsWith("{\"status\":\"unavailable\",\"error\":\"Redis is unreachable"),
          Fixture.text(health));
      // While Redis is down, every endpoint fails fast with 503.
      for (String path : new String[] {"/products/P1/similar", "/popular", "/customers/x/recommendations"}) {
        long start = System.nanoTime();
        assertEquals(503, f.get(path).statusCode(), path);
        assertTrue(System.nanoTime() - start < 3_000_000_000L, "503 took too long on " + path);
      }
      assertEquals(503, f.send("POST", "/basket", Fixture.bytes("{\"items\":[\"P1\"]}")).statusCode());

      f.stores.startRedis();
      try (Jedis j = f.jedis()) {
        if (j.get(f.keys.liveRunPointer()) == null) {
          f.publish(Fixture.RUN); // the embedded server did not keep its data: publish again
        }
      }
      assertEquals(200, awaitStatus(f, PATH, 200).statusCode());
      assertEquals(200, awaitStatus(f, "/health", 200).statusCode());
      String metrics = Fixture.text(f.get("/metrics"));
      assertTrue(metrics.contains("route=\"/customers/{id}/recommendations\",status=\"503\""), metrics);
      assertTrue(!metrics.contains("shoprec_redis_errors_total 0.0"), metrics);
    }
  }

  /** Polls (for at most 15 s) until {@code path} answers {@code status}; no answer may be a 500. */
  private static HttpResponse<byte[]> awaitStatus(Fixture f, String path, int status) throws Exception {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (System.nanoTime() < deadline) {
      HttpResponse<byte[]> r = f.get(path);
      assertTrue(r.statusCode() != 500, Fixture.text(r));
      if (r.statusCode() == status) {
        return r;
      }
      Thread.sleep(100);
    }
    return fail(path + " never answered " + status);
  }
}

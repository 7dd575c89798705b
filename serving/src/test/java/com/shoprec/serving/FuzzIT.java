package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded random requests at a running server: odd ids (unicode, %-encodings, control characters, very
 * long), query strings, methods and bodies. No answer may be a 5xx (Redis is up), none may hang, and each
 * error body is JSON. Malformed request lines the Java client refuses to send go over a raw socket.
 */
class FuzzIT {

  private static final long SEED = 20111210L;
  private static final int REQUESTS = 600;
  private static final int RAW_REQUESTS = 60;
  private static final Duration PER_REQUEST = Duration.ofSeconds(5);

  private static final List<String> TEMPLATES = List.of("/customers/%s/recommendations", "/weekly-recommendations/%s",
      "/customers/%s/similar", "/products/%s/similar", "/products/%s/audience", "/popular", "/basket", "/health",
      "/metrics", "/stats", "/personalized", "/%s", "/customers/%s", "/customers/%s/recommendations/%s", "/products//similar", "/");
  private static final List<String> IDS = List.of("12347", "P1", "nobody", "été ☕", "a/b", "..", "%", "x y", " x",
      "x\u0001", "\u0000", "'; DROP TABLE x;--", "{\"a\":1}", "😀".repeat(40), "A".repeat(128), "B".repeat(129),
      "C".repeat(3000), "\uD800", "%2F", "?", "#", "&", "=", "P1,P2");
  private static final List<String> PARAMS = List.of("limit", "exclude", "category", "segment", "foo", "limit", "",
      "offset", "page", "page_size", "n", "offset", "page");
  private static final List<String> VALUES = List.of("1", "0", "-1", "100", "101", "1e3", "9999999999999999999999",
      "abc", "", "P1,P2", ",,,", "été", "%00", "Home & Garden", "LIGHT", "x".repeat(500), " 5", "5 ");
  private static final List<String> METHODS = List.of("GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "PATCH",
      "HEAD", "OPTIONS");

  private static Fixture f;

  @BeforeAll
  static void start() {
    f = new Fixture(Map.of());
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void randomRequestsNeverGet5xxOrHang() throws Exception {
    Random random = new Random(SEED);
    long start = System.nanoTime();
    for (int i = 0; i < REQUESTS; i++) {
      String path = randomPath(random);
      String method = pick(random, METHODS);
      byte[] body = randomBody(random);
      HttpRequest request = HttpRequest.newBuilder(URI.create(f.base + path)).timeout(PER_REQUEST)
          .method(method, method.equals("GET") || method.equals("HEAD") || body == null
              ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
          .build();
      HttpResponse<String> r;
      try {
        r = f.http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new AssertionError("no answer to " + method + " " + path + " (body " + (body == null ? 0 : body.length)
            + " bytes): " + e, e);
      }
      String what = method + " " + path + " -> " + r.statusCode() + " " + r.body();
      assertTrue(r.statusCode() < 500, what);
      if (r.statusCode() >= 400 && !method.equals("HEAD")) {
        assertTrue(r.body().startsWith("{\"error\":\"") && r.body().endsWith(",\"status\":" + r.statusCode() + "}"), what);
      }
    }
    assertTrue(System.nanoTime() - start < 60_000_000_000L, "fuzzing took more than a minute");
  }

  @Test
  void malformedRequestLinesAreRefusedWithout5xx() throws Exception {
    Random random = new Random(SEED + 1);
    List<String> nasty = List.of("%zz", "%", "%C3", "%FF%FE", "%E2%82", "a b", "\t", "%0d%0aX-Injected: 1", "é",
        "x".repeat(20_000), "%25", "\\", "{}", "|", "^");
    for (int i = 0; i < RAW_REQUESTS; i++) {
      String id = pick(random, nasty);
      String target = String.format(pick(random, TEMPLATES), id, id) + (random.nextBoolean() ? "" : "?limit=" + id);
      String status = rawStatusLine("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      assertTrue(status == null || !status.matches("HTTP/1\\.1 5\\d\\d.*"), target + " -> " + status);
    }
  }

  /** The status line, or null when the server closed the connection without one. */
  private static String rawStatusLine(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", f.server.port())) {
      socket.setSoTimeout((int) PER_REQUEST.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        line.append((char) c);
      }
      return line.length() == 0 ? null : line.toString().trim();
    } catch (java.net.SocketException e) {
      return null; // reset by the server: refused, not a 5xx and not a hang
    }
  }

  private static String randomPath(Random random) {
    String template = pick(random, TEMPLATES);
    String path = String.format(template, encode(random, randomId(random)), encode(random, randomId(random)));
    if (random.nextInt(3) > 0) {
      StringBuilder q = new StringBuilder("?");
      int n = 1 + random.nextInt(4);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          q.append('&');
        }
        q.append(encode(random, pick(random, PARAMS))).append('=').append(encode(random, pick(random, VALUES)));
      }
      path += q;
    }
    return path;
  }

  private static String randomId(Random random) {
    if (random.nextInt(4) == 0) {
      StringBuilder b = new StringBuilder();
      int n = 1 + random.nextInt(40);
      for (int i = 0; i < n; i++) {
        b.append((char) (random.nextBoolean() ? 32 + random.nextInt(95) : random.nextInt(0x3000)));
      }
      return b.toString();
    }
    return pick(random, IDS);
  }

  /** Percent-encodes every byte outside [A-Za-z0-9._~-], sometimes lower-case, so the URI is always valid. */
  private static String encode(Random random, String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "._~-".indexOf(c) >= 0) {
        b.append((char) c);
      } else {
        String hex = String.format("%%%02X", c);
        b.append(random.nextInt(5) == 0 ? hex.toLowerCase() : hex);
      }
    }
    return b.toString();
  }

  private static byte[] randomBody(Random random) {
    switch (random.nextInt(8)) {
      case 0:
        return null;
      case 1: {
        byte[] b = new byte[random.nextInt(64)];
        random.nextBytes(b);
        return b;
      }
      case 2:
        return ("{\"items\":[\"P1\",\"" + pick(random, IDS) + "\"],\"limit\":" + pick(random, VALUES) + "}")
            .getBytes(StandardCharsets.UTF_8);
      case 3:
        return ("{\"items\":[" + "\"P\",".repeat(random.nextInt(80)) + "\"P2\"]}").getBytes(StandardCharsets.UTF_8);
      case 4:
        return "{\"items\":[{\"nested\":[[[[[[[[[[]]]]]]]]]]}]}".getBytes(StandardCharsets.UTF_8);
      case 5: // the parameters of POST /popular and /personalized, as body fields
        return ("{\"user_id\":\"" + pick(random, IDS).replace("\\", "\\\\").replace("\"", "\\\"") + "\",\""
            + pick(random, PARAMS) + "\":\"" + pick(random, VALUES).replace("\"", "\\\"") + "\"}")
            .getBytes(StandardCharsets.UTF_8);
      case 6:
        return ("{\"" + pick(random, PARAMS) + "\":" + pick(random, List.of("1", "[\"P1\",2]", "{}", "null", "true",
            "1e400", "-0")) + ",\"exclude\":[\"P1\"]}").getBytes(StandardCharsets.UTF_8);
      default:
        return new byte[Basket.MAX_BODY_BYTES + random.nextInt(1000)];
    }
  }

  private static <T> T pick(Random random, List<T> list) {
    return list.get(random.nextInt(list.size()));
  }
}

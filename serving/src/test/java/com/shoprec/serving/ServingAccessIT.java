package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys;
import com.shoprec.testkit.EmbeddedStores;
import com.shoprec.testkit.TestCertificates;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;

/**
 * The server jar as deployed, in its own JVM: bound to a configured address ({@code 127.0.0.2}, a loopback
 * address other than the default), reading Redis over TLS ({@code rediss://}, a self-signed certificate
 * in the JVM's trust store) as an ACL user that may only read, its password from a file. Every route is
 * called with every method: only GET (and POST /basket, a read) is answered, everything else is 405; Redis
 * is byte for byte unchanged, its ACL log shows no denied (write) command, and the password appears in
 * none of the server's output.
 */
class ServingAccessIT {

  private static final String PASSWORD = "rd-Zq7!wK2#only-in-a-file";
  private static final String RUN = Fixture.RUN;
  private static final String HOST = "127.0.0.2";
  private static final List<String> GET_ROUTES = List.of("/customers/12347/recommendations",
      "/weekly-recommendations/12347", "/customers/12347/similar", "/products/P1/similar", "/products/P1/audience",
      "/popular", "/customers/12347", "/stats", "/health", "/metrics");
  private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
      "TRACE");

  @TempDir static Path dir;
  private static RedisServer redisServer;
  private static int redisPort;
  private static int tlsPort;
  private static int httpPort;
  private static Process server;
  private static Path serverOutput;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    TestCertificates tls = TestCertificates.create(dir.resolve("tls"));
    redisPort = EmbeddedStores.freePort();
    tlsPort = EmbeddedStores.freePort();
    redisServer = RedisServer.newRedisServer().bind("127.0.0.1").port(redisPort)
        .setting("tls-port " + tlsPort)
        .setting("tls-cert-file " + tls.certPem())
        .setting("tls-key-file " + tls.keyPem())
        .setting("tls-ca-cert-file " + tls.certPem())
        .setting("tls-auth-clients no")
        .setting("save \"\"")
        .build();
    redisServer.start();
    try (Jedis admin = admin()) {
      Fixture.publish(admin, RedisKeys.withoutNamespace(), RUN);
      // May authenticate, ping and read keys; nothing else.
      admin.aclSetUser("reader", "reset", "on", ">" + PASSWORD, "~*", "-@all", "+@read", "+ping");
    }
    Path passwordFile = dir.resolve("redis-password");
    Files.createFile(passwordFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(passwordFile, PASSWORD + "\n");

    httpPort = EmbeddedStores.freePort();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m"));
    command.addAll(tls.trustFlags());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), ServingMain.class.getName(),
        "--host", HOST, "--port", Integer.toString(httpPort),
        "--redis-url", "rediss://reader@127.0.0.1:" + tlsPort + "/0"));
    serverOutput = dir.resolve("server.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(serverOutput.toFile());
    pb.environment().remove("REDIS_PASSWORD");
    pb.environment().remove("REDIS_URL");
    pb.environment().put("REDIS_PASSWORD_FILE", passwordFile.toString());
    server = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      assertTrue(server.isAlive(), "the server exited: " + Files.readString(serverOutput));
      try {
        if (send("GET", "/health", null).statusCode() == 200) {
          break;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      assertTrue(System.nanoTime() < deadline, "no healthy server: " + Files.readString(serverOutput));
      Thread.sleep(200);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
    }
    if (redisServer != null) {
      redisServer.stop();
    }
  }

  private static Jedis admin() {
    return new Jedis("127.0.0.1", redisPort);
  }

  /** DEBUG DIGEST: a hash of the whole data set, equal only if nothing changed. */
  private static String digest(Jedis admin) {
    Object reply = admin.sendCommand(
        (redis.clients.jedis.commands.ProtocolCommand) () -> "DEBUG".getBytes(StandardCharsets.US_ASCII), "DIGEST");
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
  }

  private static HttpResponse<byte[]> send(String method, String path, byte[] body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + httpPort + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void answersOnTheConfiguredAddressOnlyOverTlsAsAReadOnlyUser() throws Exception {
    HttpResponse<byte[]> r = send("GET", "/customers/12347/recommendations", null);
    assertEquals(200, r.statusCode());
    try (Jedis admin = admin()) {
      assertArrayEquals(admin.get(RedisKeys.withoutNamespace().payload(PayloadKind.CUSTOMER_RECS, RUN, "12347")
          .getBytes(StandardCharsets.UTF_8)), r.body(), "the stored bytes, read over TLS");
      // The server's connection is the reader user's, over the TLS port.
      String clients = admin.clientList();
      assertTrue(clients.lines().anyMatch(l -> l.contains("user=reader") && l.contains("laddr=127.0.0.1:" + tlsPort)),
          clients);
    }
    // Bound to 127.0.0.2 only: the default loopback address has nothing listening on the port.
    try (Socket s = new Socket()) {
      assertThrows(ConnectException.class, () -> s.connect(new InetSocketAddress("127.0.0.1", httpPort), 2000));
    }
  }

  @Test
  void exposesNoWriteOperation() throws Exception {
    String digest;
    try (Jedis admin = admin()) {
      digest = digest(admin);
      admin.aclLogReset();
    }
    for (String path : GET_ROUTES) {
      for (String method : METHODS) {
        int status = send(method, path, method.equals("GET") || method.equals("HEAD") ? null : "{}".getBytes()).statusCode();
        String what = method + " " + path + " -> " + status;
        // POST /popular is an old service's route: the parameters in a JSON body ("{}": none)
        if (method.equals("GET") || method.equals("POST") && path.equals("/popular")) {
          assertTrue(status == 200, what);
        } else {
          assertEquals(405, status, what);
        }
      }
    }
    byte[] basket = "{\"items\":[\"P1\",\"P2\"],\"limit\":3}".getBytes(StandardCharsets.UTF_8);
    for (String method : METHODS) {
      int status = send(method, "/basket", method.equals("POST") ? basket : null).statusCode();
      assertEquals(method.equals("POST") ? 200 : 405, status, method + " /basket");
    }
    for (String method : METHODS) {
      int status = send(method, "/customers/12347/orders", null).statusCode();
      assertTrue(status == 404 || status == 405, method + " on an unknown route -> " + status);
    }
    try (Jedis admin = admin()) {
      assertEquals(digest, digest(admin), "Redis unchanged");
      // Reading is all the server ever tried: no command was refused to the read-only user.
      assertEquals(List.of(), admin.aclLog(), "denied commands");
    }
  }

  @Test
  void thePasswordIsInNoOutput() throws Exception {
    send("GET", "/customers/12347/recommendations", null);
    String output = Files.readString(serverOutput);
    assertTrue(output.contains("rediss://reader:***@127.0.0.1:" + tlsPort), "the URL is logged masked: " + output);
    assertFalse(output.contains(PASSWORD), output);
    String metrics = new String(send("GET", "/metrics", null).body(), StandardCharsets.UTF_8);
    assertFalse(metrics.contains(PASSWORD));
  }
}

package com.shoprec.serving.bench;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The HTTP ceiling for {@code bench/serving.sh}: not a test. The same Undertow as the server, one route
 * ({@code GET /customers/{id}/recommendations}) answering the same stored bytes from memory, on the IO
 * thread, with {@code Content-Type} and {@code Content-Length}; nothing else (no Redis, cache, metrics).
 *
 * <p>Usage: {@code ConstantBytesServer PORT BODY_FILE [IO_THREADS]}; IO_THREADS 0 (default) means one per
 * core, the server's own default ({@code shoprec.serving.io-threads = 0}).
 */
public final class ConstantBytesServer {

  private ConstantBytesServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    byte[] body = Files.readAllBytes(Path.of(args[1]));
    int io = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    int ioThreads = io > 0 ? io : Math.max(1, Runtime.getRuntime().availableProcessors());
    HttpHandler constant = exchange -> {
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      exchange.setResponseContentLength(body.length);
      // A heap buffer, as Responses.json sends the stored bytes.
      exchange.getResponseSender().send(ByteBuffer.wrap(body));
    };
    Undertow server = Undertow.builder()
        .addHttpListener(port, "127.0.0.1")
        .setIoThreads(ioThreads)
        .setHandler(new RoutingHandler(false).get("/customers/{id}/recommendations", constant))
        .build();
    server.start();
    System.out.printf("constant-bytes Undertow on 127.0.0.1:%d, %d IO threads, %d-byte body%n",
        port, ioThreads, body.length);
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
    Thread.currentThread().join();
  }
}

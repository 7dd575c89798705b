package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.common.RedisKeys;
import com.shoprec.testkit.EmbeddedStores;
import com.shoprec.testkit.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.ScanParams;
import redis.clients.jedis.ScanResult;

/**
 * Secrets and access against real servers that demand them: Postgres with a role whose known password is
 * checked (scram-sha-256) and that may log in over SSL only ({@code hostssl}, the job verifying the
 * server's certificate: {@code sslmode=verify-full}); Redis over TLS ({@code rediss://}) as an ACL user
 * whose password is read from a file. The job runs in child JVMs (the trust store is JVM-wide): once
 * successfully, and on four failure paths (wrong Redis password, wrong Postgres password, SSL turned off,
 * the password written in an unreachable Redis URL). Every output is searched for both known passwords:
 * stdout, stderr, the job log and rejected rows tables, every Redis value.
 */
class SecretsIT {

  private static final String PG_PASSWORD = "pg-Sx9$known-secret-7Q";
  private static final String REDIS_PASSWORD = "rd-Vb4%known-secret-2M";
  private static final String WRONG_PASSWORD = "wrong-Kt5&not-the-secret";

  @TempDir static Path dir;
  private static EmbeddedStores stores;
  private static TestCertificates tls;
  private static int tlsPort;
  private static Path slice;
  private static Path redisPasswordFile;
  private static final List<String> outputs = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    tls = TestCertificates.create(dir.resolve("tls"));
    tlsPort = EmbeddedStores.freePort();
    Map<String, String> pgConf = new HashMap<>();
    pgConf.put("ssl", "on");
    pgConf.put("ssl_cert_file", tls.certPem().toString());
    pgConf.put("ssl_key_file", tls.keyPem().toString());
    stores = EmbeddedStores.startRestartable(dir.resolve("stores"), pgConf, List.of("tls-port " + tlsPort,
        "tls-cert-file " + tls.certPem(), "tls-key-file " + tls.keyPem(), "tls-ca-cert-file " + tls.certPem(),
        "tls-auth-clients no"));
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE shoprec LOGIN PASSWORD '" + PG_PASSWORD + "'");
      ResultSet r = s.executeQuery("SHOW hba_file");
      r.next();
      // The job's role: SSL and its password only. The test's superuser: trusted, for inspection.
      Files.writeString(Path.of(r.getString(1)), String.join("\n",
          "local all all trust",
          "hostssl all shoprec 127.0.0.1/32 scram-sha-256",
          "host all shoprec 127.0.0.1/32 reject",
          "host all all 127.0.0.1/32 trust",
          "host all all ::1/128 trust", ""));
      s.execute("SELECT pg_reload_conf()");
    }
    try (Jedis admin = admin()) {
      admin.aclSetUser("shoprec", "reset", "on", ">" + REDIS_PASSWORD, "~*", "&*", "+@all");
    }
    redisPasswordFile = dir.resolve("redis-password");
    Files.createFile(redisPasswordFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(redisPasswordFile, REDIS_PASSWORD + "\n");
    Path wrong = dir.resolve("wrong-password");
    Files.writeString(wrong, WRONG_PASSWORD);
    slice = dir.resolve("slice.csv");
    OrderSlice.write(slice, 40);
  }

  @AfterAll
  static void stop() {
    if (stores != null) {
      stores.close();
    }
  }

  private static Jedis admin() {
    return new Jedis("127.0.0.1", stores.redisPort());
  }

  private static String pgUrl(String sslmode) {
    return "jdbc:postgresql://127.0.0.1:" + stores.postgresPort() + "/postgres?user=shoprec&sslmode=" + sslmode
        + "&sslrootcert=" + tls.certPem();
  }

  /** The job in a child JVM trusting the test certificate; its stdout and stderr are kept for the search. */
  private static JobProcess job(String name, String pgPassword, String redisUrl, String redisPasswordFileArg,
      String sslmode) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGPASSWORD", pgPassword);
    env.put("REDIS_PASSWORD", null);
    env.put("REDIS_URL", null);
    env.put("DATABASE_URL", null);
    // --verbose: everything the job logs reaches stderr (and the search below), the settings line included
    List<String> args = new ArrayList<>(List.of("--verbose", "--input", slice.toString(), "--redis-url", redisUrl,
        "--database-url", pgUrl(sslmode),
        "--set", "shoprec.job.segments.mode=quantile"));
    args.addAll(SmallModels.ARGS);
    if (redisPasswordFileArg != null) {
      args.addAll(List.of("--redis-password-file", redisPasswordFileArg));
    }
    return JobProcess.start(dir, name, env, tls.trustFlags(), args);
  }

  private static String rediss() {
    return "rediss://shoprec@127.0.0.1:" + tlsPort;
  }

  @Test
  void passwordsComeFromTheEnvironmentOrAFileAndAreInNoOutput() throws Exception {
    // Success: Postgres over verified SSL with the password from PGPASSWORD, Redis over TLS as an ACL user
    // with the password from a file.
    JobProcess ok = job("ok", PG_PASSWORD, rediss(), redisPasswordFile.toString(), "verify-full");
    int code = ok.exitCode(600);
    keep(ok);
    assertEquals(0, code, ok.stderrTail());
    String run;
    try (Jedis admin = admin()) {
      run = admin.get(RedisKeys.withoutNamespace().liveRunPointer());
      assertNotNull(run, "a run is live");
      assertTrue(admin.aclLog().isEmpty(), "no refused login or command");
    }
    assertTrue(ok.stderrText().contains("\"redis.url\":\"rediss://shoprec@127.0.0.1:" + tlsPort + "\""),
        "the settings are logged, the URL with its user and no password");
    assertTrue(ok.stderrText().contains("sslmode=verify-full"), "connected to Postgres with verify-full");

    // Failures, each stopped with exit 4 and a message that names the store but no password.
    Path wrongFile = dir.resolve("wrong-password");
    JobProcess wrongRedis = job("wrong-redis-password", PG_PASSWORD, rediss(), wrongFile.toString(), "verify-full");
    JobProcess wrongPg = job("wrong-pg-password", WRONG_PASSWORD, rediss(), redisPasswordFile.toString(), "verify-full");
    Map<JobProcess, String> expected = new LinkedHashMap<>();
    expected.put(wrongRedis, "refused the login");
    expected.put(wrongPg, "password authentication failed for user \"shoprec\"");
    checkFailures(expected);

    JobProcess noSsl = job("no-ssl", PG_PASSWORD, rediss(), redisPasswordFile.toString(), "disable");
    int unusedPort = EmbeddedStores.freePort();
    JobProcess inlineUnreachable = job("inline-password-unreachable", PG_PASSWORD,
        "redis://shoprec:" + java.net.URLEncoder.encode(REDIS_PASSWORD, StandardCharsets.UTF_8) + "@127.0.0.1:"
            + unusedPort, null, "verify-full");
    expected.clear();
    expected.put(noSsl, "pg_hba.conf rejects connection");
    expected.put(inlineUnreachable, "127.0.0.1:" + unusedPort);
    checkFailures(expected);

    // Whatever the job wrote: the job log (parameters, errors, counts), the rejected rows, every Redis value.
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); Statement s = c.createStatement()) {
      for (String table : List.of("recommendation_job_log", "rejected_rows_sample", "recommendation_run_history")) {
        StringBuilder all = new StringBuilder(table).append(":\n");
        try (ResultSet r = s.executeQuery("SELECT t::text FROM " + table + " t")) {
          while (r.next()) {
            all.append(r.getString(1)).append('\n');
          }
        }
        outputs.add(all.toString());
      }
      try (ResultSet r = s.executeQuery("SELECT count(*) FROM rejected_rows_sample WHERE run_id = '" + run + "'")) {
        r.next();
        assertTrue(r.getLong(1) > 0, "the rejected rows sample was searched too");
      }
    }
    try (Jedis admin = admin()) {
      StringBuilder values = new StringBuilder();
      String cursor = ScanParams.SCAN_POINTER_START;
      long keys = 0;
      do {
        ScanResult<String> page = admin.scan(cursor, new ScanParams().count(1000));
        for (String key : page.getResult()) {
          keys++;
          values.append(key).append('=').append(admin.type(key).equals("string") ? admin.get(key)
              : String.join(",", admin.lrange(key, 0, -1))).append('\n');
        }
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
      assertTrue(keys > 100, keys + " Redis keys searched");
      outputs.add(values.toString());
    }
    for (String output : outputs) {
      for (String secret : List.of(PG_PASSWORD, REDIS_PASSWORD, WRONG_PASSWORD,
          java.net.URLEncoder.encode(REDIS_PASSWORD, StandardCharsets.UTF_8))) {
        int at = output.indexOf(secret);
        assertFalse(at >= 0, "a password in an output: …" + (at < 0 ? ""
            : output.substring(Math.max(0, at - 200), Math.min(output.length(), at + 50))));
      }
    }
  }

  /** Runs the failing jobs side by side; each must exit 4 with its message on stderr. */
  private static void checkFailures(Map<JobProcess, String> expected) throws Exception {
    for (Map.Entry<JobProcess, String> e : expected.entrySet()) {
      JobProcess p = e.getKey();
      int code = p.exitCode(300);
      keep(p);
      String error = p.stderrText().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse(p.stderrTail());
      assertEquals(RecommendationJob.EXIT_STORE_UNAVAILABLE, code, p.stdout + ": " + error);
      assertTrue(error.contains(e.getValue()), p.stdout + ": " + error);
    }
  }

  private static void keep(JobProcess p) throws Exception {
    outputs.add(p.stdout.getFileName() + ":\n" + p.stdoutText());
    outputs.add(p.stderr.getFileName() + ":\n" + p.stderrText());
  }
}

package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.shoprec.testkit.EmbeddedStores;
import com.shoprec.testkit.PublishedOutput;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The working tree's weekly job publishes, on the bundled sample, exactly what an earlier commit published (issue
 * #23: a restructuring of the batch must not change its output): every row of every Postgres table with a run_id
 * and every Redis key and value, compared by line count and SHA-256 of the {@link PublishedOutput} dump of each
 * table and key kind with {@code published-output/sample.digests}.
 *
 * <p>That reference was made by {@code bench/same-output.sh --record COMMIT sample/online-retail-sample.csv.gz}: the
 * job jar of COMMIT, run the way this test runs the job: a child JVM ({@link JobProcess}) with the flags and
 * arguments of {@code published-output/sample.settings}, {@code -Dspark.master=local[2]}, the recorded
 * {@code --as-of}, fresh embedded stores. The test checks that the input and the settings file are the recorded ones
 * (their SHA-256) before it runs, so a failure means the job's output changed, not its test.
 *
 * <p>When the output changes on purpose, record a new reference (and say why in the commit). To see which rows or
 * values differ (the reference holds digests only), run {@code bench/same-output.sh --settings
 * spark-jobs/src/test/resources/published-output/sample.settings COMMIT sample/online-retail-sample.csv.gz}.
 */
class PublishedOutputIT {

  private static final String RESOURCES = "/published-output/";

  @TempDir Path dir;

  @Test
  void theJobPublishesOnTheSampleExactlyWhatTheRecordedCommitPublished() throws Exception {
    Path reference = resource("sample.digests");
    Path settings = resource("sample.settings");
    Map<String, String> recorded = recorded(reference);
    Path root = JobProcess.jvmOpts().toAbsolutePath().normalize().getParent().getParent();
    String[] input = recorded.get("input").split(" ");
    Path orders = root.resolve(input[0]);
    assertTrue(Files.isRegularFile(orders), "the recorded input " + orders + " is missing");
    assertEquals(input[2], sha256(orders), "the input is not the one the reference was recorded on: " + orders);
    assertEquals(recorded.get("settings").split(" ")[2], sha256(settings), "published-output/sample.settings changed "
        + "since the reference was recorded: record it again with bench/same-output.sh --record (see this class)");

    List<String> jvm = new ArrayList<>();
    List<String> args = new ArrayList<>();
    for (String line : Files.readAllLines(settings)) {
      String[] f = line.strip().split("\\s+", 2);
      if (f[0].equals("jvm")) {
        jvm.add(f[1]);
      } else if (f[0].equals("job")) {
        args.add(f[1]);
      }
    }
    jvm.add("-Dspark.master=local[2]");
    long start = System.nanoTime();
    try (EmbeddedStores stores = EmbeddedStores.start()) {
      List<String> jobArgs = new ArrayList<>(List.of("--input", orders.toString(), "--as-of", recorded.get("as-of"),
          "--redis-url", stores.redisUrl(), "--database-url", stores.jdbcUrl()));
      jobArgs.addAll(args);
      JobProcess job = JobProcess.start(dir, "job", Map.of(), jvm, jobArgs);
      int exit = job.exitCode(900);
      assertEquals(0, exit, "the job failed; stderr:\n" + job.stderrTail());
      long jobSeconds = (System.nanoTime() - start) / 1_000_000_000;
      PublishedOutput.dump(stores.jdbcUrl(), stores.redisUrl(), "", dir.resolve("dump"));
      PublishedOutput.Comparison c = PublishedOutput.compare(reference, dir.resolve("dump"), null);
      System.out.printf("PublishedOutputIT: job %d s, dump and compare %d s%n%s", jobSeconds,
          (System.nanoTime() - start) / 1_000_000_000 - jobSeconds, c.report());
      if (!c.identical()) {
        fail("the job no longer publishes what commit " + recorded.get("commit") + " published on the sample; "
            + "differing: " + c.different() + "\n" + c.report() + "The rows that differ: bench/same-output.sh --settings "
            + "spark-jobs/src/test/resources/published-output/sample.settings " + recorded.get("commit").substring(0, 7)
            + " " + input[0] + "\nIf the change is intended: bench/same-output.sh --record --repeat <new commit> "
            + input[0]);
      }
    }
  }

  /** The "# key value" comment lines of the reference: commit, input, as-of, settings. */
  private static Map<String, String> recorded(Path reference) throws IOException {
    Map<String, String> out = new java.util.HashMap<>();
    for (String line : Files.readAllLines(reference)) {
      for (String key : List.of("commit", "input", "as-of", "settings")) {
        if (line.startsWith("# " + key + " ")) {
          out.put(key, line.substring(key.length() + 3));
        }
      }
    }
    assertEquals(4, out.size(), reference + " lacks a commit, input, as-of or settings line: " + out);
    return out;
  }

  private static Path resource(String name) throws URISyntaxException {
    var url = PublishedOutputIT.class.getResource(RESOURCES + name);
    assertTrue(url != null, RESOURCES + name + " is not on the test classpath");
    return Path.of(url.toURI());
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}

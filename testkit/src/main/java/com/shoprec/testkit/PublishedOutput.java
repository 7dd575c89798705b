package com.shoprec.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;

/**
 * What a published run put in Postgres and Redis, as a canonical dump that two runs can be compared by, byte
 * for byte: the check that a change of the batch's code leaves its output unchanged (issue #23).
 *
 * <p><b>Which run.</b> The run {@code recommendation_current_run} names (as {@code PostgresStore.currentRun});
 * the Redis live-run pointer ({@code shoprec:live_run} after the namespace, as {@code RedisKeys}) must name
 * the same run, else nothing is dumped. Meant for stores that hold that one run (fresh embedded stores).
 *
 * <p><b>What.</b> One file per Postgres base table with a {@code run_id} column (found in the catalog: the run
 * log {@code recommendation_job_log}, {@code recommendation_current_run}, every output table of
 * {@code sql/schema.sql}, and any added later), with that run's rows ({@link PostgresDump}); one file per Redis
 * key kind with every key of the store ({@link RedisDump}): the run's payload keys by prefix, the run info
 * {@code shoprec:run:<run>} as kind {@code shoprec_run}, and the pointer and the published-runs list as kind
 * {@code global}. Rows and keys are sorted; {@code digests.txt} has each file's line count and SHA-256.
 *
 * <p><b>Normalized</b> (replaced by a placeholder), because it differs between two runs of the same code on
 * the same input and settings, and nothing else:
 * <ul>
 *   <li>the run id ({@code {run}}): every {@code run_id} column; in Redis keys; the pointer's value and the
 *       published-runs list's element equal to it; {@code "run_id":"<run>"} in values (the run info). It is
 *       {@code <week>_<n>} with n counting the week's earlier runs in the log, so it depends on the store's
 *       history, not on the code;</li>
 *   <li>times taken from the clock ({@code {time}}, NULL stays NULL): the run log's {@code started_at},
 *       {@code finished_at}, {@code published_at}, {@code purged_at}; {@code recommendation_current_run.published_at};
 *       any column named {@code created_at} or whose default is {@code now()} (e.g. {@code evaluation_results});</li>
 *   <li>the run log's {@code stage_timings}: each stage's milliseconds ({@code {ms}}); the stage names stay;</li>
 *   <li>the run log's {@code parameters}: values of keys ending in {@code url} ({@code {url}}: the embedded
 *       stores' ports differ per run) and of keys ending in {@code path} or {@code dir} reduced to their last
 *       path segment (where the input file lies is not the run's content); every other setting stays;</li>
 *   <li>in Redis values: {@code "generated_at":"<t>"} (and a profile's {@code "list_generated_at":"<t>"}) where t
 *       is exactly the run's generation time (from its
 *       run info: payloads carry the run's start time, see {@code PayloadWriter} and
 *       {@code RedisPayloads.RunStamp}), as {@code {generated_at}}, and the run info's {@code "published_at"};</li>
 *   <li>Redis TTLs: kept as the remaining time rounded up to whole hours (so dump within an hour of the run).</li>
 * </ul>
 * Every other value is kept as stored: Postgres' exact text of each value (floats printed shortest-exact),
 * Redis values as their bytes' UTF-8 text. Data-derived times (e.g. {@code customer_segments.last_order_at},
 * the week, {@code as_of}) are not normalized: pass the same {@code --as-of} to both runs.
 *
 * <p>{@code main}: {@code dump JDBC_URL REDIS_URL DIR [NAMESPACE]}; {@code compare A B [RERUN_OF_A]} (each a
 * dump directory or a digests file: prints a report per part, exits 0 only when every part is identical; see
 * {@link DumpComparison}); {@code digests DUMP OUT [COMMENT…]} (writes DUMP's digests with comment lines, a
 * reference to compare later runs against).
 */
public final class PublishedOutput {

  private PublishedOutput() {}

  /** The result of a comparison: identical or not, the parts that differ, and the printed report. */
  public record Comparison(boolean identical, List<String> different, List<String> nondeterministic, String report) {}

  /**
   * Dumps the published run into {@code dir} (created if missing).
   *
   * @param namespace the Redis key namespace, "" for none
   * @return the run id that was dumped
   * @throws IllegalStateException when no run is current, or Postgres and Redis name different runs
   */
  public static String dump(String jdbcUrl, String redisUrl, String namespace, Path dir) {
    try {
      Files.createDirectories(dir);
      Properties props = new Properties();
      props.setProperty("prepareThreshold", "0"); // text results only: the same text for every execution
      try (Connection c = DriverManager.getConnection(jdbcUrl, props);
           Jedis jedis = new Jedis(URI.create(redisUrl))) {
        String runId = PostgresDump.currentRun(c);
        List<String> live = jedis.mget(RedisDump.liveRunPointer(namespace)).stream().toList();
        String redisRun = live.get(0);
        if (runId == null || !runId.equals(redisRun)) {
          throw new IllegalStateException("not one published run: Postgres' current run is " + runId
              + ", Redis' live run is " + redisRun);
        }
        Map<String, DumpFormat.Part> parts = new TreeMap<>(PostgresDump.dump(c, runId, dir));
        parts.putAll(RedisDump.dump(jedis, namespace, runId, dir));
        DumpFormat.writeDigests(dir.resolve(DumpFormat.DIGESTS), List.of("run " + runId), parts);
        return runId;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the run from Postgres: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Compares dump (or digests file) {@code a} with {@code b}; {@code rerunOfA}, may be null, is a rerun of A. */
  public static Comparison compare(Path a, Path b, Path rerunOfA) {
    List<DumpComparison.PartResult> results = DumpComparison.compare(a, b, rerunOfA);
    List<String> different = new ArrayList<>();
    List<String> nondeterministic = new ArrayList<>();
    for (DumpComparison.PartResult r : results) {
      if (r.verdict() != DumpComparison.Verdict.IDENTICAL) {
        different.add(r.part());
      }
      if (r.rerunDiffers()) {
        nondeterministic.add(r.part());
      }
    }
    return new Comparison(DumpComparison.allIdentical(results), different, nondeterministic,
        DumpComparison.report(results));
  }

  /** Writes the digests of {@code dump} to {@code out}, with {@code comments} as comment lines first. */
  public static void writeDigests(Path dump, Path out, List<String> comments) {
    DumpFormat.writeDigests(out, comments, DumpComparison.digests(dump));
  }

  public static void main(String[] args) {
    try {
      if (args.length >= 4 && args.length <= 5 && args[0].equals("dump")) {
        String run = dump(args[1], args[2], args.length == 5 ? args[4] : "", Path.of(args[3]));
        System.out.println("dumped run " + run + " to " + args[3]);
        return;
      }
      if (args.length >= 3 && args.length <= 4 && args[0].equals("compare")) {
        Comparison c = compare(Path.of(args[1]), Path.of(args[2]), args.length == 4 ? Path.of(args[3]) : null);
        System.out.print(c.report());
        System.exit(c.identical() ? 0 : 1);
      }
      if (args.length >= 3 && args[0].equals("digests")) {
        writeDigests(Path.of(args[1]), Path.of(args[2]), Arrays.asList(args).subList(3, args.length));
        return;
      }
    } catch (RuntimeException e) {
      System.err.println("PublishedOutput: " + e.getMessage());
      System.exit(2);
    }
    System.err.println("usage: PublishedOutput dump JDBC_URL REDIS_URL DIR [NAMESPACE]\n"
        + "       PublishedOutput compare A B [RERUN_OF_A]    (a dump directory or a digests file each)\n"
        + "       PublishedOutput digests DUMP OUT [COMMENT...]");
    System.exit(2);
  }
}

package com.shoprec.jobs;

import com.shoprec.jobs.store.redis.RedisSettings;
import com.shoprec.jobs.store.postgres.PostgresSettings;
import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.store.postgres.PostgresStore;
import com.shoprec.jobs.store.postgres.PostgresTarget;
import com.shoprec.jobs.store.redis.RedisPublisher;
import com.shoprec.jobs.store.redis.RedisTarget;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** Operator commands that need the stores but no Spark: {@code --status} and {@code --rollback}. */
final class Operations {

  private static final List<String> STATUS_COLUMNS = List.of("run_id", "status", "is_current", "started_at",
      "duration_seconds", "input_rows", "rejected_rows", "error");

  private Operations() {}

  /**
   * Prints the last ten runs of the job log, after marking runs abandoned by dead processes as failed
   * (their Redis keys are deleted by the next run).
   */
  static int status(JobSettings settings, PrintStream out) {
    try (PostgresStore pg = PostgresStore.connect(postgres(settings))) {
      pg.schema().ensure();
      for (String run : pg.runLog().failAbandonedRuns()) {
        out.println("run " + run + " was left running by a process that ended: marked failed");
      }
      List<Map<String, Object>> runs = pg.publication().recentRuns(10);
      out.println(String.join("\t", STATUS_COLUMNS));
      for (Map<String, Object> run : runs) {
        StringBuilder line = new StringBuilder();
        for (String column : STATUS_COLUMNS) {
          Object value = run.get(column);
          String text = value == null ? "" : value.toString().replace('\n', ' ').replace('\t', ' ');
          line.append(line.length() == 0 ? "" : "\t").append(text.length() > 120 ? text.substring(0, 117) + "..." : text);
        }
        out.println(line);
      }
      if (runs.isEmpty()) {
        out.println("(no runs yet)");
      }
    }
    return RecommendationJob.EXIT_OK;
  }

  /**
   * Makes the previous completed run live again: one Postgres transaction marks it current (and the replaced
   * run rolled back), and inside it the Redis pointer moves back, so both stores switch together.
   */
  static int rollback(JobSettings settings, PrintStream out) {
    try (PostgresStore pg = PostgresStore.connect(postgres(settings))) {
      pg.schema().ensure();
      String current = pg.publication().currentRun().orElseThrow(() -> new IllegalStateException("no run is current: nothing to roll back"));
      String previous = pg.publication().previousCompletedRun().orElseThrow(() ->
          new IllegalStateException("no completed run before " + current + " whose rows are still kept"));
      RedisPublisher redis = redis(settings);
      redis.checkReachable();
      pg.publication().rollbackTo(previous, () -> redis.pointTo(previous));
      out.println("rolled back from " + current + " to " + previous);
    }
    return RecommendationJob.EXIT_OK;
  }

  static PostgresTarget postgres(JobSettings settings) {
    PostgresSettings p = settings.postgres();
    return new PostgresTarget(p.url(), p.user(), JobSettings.secret(p.passwordEnv(), p.passwordFile(),
        "shoprec.postgres.password-file"));
  }

  static RedisPublisher redis(JobSettings settings) {
    RedisSettings r = settings.redis();
    RedisTarget target = RedisTarget.parse(r.url(),
        JobSettings.secret(r.passwordEnv(), r.passwordFile(), "shoprec.redis.password-file"), r.timeoutMillis());
    return new RedisPublisher(target, new RedisKeys(r.namespace()), Math.toIntExact(r.ttlDays() * 86_400L),
        r.pipelineBatch());
  }
}

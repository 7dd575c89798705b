package com.shoprec.jobs;

import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.gates.QualityGates;
import com.shoprec.jobs.input.ValidatedOrders;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.publish.RedisPayloads;
import com.shoprec.jobs.store.postgres.PostgresStore;
import com.shoprec.jobs.store.redis.RedisPublisher;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes computed runs so that readers see all of a run or none of it, and a failure at any point leaves the
 * previous run serving.
 *
 * <p>The order, chosen for that: {@link #begin} records the run in the job log (under the run lock: one run at a
 * time) and cleans what failed runs left; {@link #publish} loads the Postgres rows under the new run id (invisible
 * to the {@code current_} views), then writes every Redis key under run-scoped names and counts the written keys
 * against what was built; only then one Postgres transaction marks the run current and, inside it, the Redis
 * pointer is switched, so both stores switch together or not at all. Retention follows and never fails a
 * published run. {@link #abandon} undoes a failed run: its log row says why, its rows and keys go.
 */
final class Publisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  private final JobSettings settings;
  private final PostgresStore pg;
  private final RedisPublisher redis;

  private Publisher(JobSettings settings, PostgresStore pg, RedisPublisher redis) {
    this.settings = settings;
    this.pg = pg;
    this.redis = redis;
  }

  /**
   * Connects to both stores, creating the schema where missing.
   *
   * @throws com.shoprec.jobs.store.postgres.StoreUnavailableException or
   *     {@link com.shoprec.jobs.store.redis.RedisUnavailableException} when a store cannot be reached
   */
  static Publisher open(JobSettings settings) {
    PostgresStore pg = PostgresStore.connect(Operations.postgres(settings));
    try {
      pg.schema().ensure();
      RedisPublisher redis = Operations.redis(settings);
      redis.checkReachable();
      return new Publisher(settings, pg, redis);
    } catch (RuntimeException e) {
      pg.close();
      throw e;
    }
  }

  /**
   * Starts a run in the job log and returns its id; from here on the run's stages are recorded there too.
   *
   * @throws com.shoprec.jobs.store.postgres.RunInProgressException when another run holds the lock
   */
  String begin(RunWindow window, ValidatedOrders input, Stages stages) {
    String runId = pg.runLog().beginRun(window.week(), window.asOf(), settings.describe());
    deleteKeysOfFailedRuns();
    stages.onEnd((stage, ms) -> pg.runLog().recordStage(runId, stage, ms));
    pg.runLog().recordInput(runId, input.inputRows(), input.usedRows(), input.rejectedRows(), input.rejects());
    return runId;
  }

  /** customer_id, product_id of the live run's lists, read from Postgres; empty when no run is live. */
  Optional<Dataset<Row>> liveLists(SparkSession spark) {
    return pg.publication().currentRun().map(run -> {
      Properties props = new Properties();
      if (pg.target().user() != null) {
        props.put("user", pg.target().user());
      }
      if (pg.target().password() != null) {
        props.put("password", pg.target().password());
      }
      // Named, because Spark's DriverManager lookup cannot see a driver that came in the application jar
      // (spark-submit loads it in a child class loader): "No suitable driver" on any spark-submit run.
      props.put("driver", org.postgresql.Driver.class.getName());
      String query = "(SELECT customer_id, product_id FROM weekly_recommendations WHERE run_id = '"
          + RedisKeys.checkRunId(run) + "') previous_lists";
      return spark.read().jdbc(pg.target().jdbcUrl(), query, props);
    });
  }

  /** Records the gates' results, and whether {@code --force} published the run although one failed. */
  void recordGates(String runId, WeeklyComputation.Computed run, boolean forced) {
    pg.runLog().recordGates(runId, QualityGates.json(run.gates()), forced);
  }

  /** The run's stamp in every Redis value: namespace, run id, week, when it began. */
  RedisPayloads.RunStamp stamp(String runId, RunWindow window, Instant started) {
    return new RedisPayloads.RunStamp(settings.redis().namespace(), runId, window.week(), started.getEpochSecond());
  }

  /**
   * Publishes a computed run in the order above; returns the rows written per table, plus {@code redis_keys}.
   *
   * @throws IllegalStateException when Redis took fewer keys than were built (nothing is switched)
   */
  Map<String, Long> publish(String runId, WeeklyComputation.Computed run, WeeklyComputation.Payloads payloads,
      RedisPayloads.RunStamp stamp, ValidatedOrders input, Stages stages) {
    Map<String, Long> outputs = new LinkedHashMap<>(run.outputs());
    stages.run("postgres", () -> {
      run.tables().forEach((table, rows) -> outputs.put(table, pg.runTables().copy(rows, table, runId)));
      pg.runTables().copyRejectSample(runId, input.rejectSample());
      stages.rows("postgres", run.tables().keySet().stream().mapToLong(outputs::get).sum());
    });
    long built = payloads.keys();
    stages.run("redis", () -> {
      long written = redis.write(payloads.all());
      if (written != built) {
        throw new IllegalStateException("Redis: wrote " + written + " keys of " + built + "; not publishing");
      }
      outputs.put("redis_keys", written);
      stages.rows("redis", written);
    });
    pg.runLog().recordOutputs(runId, outputs);
    stages.run("switch", () -> pg.publication().publish(runId,
        () -> redis.switchLive(runId, RedisPayloads.runInfo(stamp, payloads.counts(), run.summary(), Instant.now()))));
    LOG.info("run {} published: {}", runId, outputs);
    retain();
    return outputs;
  }

  /** A failed run: its log row says why, its rows and keys go, and the previous run stays live. */
  void abandon(String runId, RuntimeException cause) {
    String message = cause.getClass().getSimpleName() + ": " + JobSettings.mask(String.valueOf(cause.getMessage()));
    try {
      if (redis.liveRun().filter(runId::equals).isPresent()) {
        redis.previousRun().ifPresent(redis::pointTo);
      }
    } catch (RuntimeException e) {
      LOG.warn("could not check the Redis pointer after the failure: {}", e.toString());
    }
    try {
      pg.runLog().fail(runId, message);
    } catch (RuntimeException e) {
      LOG.warn("could not record the failure of run {}: {}", runId, e.toString());
    }
    try {
      redis.deleteRun(runId);
    } catch (RuntimeException e) {
      LOG.warn("could not delete the keys of failed run {} (they expire with their TTL): {}", runId, e.toString());
    }
  }

  @Override
  public void close() {
    pg.close();
  }

  /** Retention never fails a published run: it is logged and retried next time. */
  private void retain() {
    try {
      pg.runTables().retain(settings.postgres().keepRuns());
      redis.retain(settings.redis().keepRuns());
    } catch (RuntimeException e) {
      LOG.warn("retention of old runs failed (the new run is published): {}", e.toString());
    }
  }

  /**
   * Deletes the Redis keys that failed runs may have left: a run that failed while Redis was down, or was
   * killed, or lost Postgres (marked failed by {@link com.shoprec.jobs.store.postgres.RunLog#beginRun}), could not delete its own.
   * Retention purges a failed run after the next publish, so each is cleaned until a run publishes.
   * Best effort: what is left expires with its TTL.
   */
  private void deleteKeysOfFailedRuns() {
    for (String failed : pg.runLog().unpurgedFailedRuns()) {
      try {
        long n = redis.deleteRun(failed);
        if (n > 0) {
          LOG.info("deleted {} Redis keys left by failed run {}", n, failed);
        }
      } catch (RuntimeException e) {
        LOG.warn("could not delete the Redis keys of failed run {} (they expire with their TTL): {}", failed,
            e.toString());
      }
    }
  }
}

package com.shoprec.jobs;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.gates.GateFailedException;
import com.shoprec.jobs.gates.QualityGates;
import com.shoprec.jobs.input.CustomerAttributes;
import com.shoprec.jobs.input.OrdersReader;
import com.shoprec.jobs.input.ValidatedOrders;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.publish.RedisPayloads;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One weekly run: read and validate the orders, compute the run ({@link WeeklyComputation}), check its quality
 * gates, and publish it ({@link Publisher}) unless this is a dry run, which reads no store and writes none.
 * A gate that fails stops the run before anything is published, unless {@code force}.
 */
public final class WeeklyRun {

  private static final Logger LOG = LoggerFactory.getLogger(WeeklyRun.class);

  /**
   * What a run did. {@code runId} is null for a dry run; {@code outputs}: rows per table and the other counts of
   * {@link WeeklyComputation.Computed#outputs}, plus {@code redis_keys} when published.
   */
  public record Outcome(String runId, String week, LocalDate asOf, long inputRows, long usedRows,
      Map<String, Long> rejects, Map<String, Long> outputs, boolean published, Map<String, Long> stageMillis,
      String stageMetricsJson) {}

  private final SparkSession spark;
  private final JobSettings settings;
  private final boolean dryRun;
  private final boolean force;
  private final Instant started = Instant.now();
  private final Stages stages = new Stages();

  /** {@code force}: publish even when a quality gate fails (recorded in the job log). */
  public WeeklyRun(SparkSession spark, JobSettings settings, boolean dryRun, boolean force) {
    this.spark = spark;
    this.settings = settings;
    this.dryRun = dryRun;
    this.force = force;
  }

  /** Adds a watcher of the run's stages: the progress on the terminal, the heap sampler of the benches. */
  WeeklyRun listen(Stages.Listener listener) {
    stages.listen(listener);
    return this;
  }

  public Outcome execute() {
    try {
      Dataset<Row> raw = stages.run("read", () -> OrdersReader.read(spark, settings.input()));
      if (dryRun) {
        return run(raw, null);
      }
      try (Publisher publisher = Publisher.open(settings)) {
        return run(raw, publisher);
      }
    } finally {
      stages.close();
      // Everything the run cached (input, base tables, every model's results), successful or not.
      spark.catalog().clearCache();
    }
  }

  /** Computes the run and, with a publisher, publishes it. */
  private Outcome run(Dataset<Row> raw, Publisher publisher) {
    ValidatedOrders input = stages.run("validate", () -> {
      ValidatedOrders v = ValidatedOrders.of(raw, settings.input(), settings.asOf(), settings.activeDays());
      stages.rows("validate", v.inputRows());
      return v;
    });
    stages.rows("read", input.inputRows());
    // The customers file, read and checked before a run is begun: a bad one stops the job with nothing logged.
    CustomerAttributes attributes = settings.customers().path() == null ? null : stages.run("customers", () -> {
      CustomerAttributes a = OrdersReader.readCustomerAttributes(spark, settings.customers());
      stages.rows("customers", a.rows());
      LOG.info("customers file: {} rows, {} left out {}", a.rows(), a.rejected(), a.rejects());
      return a;
    });
    // From here on, as many shuffle partitions as the input needs (the session's value again after the run).
    String sessionPartitions = spark.conf().get(RecommendationJob.SHUFFLE_PARTITIONS);
    int partitions = RecommendationJob.shufflePartitions(Integer.parseInt(sessionPartitions), input.usedRows(),
        settings.linesPerShufflePartition());
    RunWindow window = new RunWindow(input.asOf(), ZoneId.of(settings.input().timezone()), settings.activeDays());
    String runId = publisher == null ? null : publisher.begin(window, input, stages);
    LOG.info("run {}: week {}, as of {}, {} input rows, {} used, rejected {}", runId == null ? "(dry run)" : runId,
        window.week(), window.asOf(), input.inputRows(), input.usedRows(), input.rejects());
    try {
      spark.conf().set(RecommendationJob.SHUFFLE_PARTITIONS, partitions);
      LOG.info("{} shuffle partitions for {} order lines (the session's: {})", partitions, input.usedRows(),
          sessionPartitions);
      WeeklyComputation computation = new WeeklyComputation(spark, settings, stages);
      Optional<Dataset<Row>> live = publisher == null ? Optional.empty() : publisher.liveLists(spark);
      WeeklyComputation.Computed run = computation.compute(input, attributes, window, live);
      boolean forced = !run.gatesPassed() && force && publisher != null;
      if (publisher != null) {
        publisher.recordGates(runId, run, forced);
      }
      if (!run.gatesPassed()) {
        if (!forced) {
          throw new GateFailedException(QualityGates.failed(run.gates()));
        }
        LOG.warn("publishing run {} although quality gates failed (--force): {}", runId,
            QualityGates.failed(run.gates()));
      }
      Map<String, Long> outputs = run.outputs();
      if (publisher != null) {
        RedisPayloads.RunStamp stamp = publisher.stamp(runId, window, started);
        // Every Redis value is built and counted before anything is published: the publishing stages then only
        // move bytes, and the time during which a failure leaves a half-written run is as short as it can be.
        WeeklyComputation.Payloads payloads = stages.run("payloads", () -> {
          WeeklyComputation.Payloads p = computation.payloads(run, stamp);
          stages.rows("payloads", p.keys());
          return p;
        });
        outputs = publisher.publish(runId, run, payloads, stamp, input, stages);
      }
      return new Outcome(runId, window.week(), window.asOf(), input.inputRows(), input.usedRows(), input.rejects(),
          outputs, publisher != null, stages.timings(), stages.metricsJson());
    } catch (RuntimeException e) {
      if (publisher != null) {
        publisher.abandon(runId, e);
      }
      throw e;
    } finally {
      spark.conf().set(RecommendationJob.SHUFFLE_PARTITIONS, sessionPartitions);
    }
  }
}

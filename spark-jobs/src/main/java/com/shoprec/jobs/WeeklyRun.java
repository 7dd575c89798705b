package com.shoprec.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.gates.GateFailedException;
import com.shoprec.jobs.gates.QualityGates;
import com.shoprec.jobs.input.InputException;
import com.shoprec.jobs.input.OrderValidation;
import com.shoprec.jobs.input.OrdersReader;
import com.shoprec.jobs.model.AlsFactors;
import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.model.Cooccurrence;
import com.shoprec.jobs.model.Discovery;
import com.shoprec.jobs.model.Ease;
import com.shoprec.jobs.model.NextNew;
import com.shoprec.jobs.model.Joins;
import com.shoprec.jobs.model.JaccardNeighbours;
import com.shoprec.jobs.model.ProductAudience;
import com.shoprec.jobs.model.ListAssembler;
import com.shoprec.jobs.model.Popularity;
import com.shoprec.jobs.model.RepurchaseScore;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.model.Segments;
import com.shoprec.jobs.model.SharedPreferences;
import com.shoprec.jobs.model.WeeklyLists;
import com.shoprec.jobs.publish.RedisPayloads;
import com.shoprec.jobs.store.postgres.PostgresStore;
import com.shoprec.jobs.store.redis.RedisPublisher;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One weekly run: read and validate the orders, compute the models and the lists, then publish them so
 * that readers see all of the run or none of it.
 *
 * <p>Publish order, chosen so that a failure at any point leaves the previous run serving: Postgres rows
 * are loaded under the new run id (invisible to the current_ views), then every Redis key under run-scoped
 * names; the written keys are counted against what was built; only then one Postgres transaction marks
 * the run current and, inside it, the Redis pointer is switched, so both stores switch together or not at
 * all.
 */
public final class WeeklyRun {

  private static final Logger LOG = LoggerFactory.getLogger(WeeklyRun.class);

  /** What a run did. {@code runId} is null for a dry run. */
  public record Outcome(String runId, String week, LocalDate asOf, long inputRows, long usedRows,
      Map<String, Long> rejects, Map<String, Long> outputs, boolean published, Map<String, Long> stageMillis,
      String stageMetricsJson) {}

  private final SparkSession spark;
  private final JobSettings settings;
  private final boolean dryRun;
  private final Instant started = Instant.now();
  private final Stages stages = new Stages();

  private final boolean force;

  /** {@code force}: publish even when a quality gate fails (recorded in the job log). */
  public WeeklyRun(SparkSession spark, JobSettings settings, boolean dryRun, boolean force) {
    this.spark = spark;
    this.settings = settings;
    this.dryRun = dryRun;
    this.force = force;
  }

  public Outcome execute() {
    try {
      Dataset<Row> raw = stages.run("read", () -> OrdersReader.read(spark, settings.input()));
      if (dryRun) {
        return compute(raw, null, null);
      }
      try (PostgresStore pg = PostgresStore.connect(Operations.postgres(settings))) {
        pg.schema().ensure();
        RedisPublisher redis = Operations.redis(settings);
        redis.checkReachable();
        return compute(raw, pg, redis);
      }
    } finally {
      stages.close();
    }
  }

  private Outcome compute(Dataset<Row> raw, PostgresStore pg, RedisPublisher redis) {
    Validated input = stages.run("validate", () -> {
      try {
        return validate(raw);
      } catch (InputException e) {
        throw e;
      } catch (Exception e) { // a SparkException reading a truncated or corrupt file becomes an input error
        throw OrdersReader.readFailure(settings.input(), e);
      }
    });
    stages.rows("read", input.inputRows());
    stages.rows("validate", input.inputRows());
    RunWindow window = new RunWindow(input.asOf(), ZoneId.of(settings.input().timezone()), settings.activeDays());
    String runId = pg == null ? null : pg.runLog().beginRun(window.week(), window.asOf(), settings.describe());
    if (pg != null) {
      deleteKeysOfFailedRuns(pg, redis);
      stages.onEnd((stage, ms) -> pg.runLog().recordStage(runId, stage, ms));
      pg.runLog().recordInput(runId, input.inputRows(), input.usedRows(), input.inputRows() - input.usedRows(), input.rejects());
    }
    LOG.info("run {}: week {}, as of {}, {} input rows, {} used, rejected {}", runId == null ? "(dry run)" : runId,
        window.week(), window.asOf(), input.inputRows(), input.usedRows(), input.rejects());
    try {
      return computeAndPublish(input, window, runId, pg, redis);
    } catch (RuntimeException e) {
      if (pg != null) {
        abandon(runId, e, pg, redis);
      }
      throw e;
    } finally {
      // Everything this run cached (input, base tables, every model's results), successful or not.
      spark.catalog().clearCache();
    }
  }

  private Outcome computeAndPublish(Validated input, RunWindow window, String runId, PostgresStore pg,
      RedisPublisher redis) {
    Dataset<Row> history = input.classified().where(col(OrderValidation.REASON).isNull())
        .select("order_id", "customer_id", "product_id", "ts", "quantity", "price");
    BaseTables base = stages.run("base_tables", () -> {
      BaseTables b = BaseTables.build(history, window, settings).cache();
      LOG.info("base tables: {} customer-product pairs, {} customers", b.customerProducts().count(), b.customers().count());
      b.orderLines().count();
      input.release();
      return b;
    });
    stages.rows("base_tables", input.usedRows());
    Dataset<Row> repurchase = RepurchaseScore.candidates(base.customerProducts(), settings.repurchase()).cache();
    AlsFactors.ensureCheckpointDir(spark, settings.als());

    // The catalog feeds popularity per category and is stored with the run (product names for analysts).
    Dataset<Row> catalog = settings.catalog().path() == null ? null
        : OrdersReader.readCatalog(spark, settings.catalog()).cache();
    Models m;
    try (ModelRunner runner = new ModelRunner(spark, stages, settings.parallelModels());
        SharedPreferences preferences = new SharedPreferences(base)) {
      Future<Dataset<Row>> segmentsF = runner.submit("segments", () -> {
        Dataset<Row> seg = withoutLineage(Segments.compute(base.customers(), settings.segments()).segments());
        LOG.info("segments: {}", Segments.counts(seg));
        return seg;
      });
      JobSettings.Popularity pop = settings.popularity();
      Future<Dataset<Row>> popularF = runner.submit("popularity", () -> withoutLineage(Popularity.compute(
          base.orderLines(), ModelRunner.get(segmentsF), catalog, pop.halfLifeDays(), pop.windowDays(),
          pop.listSize())));
      Future<JaccardNeighbours.Result> neighboursF = runner.submit("neighbours", () -> {
        JaccardNeighbours.Result r = JaccardNeighbours.compute(base.customerProducts(), settings.neighbours());
        return new JaccardNeighbours.Result(withoutLineage(r.neighbours()), r.stats());
      });
      Future<AlsFactors.Result> alsF = runner.submit("als", () -> {
        AlsFactors.Result r = AlsFactors.train(preferences.of(settings.als().preferenceHalfLifeDays()), settings.als(),
            settings.audience().alsCandidates());
        return new AlsFactors.Result(withoutLineage(r.customerFactors()), withoutLineage(r.productFactors()),
            withoutLineage(r.forCustomers()), withoutLineage(r.forProducts()));
      });
      Future<Cooccurrence.Result> cooccurrenceF = runner.submit("cooccurrence", () -> {
        Cooccurrence.Result r = Cooccurrence.compute(base.orderLines(), settings.cooccurrence());
        Dataset<Row> pairs = withoutLineage(r.pairs());
        r.pairs().unpersist(); // the model's own cached copy
        return new Cooccurrence.Result(pairs, r.stats());
      });
      // EASE only when discovery weighs it: its matrix inversion on the driver is the dearest step otherwise idle.
      Future<Dataset<Row>> easeF = runner.submit("ease", () -> settings.discovery().easeWeight() == 0
          ? Ease.none(spark)
          : Ease.forCustomers(preferences.of(settings.ease().preferenceHalfLifeDays()),
              base.customerProducts(), base.customers().where(col("active")), settings.ease()));
      Future<Dataset<Row>> nextNewF = runner.submit("next-new", () -> settings.discovery().nextNewWeight() == 0
          ? Ease.none(spark)
          : NextNew.forCustomers(base.orderLines(), base.customerProducts(), base.customers().where(col("active")),
              settings.nextNew()));
      Future<Dataset<Row>> audienceF = runner.submit("audience", () -> withoutLineage(ProductAudience.compute(
          ModelRunner.get(alsF).forProducts(), repurchase, settings.audience())));
      m = new Models(ModelRunner.get(segmentsF), ModelRunner.get(popularF), ModelRunner.get(neighboursF),
          ModelRunner.get(alsF), ModelRunner.get(cooccurrenceF), ModelRunner.get(easeF), ModelRunner.get(nextNewF),
          ModelRunner.get(audienceF));
    }
    List<Row> popularRows = m.popular().collectAsList();

    Dataset<Row> active = m.segments().where(col("last_order_at").geq(lit(window.activeSince())))
        .select("customer_id", "segment");
    if (settings.limit() > 0) {
      active = active.orderBy("customer_id").limit(settings.limit());
    }
    Dataset<Row> activeCustomers = active.cache();
    ListAssembler assembler = new ListAssembler(settings.listSize(), settings.segments().discoveryShare(),
        overallPopular(popularRows));
    Dataset<Row> lists = stages.run("lists", () -> {
      Dataset<Row> discovery = Discovery.candidates(activeCustomers, m.neighbours().neighbours(),
          base.customerProducts(), m.als().forCustomers(), m.cooccurrence().pairs(),
          m.popular().where(col("scope").equalTo(RedisKeys.PopularScope.all())), m.ease(), m.nextNew(),
          settings.discovery());
      Dataset<Row> l = withoutLineage(WeeklyLists.build(activeCustomers, repurchase, discovery,
          base.customerProducts(), assembler, settings.listSize()));
      LOG.info("lists: {} active customers", l.count());
      return l;
    });
    // Spread over the cores: the lists are few and small, so Spark gathers them in one partition, and the COPY
    // of their rows (one connection per partition) would then load the largest table alone.
    Dataset<Row> weeklyRows = WeeklyLists.rows(lists, window.week())
        .repartition(spark.sparkContext().defaultParallelism()).cache();

    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    tables.put("customer_segments", m.segments());
    tables.put("popular_products", m.popular());
    tables.put("similar_customers", m.neighbours().neighbours());
    tables.put("item_cooccurrence", m.cooccurrence().pairs());
    tables.put("als_customer_factors", m.als().customerFactors());
    tables.put("als_product_factors", m.als().productFactors());
    tables.put("product_audience", m.audience());
    tables.put("weekly_recommendations", weeklyRows);
    if (catalog != null) {
      tables.put("product_catalog", catalog);
    }
    Map<String, Long> outputs = new LinkedHashMap<>();
    tables.forEach((table, rows) -> outputs.put(table, rows.count()));
    outputs.put("customer_lists", lists.count());
    outputs.put("discovery_items", weeklyRows.where(col("source").equalTo(PayloadWriter.SOURCE_DISCOVERY)).count());
    stages.rows("segments", outputs.get("customer_segments"));
    stages.rows("popularity", outputs.get("popular_products"));
    stages.rows("neighbours", outputs.get("similar_customers"));
    stages.rows("als", outputs.get("als_customer_factors") + outputs.get("als_product_factors"));
    stages.rows("cooccurrence", outputs.get("item_cooccurrence"));
    stages.rows("audience", outputs.get("product_audience"));
    stages.rows("ease", m.ease().count());
    stages.rows("next-new", m.nextNew().count());
    stages.rows("lists", outputs.get("customer_lists"));
    stages.rows("gates", outputs.get("weekly_recommendations"));

    List<QualityGates.Check> gates = stages.run("gates", () -> checkGates(input, base, lists, weeklyRows, pg));
    LOG.info("quality gates: {}", gates);
    if (pg != null) {
      pg.runLog().recordGates(runId, QualityGates.json(gates), force && !QualityGates.allPassed(gates));
    }
    if (!QualityGates.allPassed(gates)) {
      if (!force || pg == null) {
        throw new GateFailedException(QualityGates.failed(gates));
      }
      LOG.warn("publishing run {} although quality gates failed (--force): {}", runId, QualityGates.failed(gates));
    }

    boolean published = false;
    if (pg != null) {
      RedisPayloads.RunStamp stamp = new RedisPayloads.RunStamp(settings.redis().namespace(), runId, window.week(),
          started.getEpochSecond());
      // Every Redis value is built and counted before anything is published: the publishing stages then only
      // move bytes, and the time during which a failure leaves a half-written run is as short as it can be.
      Payloads payloads = stages.run("payloads", () -> payloads(m, lists, popularRows, stamp,
          outputs.get("customer_lists")));
      long built = payloads.keys();
      stages.rows("payloads", built);
      stages.run("postgres", () -> {
        tables.forEach((table, rows) -> outputs.put(table, pg.runTables().copy(rows, table, runId)));
        pg.runTables().copyRejectSample(runId, input.rejectSample());
        stages.rows("postgres", tables.keySet().stream().mapToLong(outputs::get).sum());
      });
      stages.run("redis", () -> {
        long written = redis.write(unionAll(payloads.byKind().values()));
        if (written != built) {
          throw new IllegalStateException("Redis: wrote " + written + " keys of " + built + "; not publishing");
        }
        outputs.put("redis_keys", written);
        stages.rows("redis", written);
      });
      pg.runLog().recordOutputs(runId, outputs);
      stages.run("switch", () -> pg.publication().publish(runId,
          () -> redis.switchLive(runId, RedisPayloads.runInfo(stamp, payloads.counts(), Instant.now()))));
      published = true;
      LOG.info("run {} published: {}", runId, outputs);
      retain(pg, redis);
    }
    return new Outcome(runId, window.week(), window.asOf(), input.inputRows(), input.usedRows(), input.rejects(),
        outputs, published, stages.timings(), stages.metricsJson());
  }

  private List<QualityGates.Check> checkGates(Validated input, BaseTables base, Dataset<Row> lists,
      Dataset<Row> weeklyRows, PostgresStore pg) {
    long customers = lists.count();
    long full = lists.where(org.apache.spark.sql.functions.size(col("items")).geq(settings.listSize())).count();
    long historyProducts = base.customerProducts().select("product_id").distinct().count();
    long recommended = weeklyRows.select("product_id").distinct().count();
    Double overlap = null;
    java.util.Optional<String> previous = pg == null ? java.util.Optional.empty() : pg.publication().currentRun();
    if (previous.isPresent()) {
      Dataset<Row> before = previousLists(pg, previous.get());
      Dataset<Row> customersNow = weeklyRows.select("customer_id").distinct();
      Dataset<Row> comparable = before.join(customersNow, "customer_id");
      long total = comparable.count();
      if (total > 0) {
        overlap = (double) comparable.join(weeklyRows.select("customer_id", "product_id"),
            Joins.columns("customer_id", "product_id")).count() / total;
      }
    }
    return QualityGates.check(new QualityGates.Measures(customers, full, historyProducts, recommended,
        input.inputRows(), input.inputRows() - input.usedRows(), overlap), settings.gates());
  }

  /** The lists of the run now current, read from Postgres. */
  private Dataset<Row> previousLists(PostgresStore pg, String previousRun) {
    java.util.Properties props = new java.util.Properties();
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
        + RedisKeys.checkRunId(previousRun) + "') previous_lists";
    return spark.read().jdbc(pg.target().jdbcUrl(), query, props);
  }

  /** The models' results, all materialized. */
  private record Models(Dataset<Row> segments, Dataset<Row> popular, JaccardNeighbours.Result neighbours,
      AlsFactors.Result als, Cooccurrence.Result cooccurrence, Dataset<Row> ease, Dataset<Row> nextNew,
      Dataset<Row> audience) {}

  /** The run's Redis values (key, value rows) by kind, and how many keys each kind has. */
  private record Payloads(Map<String, Dataset<Row>> byKind, Map<String, Long> counts) {
    long keys() {
      return counts.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /**
   * The run's Redis values by kind, each computed, kept without lineage and counted: the customer lists, the
   * popular lists, similar products, product audiences and similar customers. Fails the run when the
   * customer lists do not number {@code customerLists}.
   */
  private Payloads payloads(Models m, Dataset<Row> lists, List<Row> popularRows, RedisPayloads.RunStamp stamp,
      long customerLists) {
    Map<String, Long> counts = new LinkedHashMap<>();
    Map<String, Dataset<Row>> out = new LinkedHashMap<>();
    out.put("weekly_recs", RedisPayloads.customerLists(lists, stamp));
    out.put("popular", RedisPayloads.popularLists(spark, popularRows, settings.listSize(), stamp));
    Dataset<Row> similarProducts = m.cooccurrence().pairs().select(col("product_id").as("subject"),
        col("other_product_id").as("item_id"),
        col(settings.cooccurrence().rankBy().name().toLowerCase(java.util.Locale.ROOT)).cast("double").as("score"),
        col("rank"), to_json(struct(col("co_count"), round(col("confidence"), 4).as("confidence"),
            round(col("lift"), 4).as("lift"))).as("reason"));
    out.put(PayloadKind.SIMILAR_PRODUCTS.keyPrefix(), RedisPayloads.lists(similarProducts, PayloadKind.SIMILAR_PRODUCTS,
        stamp));
    Dataset<Row> audience = m.audience().select(col("product_id").as("subject"), col("customer_id").as("item_id"),
        col("score"), col("rank"), col("reason"));
    out.put(PayloadKind.PRODUCT_AUDIENCE.keyPrefix(), RedisPayloads.lists(audience, PayloadKind.PRODUCT_AUDIENCE,
        stamp));
    Dataset<Row> neighbours = m.neighbours().neighbours().select(col("customer_id").as("subject"),
        col("similar_customer_id").as("item_id"), col("similarity").as("score"), col("rank"),
        to_json(struct(col("common_products"))).as("reason"));
    out.put(PayloadKind.SIMILAR_CUSTOMERS.keyPrefix(), RedisPayloads.lists(neighbours, PayloadKind.SIMILAR_CUSTOMERS,
        stamp));
    out.replaceAll((kind, kv) -> {
      Dataset<Row> built = withoutLineage(kv);
      counts.put(kind, built.count());
      return built;
    });
    if (counts.get("weekly_recs") != customerLists) {
      throw new IllegalStateException("Redis: built " + counts.get("weekly_recs") + " customer lists of "
          + customerLists + "; not publishing");
    }
    return new Payloads(out, counts);
  }

  /**
   * {@code rows} computed now and kept, with its lineage cut: the models' results, the lists and the Redis
   * values. A cached result would carry its whole plan (the lists' holds every model's) into every query that
   * reads it (the lists, the gates, the payloads, the COPY), and Spark writes a query's whole plan as text (tens
   * of megabytes here) on every update of every such query, which cost more than the queries themselves. A
   * local checkpoint: the blocks stay with the executors, as a cache does, and no files are left behind; losing
   * an executor after them then fails the run (a rerun recomputes) where a cache would recompute them.
   */
  private static Dataset<Row> withoutLineage(Dataset<Row> rows) {
    return rows.localCheckpoint(true);
  }

  private static Dataset<Row> unionAll(java.util.Collection<Dataset<Row>> parts) {
    Dataset<Row> all = null;
    for (Dataset<Row> part : parts) {
      all = all == null ? part : all.union(part);
    }
    return all;
  }

  /** Retention never fails a published run: it is logged and retried next time. */
  private void retain(PostgresStore pg, RedisPublisher redis) {
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
  private static void deleteKeysOfFailedRuns(PostgresStore pg, RedisPublisher redis) {
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

  /** A failed run: its log row says why, its rows and keys go, and the previous run stays live. */
  private void abandon(String runId, RuntimeException cause, PostgresStore pg, RedisPublisher redis) {
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

  /**
   * The validated input: the classified rows (a projection of {@code cached}, the typed rows, the only copy of
   * the input held in memory), the as-of day, counts and a reject sample.
   */
  record Validated(Dataset<Row> classified, Dataset<Row> cached, LocalDate asOf, long inputRows, long usedRows,
      Map<String, Long> rejects, List<String[]> rejectSample) {

    /** Frees the cached input, once the base tables hold what the models need of it. */
    void release() {
      cached.unpersist();
    }
  }

  private Validated validate(Dataset<Row> raw) {
    Dataset<Row> typed = OrderValidation.classify(raw, settings.input()).cache();
    ZoneId zone = ZoneId.of(settings.input().timezone());
    LocalDate asOf = settings.asOf().orElseGet(() -> {
      Row last = typed.where(col(OrderValidation.REASON).isNull()).agg(max(OrdersReader.TS)).first();
      if (last.isNullAt(0)) {
        return null;
      }
      return last.getTimestamp(0).toInstant().atZone(zone).toLocalDate().plusDays(1);
    });
    if (asOf == null) {
      Map<String, Long> rejects = rejectCounts(typed);
      typed.unpersist();
      throw new InputException("no usable order in " + describeInput() + ": every row was rejected " + rejects);
    }
    Timestamp asOfStart = new RunWindow(asOf, zone, settings.activeDays()).asOfStart();
    // Not cached: the as-of rule is a cheap projection of the cached typed rows, and a second cached copy of
    // the input would double the heap this stage holds (about 3.5 GiB more at 10 M lines).
    Dataset<Row> classified = OrderValidation.applyAsOf(typed, asOfStart);
    Map<String, Long> rejects = rejectCounts(classified);
    long input = classified.count();
    long rejected = rejects.values().stream().mapToLong(Long::longValue).sum();
    if (input == rejected) {
      throw new InputException("no usable order before " + asOf + " in " + describeInput() + ": " + rejects);
    }
    return new Validated(classified, typed, asOf, input, input - rejected, rejects, rejectSample(classified));
  }

  private static Map<String, Long> rejectCounts(Dataset<Row> classified) {
    Map<String, Long> counts = new TreeMap<>();
    for (Row r : classified.where(col(OrderValidation.REASON).isNotNull())
        .groupBy(OrderValidation.REASON).count().collectAsList()) {
      counts.put(r.getString(0), r.getLong(1));
    }
    return counts;
  }

  private List<String[]> rejectSample(Dataset<Row> classified) {
    int perReason = settings.input().rejectSamplePerReason();
    List<String[]> out = new ArrayList<>();
    if (perReason == 0) {
      return out;
    }
    for (Row r : classified.where(col(OrderValidation.REASON).isNotNull())
        .withColumn("n", row_number().over(Window.partitionBy(OrderValidation.REASON).orderBy(OrdersReader.SOURCE_ROW)))
        .where(col("n").leq(perReason))
        .select(OrderValidation.REASON, OrdersReader.SOURCE_ROW, OrdersReader.CUSTOMER_ID, OrdersReader.PRODUCT_ID)
        .collectAsList()) {
      out.add(new String[] {r.getString(0), r.getString(1),
          "customer_id=" + r.getString(2) + " product_id=" + r.getString(3)});
    }
    return out;
  }

  private String describeInput() {
    return settings.input().format() == JobSettings.InputFormat.CSV ? settings.input().path()
        : JobSettings.mask(settings.input().jdbc().url());
  }

  /** The overall popular list (scope {@code all}) of {@link Popularity} rows, best first. */
  static List<ListAssembler.Candidate> overallPopular(List<Row> popular) {
    return popular.stream()
        .filter(r -> RedisKeys.PopularScope.all().equals(r.getString(r.fieldIndex("scope"))))
        .sorted(java.util.Comparator.comparingInt(r -> r.getInt(r.fieldIndex("rank"))))
        .map(r -> new ListAssembler.Candidate(r.getString(r.fieldIndex("product_id")),
            r.getDouble(r.fieldIndex("score")), null))
        .toList();
  }
}

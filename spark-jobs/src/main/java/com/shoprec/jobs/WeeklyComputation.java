package com.shoprec.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.RedisKeys;
import com.shoprec.common.RunInfo;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.gates.QualityGates;
import com.shoprec.jobs.input.CustomerAttributes;
import com.shoprec.jobs.input.OrdersReader;
import com.shoprec.jobs.input.ValidatedOrders;
import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.model.Joins;
import com.shoprec.jobs.model.lists.ListAssembler;
import com.shoprec.jobs.model.ModelSuite;
import com.shoprec.jobs.model.lists.Segments;
import com.shoprec.jobs.model.lists.WeeklyLists;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.publish.CustomerProfiles;
import com.shoprec.jobs.publish.RedisPayloads;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one weekly run computes, apart from publishing it: from the validated orders the base tables, every
 * model ({@link ModelSuite}), the lists, the rows of every Postgres table, the quality gates, and on request
 * the Redis values. The result is a value ({@link Computed}); nothing here touches a store. {@link WeeklyRun}
 * decides what to do with it, and {@link Publisher} publishes it.
 */
final class WeeklyComputation {

  private static final Logger LOG = LoggerFactory.getLogger(WeeklyComputation.class);

  /**
   * A computed run. {@code tables}: the rows of each Postgres table of the run, by table name; {@code outputs}:
   * their row counts and a few more ({@code customer_lists}, {@code discovery_items}); every dataset materialized.
   */
  record Computed(RunWindow window, BaseTables base, Dataset<Row> catalog, ModelSuite models, Dataset<Row> lists,
      List<Row> popularRows, Map<String, Dataset<Row>> tables, Map<String, Long> outputs,
      List<QualityGates.Check> gates, RunInfo.Summary summary) {

    boolean gatesPassed() {
      return QualityGates.allPassed(gates);
    }
  }

  /** The run's Redis values (key, value rows) by kind, and how many keys each kind has. */
  record Payloads(Map<String, Dataset<Row>> byKind, Map<String, Long> counts) {
    long keys() {
      return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    Dataset<Row> all() {
      Dataset<Row> all = null;
      for (Dataset<Row> part : byKind.values()) {
        all = all == null ? part : all.union(part);
      }
      return all;
    }
  }

  private final SparkSession spark;
  private final JobSettings settings;
  private final Stages stages;
  /** Rows of the output tables, counted as their stage ended (the stage's rows), not counted again. */
  private final Map<String, Long> counted = new java.util.concurrent.ConcurrentHashMap<>();

  WeeklyComputation(SparkSession spark, JobSettings settings, Stages stages) {
    this.spark = spark;
    this.settings = settings;
    this.stages = stages;
  }

  /**
   * Computes the run over {@code input}. {@code attributes}: the customers file's, or null. {@code previousLists}:
   * customer_id, product_id of the run now live, for the overlap gate (empty for the first run, or a dry run,
   * which reads no store).
   */
  Computed compute(ValidatedOrders input, CustomerAttributes attributes, RunWindow window,
      Optional<Dataset<Row>> previousLists) {
    BaseTables base = stages.run("base_tables", () -> {
      BaseTables b = BaseTables.build(input.valid(), window, settings).cache();
      LOG.info("base tables: {} customer-product pairs, {} customers", b.customerProducts().count(), b.customers().count());
      b.orderLines().count();
      input.release();
      stages.rows("base_tables", input.usedRows());
      return b;
    });
    // The catalog feeds popularity per category and is stored with the run (product names for analysts).
    Dataset<Row> catalog = settings.catalog().path() == null ? null
        : OrdersReader.readCatalog(spark, settings.catalog()).cache();
    ModelSuite models = new ModelSuite(base, settings, () -> base.customers().where(col("active")), catalog,
        attributes == null ? null : attributes.attributes(), ModelSuite.Trainer.DIRECT);
    trainAll(models);
    List<Row> popularRows = models.popularity().collectAsList();

    Dataset<Row> active = models.segments().where(col("last_order_at").geq(lit(window.activeSince())))
        .select("customer_id", "segment");
    if (settings.limit() > 0) {
      active = active.orderBy("customer_id").limit(settings.limit());
    }
    Dataset<Row> activeCustomers = active.cache();
    ListAssembler assembler = new ListAssembler(settings.listSize(), settings.segments().discoveryShare(),
        overallPopular(popularRows));
    Dataset<Row> lists = stages.run("lists", () -> {
      Dataset<Row> discovery = models.discovery(activeCustomers, settings.discovery());
      Dataset<Row> l = ModelSuite.kept(WeeklyLists.build(activeCustomers, models.repurchase(), discovery,
          base.customerProducts(), assembler, settings.listSize()));
      long n = count("customer_lists", l);
      stages.rows("lists", n);
      LOG.info("lists: {} active customers", n);
      return l;
    });
    // Spread over the cores: the lists are few and small, so Spark gathers them in one partition, and the COPY
    // of their rows (one connection per partition) would then load the largest table alone.
    Dataset<Row> weeklyRows = WeeklyLists.rows(lists, window.week())
        .repartition(spark.sparkContext().defaultParallelism()).cache();

    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    tables.put("customer_segments", models.segments());
    tables.put("popular_products", models.popularity());
    tables.put("similar_customers", models.neighbours().neighbours());
    tables.put("item_cooccurrence", models.cooccurrence().pairs());
    tables.put("als_customer_factors", models.als().customerFactors());
    tables.put("als_product_factors", models.als().productFactors());
    tables.put("product_audience", models.audience());
    tables.put("weekly_recommendations", weeklyRows);
    if (catalog != null) {
      tables.put("product_catalog", catalog);
    }
    Map<String, Long> outputs = new LinkedHashMap<>();
    tables.forEach((table, rows) -> outputs.put(table, counted.containsKey(table) ? counted.get(table) : rows.count()));
    outputs.put("customer_lists", counted.get("customer_lists"));
    if (attributes != null) {
      outputs.put("customers_file_rows", attributes.rows());
      outputs.put("customers_file_rejected", attributes.rejected());
    }
    // The items by where they came from (the lists' "source"): what the customer bought before, discovery, and the
    // popular products that fill a list the other two leave short.
    Map<String, Long> bySource = new java.util.TreeMap<>(Map.of(PayloadWriter.SOURCE_REPURCHASE, 0L,
        PayloadWriter.SOURCE_DISCOVERY, 0L, PayloadWriter.SOURCE_POPULAR, 0L));
    for (Row r : weeklyRows.groupBy("source").count().collectAsList()) {
      bySource.put(r.getString(0), r.getLong(1));
    }
    outputs.put("repurchase_items", bySource.getOrDefault(PayloadWriter.SOURCE_REPURCHASE, 0L));
    outputs.put("discovery_items", bySource.getOrDefault(PayloadWriter.SOURCE_DISCOVERY, 0L));
    outputs.put("popular_items", bySource.getOrDefault(PayloadWriter.SOURCE_POPULAR, 0L));
    stages.rows("gates", outputs.get("weekly_recommendations"));

    QualityGates.Measures measures = stages.run("gates", () -> measure(input, base, lists, weeklyRows,
        previousLists));
    List<QualityGates.Check> gates = QualityGates.check(measures, settings.gates());
    LOG.info("quality gates: {}", gates);
    RunInfo.Summary summary = new RunInfo.Summary(base.customers().count(), Segments.counts(lists),
        measures.historyProducts(), measures.recommendedProducts(), bySource);
    return new Computed(window, base, catalog, models, lists, popularRows, tables, outputs, gates, summary);
  }

  /**
   * Trains every published model of the suite at once, each in its own thread and scheduler pool
   * ({@link ModelRunner}), or one after another when {@code parallel-models} is off.
   */
  private void trainAll(ModelSuite models) {
    try (ModelRunner runner = new ModelRunner(spark, stages, settings.parallelModels())) {
      List<Future<Object>> trained = new ArrayList<>();
      for (String model : ModelSuite.PUBLISHED) {
        trained.add(runner.submit(model, () -> {
          Object result = models.train(model);
          stages.rows(model, rows(models, model));
          return result;
        }));
      }
      trained.forEach(ModelRunner::get);
    }
  }

  /** The rows a trained model's stage made (its tables' rows, counted once for the outputs too). */
  private long rows(ModelSuite models, String model) {
    return switch (model) {
      case "segments" -> count("customer_segments", models.segments());
      case "popularity" -> count("popular_products", models.popularity());
      case "neighbours" -> count("similar_customers", models.neighbours().neighbours());
      case "als" -> count("als_customer_factors", models.als().customerFactors())
          + count("als_product_factors", models.als().productFactors());
      case "cooccurrence" -> count("item_cooccurrence", models.cooccurrence().pairs());
      case "ease" -> models.ease().count();
      case "next-new" -> models.nextNew().count();
      case "audience" -> count("product_audience", models.audience());
      default -> throw new IllegalArgumentException(model);
    };
  }

  /** {@code rows}' count, kept as the output {@code table}'s. */
  private long count(String table, Dataset<Row> rows) {
    long n = rows.count();
    counted.put(table, n);
    return n;
  }

  /**
   * The run's Redis values by kind, each computed, kept without lineage and counted: the customer lists, the
   * popular lists, similar products, product audiences, similar customers and customer profiles. Fails the run when the customer
   * lists do not number those computed.
   */
  Payloads payloads(Computed run, RedisPayloads.RunStamp stamp) {
    ModelSuite m = run.models();
    Map<String, Long> counts = new LinkedHashMap<>();
    Map<String, Dataset<Row>> out = new LinkedHashMap<>();
    out.put("weekly_recs", RedisPayloads.customerLists(run.lists(), stamp));
    out.put("popular", RedisPayloads.popularLists(spark, run.popularRows(), settings.listSize(), stamp));
    Dataset<Row> similarProducts = m.cooccurrence().pairs().select(col("product_id").as("subject"),
        col("other_product_id").as("item_id"),
        col(settings.cooccurrence().rankBy().name().toLowerCase(Locale.ROOT)).cast("double").as("score"),
        col("rank"), to_json(struct(col("co_count"), round(col("confidence"), 4).as("confidence"),
            round(col("lift"), 4).as("lift"))).as("reason"));
    out.put(PayloadKind.SIMILAR_PRODUCTS.keyPrefix(), RedisPayloads.lists(similarProducts,
        PayloadKind.SIMILAR_PRODUCTS, stamp));
    Dataset<Row> audience = m.audience().select(col("product_id").as("subject"), col("customer_id").as("item_id"),
        col("score"), col("rank"), col("reason"));
    out.put(PayloadKind.PRODUCT_AUDIENCE.keyPrefix(), RedisPayloads.lists(audience, PayloadKind.PRODUCT_AUDIENCE,
        stamp));
    Dataset<Row> neighbours = m.neighbours().neighbours().select(col("customer_id").as("subject"),
        col("similar_customer_id").as("item_id"), col("similarity").as("score"), col("rank"),
        to_json(struct(col("common_products"))).as("reason"));
    out.put(PayloadKind.SIMILAR_CUSTOMERS.keyPrefix(), RedisPayloads.lists(neighbours, PayloadKind.SIMILAR_CUSTOMERS,
        stamp));
    Dataset<Row> topCategories = run.catalog() == null ? null
        : CustomerProfiles.topCategories(run.base().customerProducts(), run.catalog());
    out.put(PayloadKind.CUSTOMER_PROFILE.keyPrefix(), CustomerProfiles.payloads(run.base().customers(),
        m.segments(), run.lists(), topCategories, run.window().asOfStart(), stamp));
    out.replaceAll((kind, kv) -> {
      Dataset<Row> built = ModelSuite.kept(kv);
      counts.put(kind, built.count());
      return built;
    });
    long customerLists = run.outputs().get("customer_lists");
    if (counts.get("weekly_recs") != customerLists) {
      throw new IllegalStateException("Redis: built " + counts.get("weekly_recs") + " customer lists of "
          + customerLists + "; not publishing");
    }
    return new Payloads(out, counts);
  }

  private QualityGates.Measures measure(ValidatedOrders input, BaseTables base, Dataset<Row> lists,
      Dataset<Row> weeklyRows, Optional<Dataset<Row>> previousLists) {
    long customers = lists.count();
    long full = lists.where(org.apache.spark.sql.functions.size(col("items")).geq(settings.listSize())).count();
    long historyProducts = base.customerProducts().select("product_id").distinct().count();
    long recommended = weeklyRows.select("product_id").distinct().count();
    Double overlap = null;
    if (previousLists.isPresent()) {
      Dataset<Row> customersNow = weeklyRows.select("customer_id").distinct();
      Dataset<Row> comparable = previousLists.get().join(customersNow, "customer_id");
      long total = comparable.count();
      if (total > 0) {
        overlap = (double) comparable.join(weeklyRows.select("customer_id", "product_id"),
            Joins.columns("customer_id", "product_id")).count() / total;
      }
    }
    return new QualityGates.Measures(customers, full, historyProducts, recommended, input.inputRows(),
        input.rejectedRows(), overlap);
  }

  /** The overall popular list (scope {@code all}) of popularity rows, best first. */
  static List<ListAssembler.Candidate> overallPopular(List<Row> popular) {
    return popular.stream()
        .filter(r -> RedisKeys.PopularScope.all().equals(r.getString(r.fieldIndex("scope"))))
        .sorted(java.util.Comparator.comparingInt(r -> r.getInt(r.fieldIndex("rank"))))
        .map(r -> new ListAssembler.Candidate(r.getString(r.fieldIndex("product_id")),
            r.getDouble(r.fieldIndex("score")), null))
        .toList();
  }

}

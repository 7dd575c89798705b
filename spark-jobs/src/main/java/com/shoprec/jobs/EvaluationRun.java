package com.shoprec.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.row_number;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.SettingsException;
import com.shoprec.jobs.eval.Baselines;
import com.shoprec.jobs.eval.EvaluationReport;
import com.shoprec.jobs.eval.EvaluationSettings;
import com.shoprec.jobs.eval.Evaluator;
import com.shoprec.jobs.eval.Metric;
import com.shoprec.jobs.eval.Split;
import com.shoprec.jobs.eval.Splits;
import com.shoprec.jobs.input.OrderValidation;
import com.shoprec.jobs.input.OrdersReader;
import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.model.lists.Discovery;
import com.shoprec.jobs.model.lists.ListAssembler;
import com.shoprec.jobs.model.ModelSuite;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.model.lists.WeeklyLists;
import com.shoprec.jobs.store.postgres.PostgresStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluation mode: splits the valid orders by time ({@code last-basket} or {@code time-split}), trains the
 * models on the history exactly as the weekly run does ({@link ModelSuite}), and measures each method's lists
 * against what the customers bought next, next to the baselines. Publishes nothing to Redis; the results go to a
 * printed table, a JSON report and {@code evaluation_results}.
 *
 * <p>Methods: the baselines ({@link #BASELINES}) and the product's own ({@link #SUITE_METHODS}): {@code repurchase}
 * (the repurchase score alone), {@code als}, {@code neighbours}, {@code cooccurrence}, {@code ease} and
 * {@code next-new} (each signal alone, as discovery: never a product bought before), {@code discovery} (their
 * blend), {@code popular-new} (popular products not bought before: what discovery must beat on explore items) and
 * {@code weekly} (the lists as published). By default every one of them. A product method named
 * {@code METHOD@VARIANT} is measured with the models of a named variant of the settings
 * ({@link EvaluationSettings}); a model the variant leaves as it is, is not trained again.
 */
public final class EvaluationRun {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluationRun.class);

  /** The baselines, which no model or setting changes. */
  static final List<String> BASELINES = List.of(Baselines.G_TOP_FREQ, Baselines.P_TOP_FREQ, Baselines.GP_TOP_FREQ,
      Baselines.G_TOP_FREQ_NEW);
  /** The product's methods, measured with the suite of the settings or of a variant. */
  static final List<String> SUITE_METHODS = List.of("popular-new", "repurchase", "als", "neighbours",
      "cooccurrence", "ease", "next-new", "discovery", "weekly");

  public record Outcome(String evaluationId, String protocol, long customers, List<Metric> results, String json) {}

  private final SparkSession spark;
  private final JobSettings settings;
  private final String protocol;
  private final LocalDate splitDate;
  private final int weeks;
  private final boolean dryRun;
  private final Stages stages = new Stages();

  /**
   * @param splitDate {@code time-split}: the first day of the (last) test week; {@code null} for the default
   * @param weeks     {@code time-split}: how many consecutive test weeks, ending with {@code splitDate}'s, each
   *                  with every model trained on the orders before it; their measurements are pooled
   *                  ({@link Evaluator#pool}). 1 for {@code last-basket}.
   */
  public EvaluationRun(SparkSession spark, JobSettings settings, String protocol, LocalDate splitDate, int weeks,
      boolean dryRun) {
    if (weeks < 1 || (weeks > 1 && !Splits.TIME_SPLIT.equals(protocol))) {
      throw new IllegalArgumentException("weeks must be 1, or more for time-split; got " + weeks + " for " + protocol);
    }
    this.weeks = weeks;
    this.spark = spark;
    this.settings = settings;
    this.protocol = protocol;
    this.splitDate = splitDate;
    this.dryRun = dryRun;
  }

  public Outcome execute() {
    try {
      return evaluate();
    } finally {
      stages.close();
      spark.catalog().clearCache();
    }
  }

  /**
   * The methods to measure, in report order: the configured ones, or every baseline and product method.
   *
   * @throws SettingsException naming an unknown method, or a baseline given a variant
   */
  static List<String> methods(EvaluationSettings e) {
    if (e.methods().isEmpty()) {
      List<String> all = new ArrayList<>(BASELINES);
      all.addAll(SUITE_METHODS);
      return all;
    }
    List<String> unknown = new ArrayList<>();
    for (String method : e.methods()) {
      int at = method.indexOf(EvaluationSettings.AT);
      String base = at < 0 ? method : method.substring(0, at);
      if (at >= 0 ? !SUITE_METHODS.contains(base) : !SUITE_METHODS.contains(base) && !BASELINES.contains(base)) {
        unknown.add(method);
      }
    }
    if (!unknown.isEmpty()) {
      throw new SettingsException("shoprec.job.evaluation.methods: unknown method(s) " + unknown + "; the methods are "
          + BASELINES + " and " + SUITE_METHODS + ", the latter also as METHOD@VARIANT with a variant of "
          + "shoprec.job.evaluation.variants");
    }
    return List.copyOf(new LinkedHashSet<>(e.methods()));
  }

  private Outcome evaluate() {
    List<String> methods = methods(settings.evaluation());
    // every named variant's settings are built and checked now, not after the first models are trained
    Map<String, JobSettings> variants = new LinkedHashMap<>();
    for (String method : methods) {
      int at = method.indexOf(EvaluationSettings.AT);
      if (at >= 0) {
        String name = method.substring(at + 1);
        variants.computeIfAbsent(name, v -> variantSettings(v));
      }
    }
    Dataset<Row> orders = stages.run("read", () -> {
      Dataset<Row> valid = OrderValidation.classify(OrdersReader.read(spark, settings.input()), settings.input())
          .where(col(OrderValidation.REASON).isNull())
          .select("order_id", "customer_id", "product_id", "ts", "quantity", "price")
          // file order, for P-TopFreq's tie-break by first appearance within a basket
          .withColumn(Baselines.LINE_ORDER, monotonically_increasing_id());
      return valid.cache();
    });
    List<Part> parts = new ArrayList<>();
    if (Splits.LAST_BASKET.equals(protocol)) {
      parts.add(measure(stages.run("split", () -> Splits.lastBasket(orders, Splits.DEFAULT_MIN_BASKETS,
          Splits.DEFAULT_MAX_BASKETS).cache()), "", methods, variants));
    } else {
      LocalDate last = splitDate != null ? splitDate : Splits.defaultTimeSplitDate(orders, Splits.DEFAULT_TEST_DAYS);
      for (LocalDate t : Splits.weeklyCutoffs(last, weeks, Splits.DEFAULT_TEST_DAYS)) {
        String week = weeks == 1 ? "" : t + " ";
        parts.add(measure(stages.run(week + "split", () -> Splits.timeSplit(orders, t, Splits.DEFAULT_TEST_DAYS)
            .cache()), week, methods, variants));
        // the next week trains every model again: keep only the orders
        spark.catalog().clearCache();
        orders.cache();
      }
    }
    long customers = parts.stream().mapToLong(Part::customers).sum();
    List<Metric> results = parts.size() == 1 ? parts.get(0).results()
        : Evaluator.pool(parts.stream().map(Part::results).toList());
    if (parts.size() > 1) {
      LOG.info("evaluation {}: {} weeks pooled, {} customer-weeks: {}", protocol, parts.size(), customers,
          parts.stream().map(p -> p.cutoff() + " " + p.customers()).toList());
    }
    String json = EvaluationReport.toJson(protocol, customers, results,
        parts.stream().map(p -> new EvaluationReport.SplitSummary(p.cutoff(), p.customers())).toList());
    String id = "eval_" + protocol.replace('-', '_') + "_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
    if (!dryRun) {
      try (PostgresStore pg = PostgresStore.connect(Operations.postgres(settings))) {
        pg.schema().ensure();
        long rows = pg.runTables().copy(EvaluationReport.toRows(spark, protocol, results), "evaluation_results", id);
        LOG.info("evaluation {}: {} rows in evaluation_results", id, rows);
      }
    }
    return new Outcome(id, protocol, customers, results, json);
  }

  /** The settings with the variant's keys on top; a bad value names the variant. */
  private JobSettings variantSettings(String name) {
    try {
      return settings.with(settings.evaluation().variant(name));
    } catch (SettingsException e) {
      throw new SettingsException("shoprec.job.evaluation.variants." + name + ": " + e.getMessage(), e);
    }
  }

  /** One split's measurements: its as-of day, its evaluated customers, every measured value. */
  private record Part(LocalDate cutoff, long customers, List<Metric> results) {}

  /**
   * Trains the models on the split's history as the weekly run would and measures each method's lists;
   * {@code week} prefixes the stage names (empty for a single split).
   */
  private Part measure(Split split, String week, List<String> methods, Map<String, JobSettings> variants) {
    int k = settings.listSize();
    long customers = split.customers().count();
    LOG.info("evaluation {}: {} customers, models as of {}", protocol, customers, split.cutoff());

    RunWindow window = new RunWindow(split.cutoff(), ZoneId.of(settings.input().timezone()), settings.activeDays());
    Dataset<Row> history = split.history().select("order_id", "customer_id", "product_id", "ts", "quantity", "price");
    BaseTables base = BaseTables.build(history, window, settings).cache();
    Dataset<Row>[] evaluated = new Dataset[1];
    try (ModelSuite suite = new ModelSuite(base, settings, () -> evaluated[0], null, null, named(week, ""))) {
      evaluated[0] = split.customers().join(suite.segments().select("customer_id", "segment"), "customer_id").cache();
      Map<String, ModelSuite> suites = new LinkedHashMap<>();
      suites.put("", suite);
      variants.forEach((name, v) -> suites.put(EvaluationSettings.AT + name,
          suite.variant(v, named(week, EvaluationSettings.AT + name))));

      // Each method's lists are computed only when measured; a model, the first time a measured method needs it.
      Map<String, Supplier<Dataset<Row>>> all = new LinkedHashMap<>();
      Baselines.all(split, k).forEach((name, lists) -> all.put(name, () -> lists));
      all.put(Baselines.G_TOP_FREQ_NEW, () -> Baselines.gTopFreqNew(split, k));
      suites.forEach((suffix, s) -> methodsOf(s, evaluated[0], k).forEach((name, lists) ->
          all.put(name + suffix, lists)));

      // Each method's lists are read several times by the evaluator: compute them once, here, and cut their
      // lineage. Without the cut, every query of the evaluator carries the plans of all the models behind the
      // method (millions of characters of plan text, rendered again for every query).
      Map<String, Dataset<Row>> measured = new LinkedHashMap<>();
      for (String method : methods) {
        measured.put(method, stages.run(week + "lists " + method, () -> all.get(method).get().localCheckpoint(true)));
      }
      Dataset<Row> segmentOf = evaluated[0].select("customer_id", "segment").cache();
      List<Metric> results = stages.run(week + "metrics", () -> Evaluator.evaluateAll(split, measured, segmentOf,
          Evaluator.DEFAULT_KS));
      return new Part(split.cutoff(), customers, results);
    }
  }

  /** Each product method's lists from one suite, computed when asked for. */
  private static Map<String, Supplier<Dataset<Row>>> methodsOf(ModelSuite s, Dataset<Row> evaluated, int k) {
    Discovery.Settings d = s.settings().discovery();
    Supplier<Dataset<Row>> blended = ModelSuite.memo(() -> s.discovery(evaluated, d).cache());
    Supplier<List<ListAssembler.Candidate>> overall = ModelSuite.memo(() ->
        WeeklyComputation.overallPopular(s.popularity().collectAsList()));
    Dataset<Row> customerProducts = s.base().customerProducts();
    Map<String, Supplier<Dataset<Row>>> methods = new LinkedHashMap<>();
    // popular-new: the lists with no repurchase and no discovery candidate (an empty relation, nothing computed)
    methods.put("popular-new", () -> {
      Dataset<Row> none = s.repurchase().limit(0);
      return ranks(WeeklyLists.build(evaluated, none, none, customerProducts,
          new ListAssembler(k, Map.of(), overall.get()), k));
    });
    methods.put("repurchase", () -> topOfEvaluated(s.repurchase(), evaluated, k));
    methods.put("als", () -> topOfEvaluated(s.als().forCustomers(), evaluated, k));
    methods.put("neighbours", () -> top(s.discovery(evaluated, d.withWeights(1, 0, 0, 0, 0, 0)), k));
    methods.put("cooccurrence", () -> top(s.discovery(evaluated, d.withWeights(0, 0, 1, 0, 0, 0)), k));
    methods.put("ease", () -> top(s.discovery(evaluated, d.withWeights(0, 0, 0, 0, 1, 0)), k));
    methods.put("next-new", () -> top(s.discovery(evaluated, d.withWeights(0, 0, 0, 0, 0, 1)), k));
    methods.put("discovery", () -> top(blended.get(), k));
    methods.put("weekly", () -> ranks(WeeklyLists.build(evaluated, s.repurchase(), blended.get(), customerProducts,
        new ListAssembler(k, s.settings().segments().discoveryShare(), overall.get()), k)));
    return methods;
  }

  /** Trains a model in a stage named after it, the week and the variant. */
  private ModelSuite.Trainer named(String week, String suffix) {
    return new ModelSuite.Trainer() {
      @Override
      public <T> T train(String model, Supplier<T> body) {
        return stages.run(week + model + suffix, body);
      }
    };
  }

  /** The best {@code k} per customer as (customer_id, product_id, rank). */
  private static Dataset<Row> top(Dataset<Row> scored, int k) {
    return scored.withColumn("rank", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("score").desc(), col("product_id"))))
        .where(col("rank").leq(k))
        .select("customer_id", "product_id", "rank");
  }

  /** {@link #top} of the scores of the evaluated customers only. */
  private static Dataset<Row> topOfEvaluated(Dataset<Row> scored, Dataset<Row> evaluated, int k) {
    return top(scored.join(evaluated.select("customer_id"), "customer_id"), k);
  }

  private static Dataset<Row> ranks(Dataset<Row> lists) {
    return WeeklyLists.rows(lists, "eval").select("customer_id", "product_id", "rank");
  }

  /** Writes the JSON report. */
  public static void writeReport(Path file, String json) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(file, json, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report " + file, e);
    }
  }
}

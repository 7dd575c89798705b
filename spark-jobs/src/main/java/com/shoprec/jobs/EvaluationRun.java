package com.shoprec.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.row_number;

import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.SettingsException;
import com.shoprec.jobs.eval.Baselines;
import com.shoprec.jobs.eval.EvaluationReport;
import com.shoprec.jobs.eval.Evaluator;
import com.shoprec.jobs.eval.Metric;
import com.shoprec.jobs.eval.Split;
import com.shoprec.jobs.eval.Splits;
import com.shoprec.jobs.input.OrderValidation;
import com.shoprec.jobs.input.OrdersReader;
import com.shoprec.jobs.model.AlsFactors;
import com.shoprec.jobs.model.BaseTables;
import com.shoprec.jobs.model.Cooccurrence;
import com.shoprec.jobs.model.Discovery;
import com.shoprec.jobs.model.JaccardNeighbours;
import com.shoprec.jobs.model.ListAssembler;
import com.shoprec.jobs.model.Popularity;
import com.shoprec.jobs.model.RepurchaseScore;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.model.Segments;
import com.shoprec.jobs.model.WeeklyLists;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluation mode: splits the valid orders by time ({@code last-basket} or {@code time-split}), trains
 * every model on the history as the weekly run would, and measures each method's lists against what the
 * customers bought next, next to the baselines. Publishes nothing to Redis; the results go to a printed
 * table, a JSON report and {@code evaluation_results}.
 *
 * <p>Methods: the baselines (G-, P-, GP-TopFreq), {@code repurchase} (the repurchase score alone),
 * {@code als}, {@code neighbours} and {@code cooccurrence} (each alone, as discovery: never a product bought
 * before), {@code discovery} (their blend), {@code popular-new} (popular products not bought before: what
 * discovery must beat on explore items), {@code weekly} (the lists as published) and a sweep of the
 * discovery share, {@code weekly@0.35} and so on, with the same share for every segment.
 */
public final class EvaluationRun {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluationRun.class);

  /** Discovery shares of the sweep. */
  static final double[] SHARE_SWEEP = {0.0, 0.2, 0.35, 0.5, 0.6, 0.8, 1.0};

  public record Outcome(String evaluationId, String protocol, long customers, List<Metric> results, String json) {}

  private final SparkSession spark;
  private final JobSettings settings;
  private final String protocol;
  private final LocalDate splitDate;
  private final boolean dryRun;
  private final Stages stages = new Stages();

  public EvaluationRun(SparkSession spark, JobSettings settings, String protocol, LocalDate splitDate, boolean dryRun) {
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
      spark.catalog().clearCache();
    }
  }

  private Outcome evaluate() {
    int k = settings.listSize();
    Dataset<Row> orders = stages.run("read", () -> {
      Dataset<Row> valid = OrderValidation.classify(OrdersReader.read(spark, settings.input()), settings.input())
          .where(col(OrderValidation.REASON).isNull())
          .select("order_id", "customer_id", "product_id", "ts", "quantity", "price")
          // file order, for P-TopFreq's tie-break by first appearance within a basket
          .withColumn(Baselines.LINE_ORDER, monotonically_increasing_id());
      return valid.cache();
    });
    Split split = stages.run("split", () -> (Splits.LAST_BASKET.equals(protocol)
        ? Splits.lastBasket(orders, Splits.DEFAULT_MIN_BASKETS, Splits.DEFAULT_MAX_BASKETS)
        : Splits.timeSplit(orders, splitDate, Splits.DEFAULT_TEST_DAYS)).cache());
    long customers = split.customers().count();
    LOG.info("evaluation {}: {} customers, models as of {}", protocol, customers, split.cutoff());

    RunWindow window = new RunWindow(split.cutoff(), ZoneId.of(settings.input().timezone()), settings.activeDays());
    Dataset<Row> history = split.history().select("order_id", "customer_id", "product_id", "ts", "quantity", "price");
    BaseTables base = BaseTables.build(history, window, settings).cache();
    Dataset<Row> segments = Segments.compute(base.customers(), settings.segments()).segments().cache();
    Dataset<Row> evaluated = split.customers().join(segments.select("customer_id", "segment"), "customer_id").cache();
    JobSettings.Popularity pop = settings.popularity();
    Dataset<Row> popularLists = Popularity.compute(base.orderLines(), segments, pop.halfLifeDays(), pop.windowDays(),
        pop.listSize()).cache();
    List<Row> popular = popularLists.collectAsList();
    Dataset<Row> popularAll = popularLists.where(col("scope").equalTo(RedisKeys.PopularScope.all()));
    List<ListAssembler.Candidate> overall = WeeklyRun.overallPopular(popular);

    Dataset<Row> repurchase = stages.run("repurchase", () ->
        RepurchaseScore.candidates(base.customerProducts(), settings.repurchase()).cache());
    Dataset<Row> neighbours = stages.run("neighbours", () ->
        JaccardNeighbours.compute(base.customerProducts(), settings.neighbours()).neighbours().cache());
    AlsFactors.Result als = stages.run("als", () ->
        AlsFactors.train(base.customerProducts(), settings.als(), settings.audience().alsCandidates()));
    Dataset<Row> alsForCustomers = als.forCustomers().cache();
    Dataset<Row> cooccurrence = stages.run("cooccurrence", () ->
        Cooccurrence.compute(base.orderLines(), settings.cooccurrence()).pairs());

    JobSettings.Discovery d = settings.discovery();
    Map<String, Dataset<Row>> methods = new LinkedHashMap<>(Baselines.all(split, k));
    methods.put("repurchase", top(repurchase.join(evaluated.select("customer_id"), "customer_id"), k));
    methods.put("als", top(alsForCustomers.join(evaluated.select("customer_id"), "customer_id"), k));
    Signals signals = new Signals(evaluated, neighbours, base, alsForCustomers, cooccurrence, popularAll);
    methods.put("neighbours", top(signals.discovery(new JobSettings.Discovery(1, 0, 0, 0,
        d.neighboursHalfLifeDays(), d.recentProducts())), k));
    methods.put("cooccurrence", top(signals.discovery(new JobSettings.Discovery(0, 0, 1, 0,
        d.neighboursHalfLifeDays(), d.recentProducts())), k));
    Dataset<Row> blended = signals.discovery(d).cache();
    methods.put("discovery", top(blended, k));
    // Variants of the blend, to choose its defaults from: recency of neighbours' purchases, popularity.
    for (double halfLife : new double[] {1000, 30}) {
      for (double popularityWeight : new double[] {0.0, 0.3}) {
        methods.put(String.format(java.util.Locale.ROOT, "discovery[hl=%.0f,pop=%.1f]", halfLife, popularityWeight),
            top(signals.discovery(new JobSettings.Discovery(d.neighboursWeight(), d.alsWeight(),
                d.cooccurrenceWeight(), popularityWeight, halfLife, d.recentProducts())), k));
      }
    }
    Dataset<Row> none = blended.limit(0);
    methods.put("popular-new", ranks(WeeklyLists.build(evaluated, none, none, base.customerProducts(),
        new ListAssembler(k, Map.of(), overall), k)));
    methods.put("weekly", ranks(WeeklyLists.build(evaluated, repurchase, blended, base.customerProducts(),
        new ListAssembler(k, settings.segments().discoveryShare(), overall), k)));
    for (double share : SHARE_SWEEP) {
      Map<String, Double> same = new LinkedHashMap<>();
      JobSettings.SEGMENTS.forEach(s -> same.put(s, share));
      methods.put("weekly@" + share, ranks(WeeklyLists.build(evaluated, repurchase, blended, base.customerProducts(),
          new ListAssembler(k, same, overall), k)));
    }

    // Only the methods asked for (their lists are lazy: the others are never computed).
    Map<String, Dataset<Row>> measured = chosen(methods, settings.evaluationMethods());
    // Each method's lists are read several times by the evaluator: compute them once.
    measured.replaceAll((method, recs) -> recs.cache());
    Dataset<Row> segmentOf = evaluated.select("customer_id", "segment").cache();
    List<Metric> results = stages.run("metrics", () -> Evaluator.evaluateAll(split, measured, segmentOf,
        Evaluator.DEFAULT_KS));
    String json = EvaluationReport.toJson(protocol, customers, results);
    String id = "eval_" + protocol.replace('-', '_') + "_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
    if (!dryRun) {
      try (PostgresStore pg = PostgresStore.connect(Operations.postgres(settings))) {
        pg.ensureSchema();
        long rows = pg.copy(EvaluationReport.toRows(spark, protocol, results), "evaluation_results", id);
        LOG.info("evaluation {}: {} rows in evaluation_results", id, rows);
      }
    }
    return new Outcome(id, protocol, customers, results, json);
  }

  /**
   * The methods named in {@code names} (shoprec.job.evaluation.methods), in the order of {@code all}; every
   * method when {@code names} is empty.
   *
   * @throws SettingsException naming the key, the unknown names and the known ones
   */
  static <T> Map<String, T> chosen(Map<String, T> all, List<String> names) {
    if (names.isEmpty()) {
      return all;
    }
    List<String> unknown = names.stream().filter(n -> !all.containsKey(n)).toList();
    if (!unknown.isEmpty()) {
      throw new SettingsException("shoprec.job.evaluation.methods: unknown method(s) " + unknown
          + "; the methods are " + all.keySet());
    }
    Map<String, T> chosen = new LinkedHashMap<>();
    all.forEach((method, recs) -> {
      if (names.contains(method)) {
        chosen.put(method, recs);
      }
    });
    return chosen;
  }

  /** The discovery signals of the evaluated customers, blended with the given weights. */
  private record Signals(Dataset<Row> evaluated, Dataset<Row> neighbours, BaseTables base, Dataset<Row> als,
      Dataset<Row> cooccurrence, Dataset<Row> popular) {
    Dataset<Row> discovery(JobSettings.Discovery weights) {
      return Discovery.candidates(evaluated, neighbours, base.customerProducts(), als, cooccurrence, popular, weights);
    }
  }

  /** The best {@code k} per customer as (customer_id, product_id, rank). */
  private static Dataset<Row> top(Dataset<Row> scored, int k) {
    return scored.withColumn("rank", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("score").desc(), col("product_id"))))
        .where(col("rank").leq(k))
        .select("customer_id", "product_id", "rank");
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

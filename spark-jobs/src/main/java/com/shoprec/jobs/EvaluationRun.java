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
import com.shoprec.jobs.model.Ease;
import com.shoprec.jobs.model.NextNew;
import com.shoprec.jobs.model.JaccardNeighbours;
import com.shoprec.jobs.model.ListAssembler;
import com.shoprec.jobs.model.Popularity;
import com.shoprec.jobs.model.RepurchaseScore;
import com.shoprec.jobs.model.RunWindow;
import com.shoprec.jobs.model.Segments;
import com.shoprec.jobs.model.SharedPreferences;
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
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
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
 * {@code als}, {@code neighbours}, {@code cooccurrence}, {@code ease} and {@code next-new} (each alone, as
 * discovery: never a product bought before), {@code discovery} (their blend), {@code popular-new} (popular
 * products not bought before: what discovery must beat on explore items), {@code G-TopFreq-new} (the same
 * with G-TopFreq's all-time basket counts for popularity), {@code weekly} (the lists as
 * published) and a sweep of the discovery share, {@code weekly@0.35} and so on, with the same share for every
 * segment.
 */
public final class EvaluationRun {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluationRun.class);

  /** Discovery shares of the sweep. */
  static final double[] SHARE_SWEEP = {0.0, 0.2, 0.35, 0.5, 0.6, 0.8, 1.0};
  /**
   * Variants of the discovery blend always measured (see {@link #discoveryVariant}), each one step from the
   * defaults (none equal to them: that blend is {@code discovery} already).
   */
  static final List<String> DISCOVERY_VARIANTS = List.of("discovery[nb=30,each=30]", "discovery[nb=20,each=20]",
      "discovery[nb=100,each=1000]", "discovery[hl=1000]", "discovery[hl=14]", "discovery[hl=7]",
      "discovery[w=0.5/0.3/0.2/0/0/0]", "discovery[w=0.2/0.1/0/0.1/0.6/0]", "discovery[w=0.2/0.1/0/0.1/0.6/0.2]",
      "discovery[w=0.2/0.1/0/0.1/0.3/0.4]", "discovery[w=0.1/0.1/0/0.1/0.4/0.4]", "discovery[w=0/0/0/0/0.6/0.4]",
      "discovery[w=0.2/0.1/0/0/0.4/0.3]");
  /** Other EASE models always measured alone (see {@link #easeVariant}), each one step from the defaults. */
  static final List<String> EASE_VARIANTS = List.of("ease[lambda=30]", "ease[lambda=300]", "ease[hl=14]",
      "ease[hl=0]", "ease[products=1000]");
  /** Other next-new models always measured alone (see {@link #nextNewVariant}). */
  static final List<String> NEXT_NEW_VARIANTS = List.of("next-new[lambda=300]", "next-new[lambda=3000]",
      "next-new[hl=90]", "next-new[hl=0]");
  /** The {@code key=value,…} list inside a variant's brackets. */
  private static final String PAIRS = "([a-z]+=[^,\\]]+(?:,[a-z]+=[^,\\]]+)*)";
  private static final java.util.regex.Pattern VARIANT = java.util.regex.Pattern.compile("discovery\\[" + PAIRS + "]");
  private static final java.util.regex.Pattern EASE_VARIANT = java.util.regex.Pattern.compile("ease\\[" + PAIRS + "]");
  private static final java.util.regex.Pattern NEXT_NEW_VARIANT =
      java.util.regex.Pattern.compile("next-new\\[" + PAIRS + "]");
  private static final java.util.regex.Pattern ALS_VARIANT = java.util.regex.Pattern.compile("\\[" + PAIRS + "]");
  static final int CHEAP_ALS_RANK = 16;
  static final int CHEAP_ALS_ITERATIONS = 5;

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
      spark.catalog().clearCache();
    }
  }

  private Outcome evaluate() {
    // a misspelt variant stops the evaluation now, not after the models are trained
    settings.evaluationMethods().stream().filter(EvaluationRun::isDiscoveryVariant)
        .forEach(m -> discoveryVariant(m, settings.discovery()));
    settings.evaluationMethods().stream().filter(m -> m.startsWith("ease["))
        .forEach(m -> easeVariant(m, settings.ease()));
    settings.evaluationMethods().stream().filter(m -> m.startsWith("next-new["))
        .forEach(m -> nextNewVariant(m, settings.nextNew()));
    Map<String, JobSettings.Als> namedAls = new LinkedHashMap<>();
    settings.evaluationMethods().stream().map(EvaluationRun::alsSpec).flatMap(Optional::stream)
        .forEach(spec -> namedAls.computeIfAbsent(spec, x -> alsVariant(x, settings.als())));
    AlsFactors.ensureCheckpointDir(spark, settings.als());
    Dataset<Row> orders = stages.run("read", () -> {
      Dataset<Row> valid = OrderValidation.classify(OrdersReader.read(spark, settings.input()), settings.input())
          .where(col(OrderValidation.REASON).isNull())
          .select("order_id", "customer_id", "product_id", "ts", "quantity", "price")
          // file order, for P-TopFreq's tie-break by first appearance within a basket
          .withColumn(Baselines.LINE_ORDER, monotonically_increasing_id());
      return valid.cache();
    });
    List<Part> parts = new java.util.ArrayList<>();
    if (Splits.LAST_BASKET.equals(protocol)) {
      parts.add(measure(stages.run("split", () -> Splits.lastBasket(orders, Splits.DEFAULT_MIN_BASKETS,
          Splits.DEFAULT_MAX_BASKETS).cache()), "", namedAls));
    } else {
      LocalDate last = splitDate != null ? splitDate : Splits.defaultTimeSplitDate(orders, Splits.DEFAULT_TEST_DAYS);
      for (LocalDate t : Splits.weeklyCutoffs(last, weeks, Splits.DEFAULT_TEST_DAYS)) {
        String week = weeks == 1 ? "" : t + " ";
        parts.add(measure(stages.run(week + "split", () -> Splits.timeSplit(orders, t, Splits.DEFAULT_TEST_DAYS)
            .cache()), week, namedAls));
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

  /** One split's measurements: its as-of day, its evaluated customers, every measured value. */
  private record Part(LocalDate cutoff, long customers, List<Metric> results) {}

  /**
   * Trains every model on the split's history as the weekly run would and measures each method's lists;
   * {@code week} prefixes the stage names (empty for a single split).
   */
  private Part measure(Split split, String week, Map<String, JobSettings.Als> namedAls) {
    int k = settings.listSize();
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

    // Each model is trained the first time a measured method needs it: an evaluation of the baselines and
    // popular-new trains none of them, one of discovery trains the three it blends.
    Supplier<Dataset<Row>> repurchase = memo(() -> stages.run(week + "repurchase", () ->
        RepurchaseScore.candidates(base.customerProducts(), settings.repurchase()).cache()));
    Supplier<Dataset<Row>> neighbours = memo(() -> stages.run(week + "neighbours", () ->
        JaccardNeighbours.compute(base.customerProducts(), settings.neighbours()).neighbours().cache()));
    // ALS, EASE and their variants of the same half-life read one aggregation (released with the cache at the end)
    SharedPreferences preferences = new SharedPreferences(base);
    Supplier<Dataset<Row>> alsForCustomers = memo(() -> stages.run(week + "als", () -> AlsFactors.train(
        preferences.of(settings.als().preferenceHalfLifeDays()), settings.als(), settings.audience().alsCandidates()))
        .forCustomers().cache());
    Supplier<Dataset<Row>> cooccurrence = memo(() -> stages.run(week + "cooccurrence", () ->
        Cooccurrence.compute(base.orderLines(), settings.cooccurrence()).pairs()));
    Function<JobSettings.Ease, Dataset<Row>> trainEase = e -> Ease.forCustomers(
        preferences.of(e.preferenceHalfLifeDays()), base.customerProducts(), evaluated, e);
    Supplier<Dataset<Row>> ease = memo(() -> stages.run(week + "ease", () -> trainEase.apply(settings.ease())));
    Function<JobSettings.NextNew, Dataset<Row>> trainNextNew = nn -> NextNew.forCustomers(base.orderLines(),
        base.customerProducts(), evaluated, nn);
    Supplier<Dataset<Row>> nextNew = memo(() -> stages.run(week + "next-new", () ->
        trainNextNew.apply(settings.nextNew())));

    JobSettings.Discovery d = settings.discovery();
    Map<String, Supplier<Dataset<Row>>> methods = new LinkedHashMap<>();
    Baselines.all(split, k).forEach((name, lists) -> methods.put(name, () -> lists));
    methods.put("repurchase", () -> topOfEvaluated(repurchase.get(), evaluated, k));
    methods.put("als", () -> topOfEvaluated(alsForCustomers.get(), evaluated, k));
    // The discovery signals with one ALS model or another; the neighbours and co-occurrence are the same.
    // Each signal is computed only when a blend weighs it.
    Function<Supplier<Dataset<Row>>, Signals> signalsWithAls = als -> new Signals(evaluated, neighbours, base, als,
        cooccurrence, popularAll, ease, nextNew);
    Signals signals = signalsWithAls.apply(alsForCustomers);
    methods.put("neighbours", () -> top(signals.discovery(d.withWeights(1, 0, 0, 0, 0, 0)), k));
    methods.put("cooccurrence", () -> top(signals.discovery(d.withWeights(0, 0, 1, 0, 0, 0)), k));
    methods.put("ease", () -> top(signals.discovery(d.withWeights(0, 0, 0, 0, 1, 0)), k));
    methods.put("next-new", () -> top(signals.discovery(d.withWeights(0, 0, 0, 0, 0, 1)), k));
    // Other EASE models, alone: the defaults and any other named in shoprec.job.evaluation.methods as ease[…].
    for (String variant : namedVariants(EASE_VARIANTS, m -> m.startsWith("ease["))) {
      Supplier<Dataset<Row>> other = memo(() -> stages.run(week + variant, () ->
          trainEase.apply(easeVariant(variant, settings.ease()))));
      methods.put(variant, () -> top(new Signals(evaluated, neighbours, base, alsForCustomers, cooccurrence,
          popularAll, other, nextNew).discovery(d.withWeights(0, 0, 0, 0, 1, 0)), k));
    }
    // Other next-new models, alone: the defaults and any other named as next-new[…].
    for (String variant : namedVariants(NEXT_NEW_VARIANTS, m -> m.startsWith("next-new["))) {
      Supplier<Dataset<Row>> other = memo(() -> stages.run(week + variant, () ->
          trainNextNew.apply(nextNewVariant(variant, settings.nextNew()))));
      methods.put(variant, () -> top(new Signals(evaluated, neighbours, base, alsForCustomers, cooccurrence,
          popularAll, ease, other).discovery(d.withWeights(0, 0, 0, 0, 0, 1)), k));
    }
    Supplier<Dataset<Row>> blended = memo(() -> signals.discovery(d).cache());
    methods.put("discovery", () -> top(blended.get(), k));
    // Variants of the blend, to choose its defaults from (the default sweep, and any other variant named in
    // shoprec.job.evaluation.methods): bounds on the neighbours' signal (what the lists' cost grows with),
    // weights, recency of the neighbours' purchases, popularity.
    for (String variant : namedVariants(DISCOVERY_VARIANTS, EvaluationRun::isDiscoveryVariant)) {
      methods.put(variant, () -> top(signals.discovery(discoveryVariant(variant, d)), k));
    }
    // Other ALS models, each trained only when one of its two methods is measured: half the rank and
    // iterations, preferences from order counts instead of time-decayed orders, and any other named in
    // shoprec.job.evaluation.methods as als[…] or discovery[als[…]].
    JobSettings.Als small = settings.als().withRankAndIterations(CHEAP_ALS_RANK, CHEAP_ALS_ITERATIONS);
    Map<String, JobSettings.Als> otherAls = new LinkedHashMap<>();
    otherAls.put("[rank=" + small.rank() + ",iter=" + small.maxIter() + "]", small);
    otherAls.put("[counts]", settings.als().withPreferenceHalfLife(0));
    namedAls.forEach(otherAls::putIfAbsent);
    otherAls.forEach((name, model) -> {
      Supplier<Dataset<Row>> other = memo(() -> stages.run(week + "als" + name, () -> AlsFactors.train(
          preferences.of(model.preferenceHalfLifeDays()), model, settings.audience().alsCandidates())).forCustomers().cache());
      methods.put("als" + name, () -> topOfEvaluated(other.get(), evaluated, k));
      methods.put("discovery[als" + name + "]", () -> top(signalsWithAls.apply(other).discovery(d), k));
    });
    // popular-new: the lists with no repurchase and no discovery candidate (an empty relation, nothing computed)
    methods.put("popular-new", () -> {
      Dataset<Row> none = repurchase.get().limit(0);
      return ranks(WeeklyLists.build(evaluated, none, none, base.customerProducts(),
          new ListAssembler(k, Map.of(), overall), k));
    });
    methods.put(Baselines.G_TOP_FREQ_NEW, () -> Baselines.gTopFreqNew(split, k));
    methods.put("weekly", () -> ranks(WeeklyLists.build(evaluated, repurchase.get(), blended.get(),
        base.customerProducts(), new ListAssembler(k, settings.segments().discoveryShare(), overall), k)));
    for (double share : SHARE_SWEEP) {
      Map<String, Double> same = new LinkedHashMap<>();
      JobSettings.SEGMENTS.forEach(s -> same.put(s, share));
      methods.put("weekly@" + share, () -> ranks(WeeklyLists.build(evaluated, repurchase.get(), blended.get(),
          base.customerProducts(), new ListAssembler(k, same, overall), k)));
    }

    // Only the methods asked for (their lists are lazy: the others are never computed).
    Map<String, Dataset<Row>> measured = new LinkedHashMap<>();
    // Each method's lists are read several times by the evaluator: compute them once, here, and cut their
    // lineage. Without the cut, every query of the evaluator carries the plans of all the models behind the
    // method (millions of characters of plan text, rendered again for every query).
    chosen(methods, settings.evaluationMethods()).forEach((method, recs) -> measured.put(method,
        stages.run(week + "lists " + method, () -> recs.get().localCheckpoint(true))));
    Dataset<Row> segmentOf = evaluated.select("customer_id", "segment").cache();
    List<Metric> results = stages.run(week + "metrics", () -> Evaluator.evaluateAll(split, measured, segmentOf,
        Evaluator.DEFAULT_KS));
    return new Part(split.cutoff(), customers, results);
  }

  /** {@code defaults}, then the other methods named in shoprec.job.evaluation.methods that are of their kind. */
  private List<String> namedVariants(List<String> defaults, java.util.function.Predicate<String> ofKind) {
    List<String> variants = new java.util.ArrayList<>(defaults);
    settings.evaluationMethods().stream().filter(m -> ofKind.test(m) && !variants.contains(m))
        .forEach(variants::add);
    return variants;
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

  /** A name of the form {@code discovery[…]}, other than the blends with another ALS ({@code discovery[als…]}). */
  private static boolean isDiscoveryVariant(String method) {
    return method.startsWith("discovery[") && !method.startsWith("discovery[als");
  }

  /** The bracketed part of {@code als[…]} or {@code discovery[als[…]]} (e.g. {@code [alpha=40]}), if any. */
  static Optional<String> alsSpec(String method) {
    if (method.startsWith("als[") && method.endsWith("]")) {
      return Optional.of(method.substring("als".length()));
    }
    if (method.startsWith("discovery[als[") && method.endsWith("]]")) {
      return Optional.of(method.substring("discovery[als".length(), method.length() - 1));
    }
    return Optional.empty();
  }

  /**
   * The ALS model named by {@code [counts]} (preferences from order counts) or {@code [key=value,…]}: {@code a}
   * with {@code rank}, {@code iter} (iterations), {@code alpha} (confidence scale), {@code reg} (regularization)
   * or {@code hl} (preference half-life in days, 0 for order counts) changed, e.g. {@code [alpha=40,reg=1]}.
   *
   * @throws SettingsException naming the method, for an unknown key or a bad value
   */
  static JobSettings.Als alsVariant(String spec, JobSettings.Als a) {
    String name = "als" + spec;
    if (spec.equals("[counts]")) {
      return a.withPreferenceHalfLife(0);
    }
    java.util.regex.Matcher m = ALS_VARIANT.matcher(spec);
    if (!m.matches()) {
      throw new SettingsException("shoprec.job.evaluation.methods: \"" + name
          + "\" is not an ALS variant like als[rank=64,alpha=40,reg=1,iter=10,hl=30] or als[counts]");
    }
    Map<String, String> set = variantSettings(name, m.group(1), List.of("rank", "iter", "alpha", "reg", "hl"));
    int rank = (int) number(name, set, "rank", a.rank(), true);
    int iter = (int) number(name, set, "iter", a.maxIter(), true);
    double alpha = number(name, set, "alpha", a.alpha(), false);
    double reg = number(name, set, "reg", a.regParam(), false);
    double hl = number(name, set, "hl", a.preferenceHalfLifeDays(), false);
    if (rank < 1 || iter < 1 || !(alpha >= 0) || !(reg >= 0) || !(hl >= 0)) {
      throw new SettingsException("shoprec.job.evaluation.methods: " + name
          + ": rank and iter must be at least 1; alpha, reg and hl at least 0");
    }
    return new JobSettings.Als(rank, reg, alpha, iter, a.seed(), a.checkpointInterval(), a.blockSize(),
        a.candidatesPerCustomer(), a.checkpointDir(), a.blocks(), hl);
  }

  /**
   * The blend named by a variant {@code discovery[key=value,…]}: {@code d} with {@code hl} (neighbours'
   * half-life, days), {@code nb} (max-neighbours), {@code each} (products-per-neighbour), {@code recent}
   * (recent-products), {@code pop} (popularity weight), {@code ease} (EASE's weight), {@code next} (next-new's
   * weight) or {@code w=n/a/c/p/e/x} (the six weights: neighbours, ALS, co-occurrence, popularity, EASE,
   * next-new; five, without next-new's, leave it 0) changed, e.g. {@code discovery[hl=14,nb=30,each=30]}.
   *
   * @throws SettingsException naming the variant, for an unknown key or a bad value
   */
  static JobSettings.Discovery discoveryVariant(String name, JobSettings.Discovery d) {
    java.util.regex.Matcher m = VARIANT.matcher(name);
    if (!m.matches()) {
      throw new SettingsException("shoprec.job.evaluation.methods: \"" + name
          + "\" is not a discovery variant like discovery[hl=14,nb=30,each=30,w=0.2/0.1/0/0/0.7]");
    }
    Map<String, String> set = variantSettings(name, m.group(1),
        List.of("hl", "nb", "each", "recent", "pop", "ease", "next", "w"));
    double hl = number(name, set, "hl", d.neighboursHalfLifeDays(), false);
    int nb = (int) number(name, set, "nb", d.maxNeighbours(), true);
    int each = (int) number(name, set, "each", d.productsPerNeighbour(), true);
    int recent = (int) number(name, set, "recent", d.recentProducts(), true);
    double[] w = {d.neighboursWeight(), d.alsWeight(), d.cooccurrenceWeight(), d.popularityWeight(), d.easeWeight(),
        d.nextNewWeight()};
    if (set.containsKey("w")) {
      String[] parts = set.get("w").split("/");
      if (parts.length != w.length && parts.length != w.length - 1) {
        throw new SettingsException("shoprec.job.evaluation.methods: " + name
            + ": bad value for w: six weights n/a/c/p/e/x (or five, next-new's 0), not " + set.get("w"));
      }
      w[5] = 0;
      for (int i = 0; i < parts.length; i++) {
        w[i] = parse(name, "w", parts[i], false);
      }
    }
    w[3] = number(name, set, "pop", w[3], false);
    w[4] = number(name, set, "ease", w[4], false);
    w[5] = number(name, set, "next", w[5], false);
    try {
      return new JobSettings.Discovery(w[0], w[1], w[2], w[3], w[4], w[5], hl, recent, nb, each);
    } catch (IllegalArgumentException e) {
      throw new SettingsException("shoprec.job.evaluation.methods: " + name + ": " + e.getMessage());
    }
  }

  /**
   * The EASE model named by {@code ease[key=value,…]}: {@code e} with {@code lambda} (regularization), {@code hl}
   * (preference half-life in days, 0 for order counts) or {@code products} (max-products) changed, e.g.
   * {@code ease[lambda=300,hl=14]}.
   *
   * @throws SettingsException naming the method, for an unknown key or a bad value
   */
  static JobSettings.Ease easeVariant(String name, JobSettings.Ease e) {
    java.util.regex.Matcher m = EASE_VARIANT.matcher(name);
    if (!m.matches()) {
      throw new SettingsException("shoprec.job.evaluation.methods: \"" + name
          + "\" is not an EASE variant like ease[lambda=300,hl=14,products=1000]");
    }
    Map<String, String> set = variantSettings(name, m.group(1), List.of("lambda", "hl", "products"));
    double lambda = number(name, set, "lambda", e.lambda(), false);
    double hl = number(name, set, "hl", e.preferenceHalfLifeDays(), false);
    int products = (int) number(name, set, "products", e.maxProducts(), true);
    if (!(lambda > 0) || !(hl >= 0) || products < 2 || products > JobSettings.MAX_EASE_PRODUCTS) {
      throw new SettingsException("shoprec.job.evaluation.methods: " + name + ": lambda must be positive, hl at"
          + " least 0, products between 2 and " + JobSettings.MAX_EASE_PRODUCTS);
    }
    return e.with(lambda, hl, products);
  }

  /**
   * The next-new model named by {@code next-new[key=value,…]}: {@code nn} with {@code lambda} (regularization)
   * or {@code hl} (the orders' half-life in days, 0 for all alike) changed, e.g. {@code next-new[lambda=300]}.
   *
   * @throws SettingsException naming the method, for an unknown key or a bad value
   */
  static JobSettings.NextNew nextNewVariant(String name, JobSettings.NextNew nn) {
    java.util.regex.Matcher m = NEXT_NEW_VARIANT.matcher(name);
    if (!m.matches()) {
      throw new SettingsException("shoprec.job.evaluation.methods: \"" + name
          + "\" is not a next-new variant like next-new[lambda=300,hl=90]");
    }
    Map<String, String> set = variantSettings(name, m.group(1), List.of("lambda", "hl"));
    double lambda = number(name, set, "lambda", nn.lambda(), false);
    double hl = number(name, set, "hl", nn.basketHalfLifeDays(), false);
    if (!(lambda > 0) || !(hl >= 0)) {
      throw new SettingsException("shoprec.job.evaluation.methods: " + name
          + ": lambda must be positive, hl at least 0");
    }
    return nn.with(lambda, hl);
  }

  /** The {@code key=value} pairs of a variant's name; a key not in {@code keys} is named with the known ones. */
  private static Map<String, String> variantSettings(String name, String pairs, List<String> keys) {
    Map<String, String> set = new LinkedHashMap<>();
    for (String pair : pairs.split(",")) {
      String key = pair.substring(0, pair.indexOf('='));
      if (!keys.contains(key)) {
        throw new SettingsException("shoprec.job.evaluation.methods: " + name + ": unknown key \"" + key + "\" ("
            + String.join(", ", keys) + ")");
      }
      set.put(key, pair.substring(pair.indexOf('=') + 1));
    }
    return set;
  }

  /** The number under {@code key}, else {@code otherwise}; a value that is not a number (or not whole) is named. */
  private static double number(String name, Map<String, String> set, String key, double otherwise, boolean whole) {
    String value = set.get(key);
    return value == null ? otherwise : parse(name, key, value, whole);
  }

  /** {@code value} as a number (a whole one when {@code whole}); one that is not is named with its key. */
  private static double parse(String name, String key, String value, boolean whole) {
    try {
      return whole ? Integer.parseInt(value) : Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new SettingsException("shoprec.job.evaluation.methods: " + name + ": bad value for " + key + ": "
          + e.getMessage());
    }
  }

  /** {@code compute} run once, on the first {@code get()}; the same result after that. */
  static <T> Supplier<T> memo(Supplier<T> compute) {
    return new Supplier<>() {
      private T value;
      private boolean done;

      @Override
      public synchronized T get() {
        if (!done) {
          value = compute.get();
          done = true;
        }
        return value;
      }
    };
  }

  /**
   * The discovery signals of the evaluated customers, blended with the given weights; a model is trained (its
   * supplier called) only when the blend weighs its signal.
   */
  private record Signals(Dataset<Row> evaluated, Supplier<Dataset<Row>> neighbours, BaseTables base,
      Supplier<Dataset<Row>> als, Supplier<Dataset<Row>> cooccurrence, Dataset<Row> popular,
      Supplier<Dataset<Row>> ease, Supplier<Dataset<Row>> nextNew) {
    Dataset<Row> discovery(JobSettings.Discovery w) {
      Dataset<Row> none = Ease.none(evaluated.sparkSession());
      Dataset<Row> noPairs = none.select(col("product_id"), col("product_id").as("other_product_id"),
          col("score").as("confidence"));
      Dataset<Row> noNeighbours = none.select(col("customer_id"), col("customer_id").as("similar_customer_id"),
          col("score").as("similarity"));
      return Discovery.candidates(evaluated, w.neighboursWeight() > 0 ? neighbours.get() : noNeighbours,
          base.customerProducts(), w.alsWeight() > 0 ? als.get() : none.drop("from_product_id"),
          w.cooccurrenceWeight() > 0 ? cooccurrence.get() : noPairs, popular, w.easeWeight() > 0 ? ease.get() : none,
          w.nextNewWeight() > 0 ? nextNew.get() : none, w);
    }
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

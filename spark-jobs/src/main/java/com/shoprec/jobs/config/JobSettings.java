package com.shoprec.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the job is told, read once from {@code reference.conf}, an optional overlay and the flags,
 * checked at once, then only read. A bad value fails here with the key's name, before anything runs.
 */
public final class JobSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final List<String> SEGMENTS =
      List.of("HEAVY", "REGULAR_CONSISTENT", "REGULAR_EXPLORATORY", "LIGHT");

  public enum InputFormat { CSV, JDBC }

  public enum SegmentMode { ABSOLUTE, QUANTILE, AUTO }

  /** Source column names of the order fields; quantity and price may be absent (null). */
  public record Columns(String orderId, String customerId, String productId, String ts, String quantity,
      String price) implements Serializable {}

  public record Jdbc(String url, String table, String query, String user, String passwordEnv,
      String passwordFile, String partitionColumn, String lowerBound, String upperBound, int numPartitions, int fetchSize)
      implements Serializable {}

  public record Input(InputFormat format, String path, boolean header, String delimiter,
      String timestampFormat, String timezone, Columns columns, List<String> excludedProducts,
      int rejectSamplePerReason, Jdbc jdbc) implements Serializable {}

  /**
   * The optional product catalog; {@code path} null when there is none. {@code nameColumn}: the column of
   * product names (or descriptions), used when the file has it.
   */
  public record Catalog(String path, String productIdColumn, String categoryColumn, String nameColumn)
      implements Serializable {}

  public record Segments(SegmentMode mode, int heavyMinOrders, int lightMaxOrders, double heavyQuantile,
      double lightQuantile, double autoMaxShare, int recentDays, double exploratoryMinNewShare,
      Map<String, Double> discoveryShare) implements Serializable {}

  public record Repurchase(double halfLifeDays, double dueWeight, double singlePurchaseDue,
      double overdueDecayIntervals) implements Serializable {}

  public record Popularity(double halfLifeDays, int windowDays, int listSize) implements Serializable {}

  /**
   * maxPairsPerCustomer: budget of candidate pairs the capped index may emit, per customer (0: no budget, the
   * buyer cap alone bounds them); when the cap would emit more, the job lowers its buyer cap until it fits.
   */
  public record Neighbours(int topK, double minSimilarity, int maxBuyersPerProduct, int maxProductsPerCustomer,
      long seed, long maxPairsPerCustomer) implements Serializable {

    /** The same settings with another buyer cap and pair budget. */
    public Neighbours withCaps(int maxBuyers, int maxProducts, long maxPairs) {
      return new Neighbours(topK, minSimilarity, maxBuyers, maxProducts, seed, maxPairs);
    }
  }

  /**
   * preferenceHalfLifeDays: the preference of a customer for a product is the sum over its orders of
   * 2^(−age / half-life); 0: the number of orders.
   */
  public record Als(int rank, double regParam, double alpha, int maxIter, long seed, int checkpointInterval,
      int blockSize, int candidatesPerCustomer, String checkpointDir, int blocks, double preferenceHalfLifeDays)
      implements Serializable {

    /** The same model with another rank and number of iterations. */
    public Als withRankAndIterations(int newRank, int iterations) {
      return new Als(newRank, regParam, alpha, iterations, seed, checkpointInterval, blockSize, candidatesPerCustomer,
          checkpointDir, blocks, preferenceHalfLifeDays);
    }

    /** The same model with another preference half-life (0: order counts). */
    public Als withPreferenceHalfLife(double days) {
      return new Als(rank, regParam, alpha, maxIter, seed, checkpointInterval, blockSize, candidatesPerCustomer,
          checkpointDir, blocks, days);
    }
  }

  public enum CooccurrenceRank { CONFIDENCE, LIFT, CO_COUNT, JACCARD }

  public record Cooccurrence(int minCoCount, int topK, int maxBasketSize, CooccurrenceRank rankBy, long seed)
      implements Serializable {}

  public record Audience(int topK, int alsCandidates, double alsWeight) implements Serializable {}

  /**
   * EASE (Steck, WWW 2019), a discovery signal: item-item weights from the customers' time-decayed preferences
   * for the {@code maxProducts} products with the most buyers, regularized by {@code lambda};
   * preferenceHalfLifeDays as {@link Als} (0: order counts); candidatesPerCustomer: best products kept per
   * customer.
   */
  public record Ease(int maxProducts, double lambda, double preferenceHalfLifeDays, int candidatesPerCustomer)
      implements Serializable {

    /** The same model with another regularization, preference half-life and product cap. */
    public Ease with(double newLambda, double halfLifeDays, int products) {
      return new Ease(products, newLambda, halfLifeDays, candidatesPerCustomer);
    }
  }

  /**
   * What customers buy new next ({@link com.shoprec.jobs.model.NextNew}), a discovery signal: a regression from
   * the products bought before each order to those it bought new, for the {@code maxProducts} products with
   * the most buyers, regularized by {@code lambda}; an order weighs 2^(−age / basketHalfLifeDays) (0: all alike);
   * candidatesPerCustomer: best products kept per customer.
   */
  public record NextNew(int maxProducts, double lambda, double basketHalfLifeDays, int candidatesPerCustomer)
      implements Serializable {

    /** The same model with another regularization and order half-life. */
    public NextNew with(double newLambda, double halfLifeDays) {
      return new NextNew(maxProducts, newLambda, halfLifeDays, candidatesPerCustomer);
    }
  }

  public record Discovery(double neighboursWeight, double alsWeight, double cooccurrenceWeight,
      double popularityWeight, double easeWeight, double nextNewWeight, double neighboursHalfLifeDays,
      int recentProducts,
      int maxNeighbours, int productsPerNeighbour) implements Serializable {

    /**
     * The blend's invariants, for every way a blend is made (the settings, which first name the failing
     * setting; the evaluation's variants; {@link #withWeights}).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public Discovery {
      if (!(neighboursWeight >= 0 && alsWeight >= 0 && cooccurrenceWeight >= 0 && popularityWeight >= 0
          && easeWeight >= 0 && nextNewWeight >= 0)) {
        throw new IllegalArgumentException("discovery weights must not be negative: " + neighboursWeight + "/"
            + alsWeight + "/" + cooccurrenceWeight + "/" + popularityWeight + "/" + easeWeight + "/" + nextNewWeight);
      }
      if (!(neighboursHalfLifeDays > 0)) {
        throw new IllegalArgumentException("the neighbours' half-life must be positive: " + neighboursHalfLifeDays);
      }
      if (recentProducts < 1 || maxNeighbours < 1 || productsPerNeighbour < 1) {
        throw new IllegalArgumentException("recent products (" + recentProducts + "), neighbours (" + maxNeighbours
            + ") and products per neighbour (" + productsPerNeighbour + ") must be at least 1");
      }
    }

    /** These weights, with the same half-life, recent products and bounds on the neighbours' signal. */
    public Discovery withWeights(double neighbours, double als, double cooccurrence, double popularity,
        double ease, double nextNew) {
      return new Discovery(neighbours, als, cooccurrence, popularity, ease, nextNew, neighboursHalfLifeDays,
          recentProducts, maxNeighbours, productsPerNeighbour);
    }

    /** The same blend, the neighbours' signal bounded to these many neighbours and products of each. */
    public Discovery withNeighbourBounds(int neighbours, int productsEach) {
      return new Discovery(neighboursWeight, alsWeight, cooccurrenceWeight, popularityWeight, easeWeight,
          nextNewWeight, neighboursHalfLifeDays, recentProducts, neighbours, productsEach);
    }
  }

  public record Gates(double minFullListShare, double minCatalogCoverage, double minOverlapWithPrevious,
      double maxRejectRate, long minCustomers) implements Serializable {}

  public record Redis(String url, String passwordEnv, String passwordFile, String namespace, int ttlDays, int pipelineBatch,
      int timeoutMillis, int keepRuns) implements Serializable {}

  public record Postgres(String url, String user, String passwordEnv, String passwordFile, int keepRuns) implements Serializable {}

  /** EASE's driver holds two dense matrices of this size squared (20,000: 3.2 GB of doubles, then 1.6 GB). */
  public static final int MAX_EASE_PRODUCTS = 20_000;
  /** The next-new model's sums take 12 n² bytes per task: 10,000 products, 1.2 GB. */
  public static final int MAX_NEXT_NEW_PRODUCTS = 10_000;

  private final Input input;
  private final Catalog catalog;
  private final Optional<LocalDate> asOf;
  private final int activeDays;
  private final int listSize;
  private final List<String> evaluationMethods;
  private final int limit;
  private final Segments segments;
  private final Repurchase repurchase;
  private final Popularity popularity;
  private final boolean parallelModels;
  private final Neighbours neighbours;
  private final Als als;
  private final Cooccurrence cooccurrence;
  private final Audience audience;
  private final Ease ease;
  private final NextNew nextNew;
  private final Discovery discovery;
  private final Gates gates;
  private final Redis redis;
  private final Postgres postgres;
  private final transient Config config;

  private JobSettings(Config c) {
    this.config = c;
    Config job = c.getConfig("shoprec.job");
    Config in = job.getConfig("input");
    Config cols = in.getConfig("columns");
    Config jdbc = in.getConfig("jdbc");
    this.input = new Input(
        enumOf(InputFormat.class, in, "format", "shoprec.job.input.format"),
        optString(in, "path"),
        in.getBoolean("csv.header"),
        nonEmpty(in, "csv.delimiter", "shoprec.job.input.csv.delimiter"),
        nonEmpty(in, "timestamp-format", "shoprec.job.input.timestamp-format"),
        zone(in.getString("timezone")),
        new Columns(
            nonEmpty(cols, "order-id", "shoprec.job.input.columns.order-id"),
            nonEmpty(cols, "customer-id", "shoprec.job.input.columns.customer-id"),
            nonEmpty(cols, "product-id", "shoprec.job.input.columns.product-id"),
            nonEmpty(cols, "ts", "shoprec.job.input.columns.ts"),
            optString(cols, "quantity"),
            optString(cols, "price")),
        List.copyOf(in.getStringList("excluded-products")),
        atLeast(in.getInt("reject-sample-per-reason"), 0, "shoprec.job.input.reject-sample-per-reason"),
        new Jdbc(optString(jdbc, "url"), optString(jdbc, "table"), optString(jdbc, "query"),
            optString(jdbc, "user"), jdbc.getString("password-env"), optString(jdbc, "password-file"),
            optString(jdbc, "partition-column"),
            optString(jdbc, "lower-bound"), optString(jdbc, "upper-bound"),
            atLeast(jdbc.getInt("num-partitions"), 1, "shoprec.job.input.jdbc.num-partitions"),
            atLeast(jdbc.getInt("fetch-size"), 1, "shoprec.job.input.jdbc.fetch-size")));
    Config cat = job.getConfig("catalog");
    this.catalog = new Catalog(optString(cat, "path"),
        nonEmpty(cat, "columns.product-id", "shoprec.job.catalog.columns.product-id"),
        nonEmpty(cat, "columns.category", "shoprec.job.catalog.columns.category"),
        nonEmpty(cat, "columns.name", "shoprec.job.catalog.columns.name"));
    this.asOf = Optional.ofNullable(optString(job, "as-of")).map(JobSettings::date);
    this.activeDays = atLeast(job.getInt("active-days"), 1, "shoprec.job.active-days");
    this.listSize = atLeast(job.getInt("list-size"), 1, "shoprec.job.list-size");
    this.evaluationMethods = List.copyOf(job.getStringList("evaluation.methods"));
    this.limit = atLeast(job.getInt("limit"), 0, "shoprec.job.limit");

    Config seg = job.getConfig("segments");
    Map<String, Double> shares = new LinkedHashMap<>();
    for (String segment : SEGMENTS) {
      String key = "discovery-share." + segment;
      if (!seg.hasPath(key)) {
        throw new SettingsException("shoprec.job.segments." + key + " is missing");
      }
      shares.put(segment, fraction(seg.getDouble(key), "shoprec.job.segments." + key));
    }
    this.segments = new Segments(
        enumOf(SegmentMode.class, seg, "mode", "shoprec.job.segments.mode"),
        atLeast(seg.getInt("heavy-min-orders"), 1, "shoprec.job.segments.heavy-min-orders"),
        atLeast(seg.getInt("light-max-orders"), 1, "shoprec.job.segments.light-max-orders"),
        fraction(seg.getDouble("heavy-quantile"), "shoprec.job.segments.heavy-quantile"),
        fraction(seg.getDouble("light-quantile"), "shoprec.job.segments.light-quantile"),
        fraction(seg.getDouble("auto-max-share"), "shoprec.job.segments.auto-max-share"),
        atLeast(seg.getInt("recent-days"), 1, "shoprec.job.segments.recent-days"),
        fraction(seg.getDouble("exploratory-min-new-share"), "shoprec.job.segments.exploratory-min-new-share"),
        Map.copyOf(shares));
    if (segments.lightMaxOrders() > segments.heavyMinOrders()) {
      throw new SettingsException("shoprec.job.segments.light-max-orders (" + segments.lightMaxOrders()
          + ") must not exceed heavy-min-orders (" + segments.heavyMinOrders() + ")");
    }
    if (segments.lightQuantile() > segments.heavyQuantile()) {
      throw new SettingsException("shoprec.job.segments.light-quantile must not exceed heavy-quantile");
    }

    Config rep = job.getConfig("repurchase");
    this.repurchase = new Repurchase(
        positive(rep.getDouble("half-life-days"), "shoprec.job.repurchase.half-life-days"),
        fraction(rep.getDouble("due-weight"), "shoprec.job.repurchase.due-weight"),
        fraction(rep.getDouble("single-purchase-due"), "shoprec.job.repurchase.single-purchase-due"),
        positive(rep.getDouble("overdue-decay-intervals"), "shoprec.job.repurchase.overdue-decay-intervals"));
    Config pop = job.getConfig("popularity");
    this.popularity = new Popularity(
        positive(pop.getDouble("half-life-days"), "shoprec.job.popularity.half-life-days"),
        atLeast(pop.getInt("window-days"), 1, "shoprec.job.popularity.window-days"),
        atLeast(pop.getInt("list-size"), 1, "shoprec.job.popularity.list-size"));

    this.parallelModels = job.getBoolean("parallel-models");
    Config nb = job.getConfig("neighbours");
    this.neighbours = new Neighbours(
        atLeast(nb.getInt("top-k"), 1, "shoprec.job.neighbours.top-k"),
        fraction(nb.getDouble("min-similarity"), "shoprec.job.neighbours.min-similarity"),
        atLeast(nb.getInt("max-buyers-per-product"), 2, "shoprec.job.neighbours.max-buyers-per-product"),
        atLeast(nb.getInt("max-products-per-customer"), 1, "shoprec.job.neighbours.max-products-per-customer"),
        nb.getLong("seed"),
        nonNegative(nb.getLong("max-pairs-per-customer"), "shoprec.job.neighbours.max-pairs-per-customer"));
    Config a = job.getConfig("als");
    this.als = new Als(
        atLeast(a.getInt("rank"), 1, "shoprec.job.als.rank"),
        nonNegative(a.getDouble("reg-param"), "shoprec.job.als.reg-param"),
        nonNegative(a.getDouble("alpha"), "shoprec.job.als.alpha"),
        atLeast(a.getInt("max-iter"), 1, "shoprec.job.als.max-iter"),
        a.getLong("seed"),
        atLeast(a.getInt("checkpoint-interval"), 1, "shoprec.job.als.checkpoint-interval"),
        atLeast(a.getInt("block-size"), 1, "shoprec.job.als.block-size"),
        atLeast(a.getInt("candidates-per-customer"), 1, "shoprec.job.als.candidates-per-customer"),
        a.getString("checkpoint-dir").trim(),
        atLeast(a.getInt("blocks"), 1, "shoprec.job.als.blocks"),
        nonNegative(a.getDouble("preference-half-life-days"), "shoprec.job.als.preference-half-life-days"));
    Config co = job.getConfig("cooccurrence");
    this.cooccurrence = new Cooccurrence(
        atLeast(co.getInt("min-co-count"), 1, "shoprec.job.cooccurrence.min-co-count"),
        atLeast(co.getInt("top-k"), 1, "shoprec.job.cooccurrence.top-k"),
        atLeast(co.getInt("max-basket-size"), 2, "shoprec.job.cooccurrence.max-basket-size"),
        enumOf(CooccurrenceRank.class, co, "rank-by", "shoprec.job.cooccurrence.rank-by"),
        co.getLong("seed"));
    Config au = job.getConfig("audience");
    this.audience = new Audience(
        atLeast(au.getInt("top-k"), 1, "shoprec.job.audience.top-k"),
        atLeast(au.getInt("als-candidates"), 1, "shoprec.job.audience.als-candidates"),
        fraction(au.getDouble("als-weight"), "shoprec.job.audience.als-weight"));
    Config e = job.getConfig("ease");
    this.ease = new Ease(
        between(e.getInt("max-products"), 2, MAX_EASE_PRODUCTS, "shoprec.job.ease.max-products"),
        positive(e.getDouble("lambda"), "shoprec.job.ease.lambda"),
        nonNegative(e.getDouble("preference-half-life-days"), "shoprec.job.ease.preference-half-life-days"),
        atLeast(e.getInt("candidates-per-customer"), 1, "shoprec.job.ease.candidates-per-customer"));
    Config nn = job.getConfig("next-new");
    this.nextNew = new NextNew(
        between(nn.getInt("max-products"), 2, MAX_NEXT_NEW_PRODUCTS, "shoprec.job.next-new.max-products"),
        positive(nn.getDouble("lambda"), "shoprec.job.next-new.lambda"),
        nonNegative(nn.getDouble("basket-half-life-days"), "shoprec.job.next-new.basket-half-life-days"),
        atLeast(nn.getInt("candidates-per-customer"), 1, "shoprec.job.next-new.candidates-per-customer"));
    Config d = job.getConfig("discovery");
    this.discovery = new Discovery(
        nonNegative(d.getDouble("neighbours-weight"), "shoprec.job.discovery.neighbours-weight"),
        nonNegative(d.getDouble("als-weight"), "shoprec.job.discovery.als-weight"),
        nonNegative(d.getDouble("cooccurrence-weight"), "shoprec.job.discovery.cooccurrence-weight"),
        nonNegative(d.getDouble("popularity-weight"), "shoprec.job.discovery.popularity-weight"),
        nonNegative(d.getDouble("ease-weight"), "shoprec.job.discovery.ease-weight"),
        nonNegative(d.getDouble("next-new-weight"), "shoprec.job.discovery.next-new-weight"),
        positive(d.getDouble("neighbours-half-life-days"), "shoprec.job.discovery.neighbours-half-life-days"),
        atLeast(d.getInt("recent-products"), 1, "shoprec.job.discovery.recent-products"),
        atLeast(d.getInt("max-neighbours"), 1, "shoprec.job.discovery.max-neighbours"),
        atLeast(d.getInt("products-per-neighbour"), 1, "shoprec.job.discovery.products-per-neighbour"));

    Config g = job.getConfig("gates");
    this.gates = new Gates(
        fraction(g.getDouble("min-full-list-share"), "shoprec.job.gates.min-full-list-share"),
        fraction(g.getDouble("min-catalog-coverage"), "shoprec.job.gates.min-catalog-coverage"),
        fraction(g.getDouble("min-overlap-with-previous"), "shoprec.job.gates.min-overlap-with-previous"),
        fraction(g.getDouble("max-reject-rate"), "shoprec.job.gates.max-reject-rate"),
        atLeast(g.getInt("min-customers"), 0, "shoprec.job.gates.min-customers"));

    Config r = c.getConfig("shoprec.redis");
    this.redis = new Redis(
        nonEmpty(r, "url", "shoprec.redis.url"), r.getString("password-env"), optString(r, "password-file"),
        r.getString("namespace"),
        atLeast(r.getInt("ttl-days"), 1, "shoprec.redis.ttl-days"),
        atLeast(r.getInt("pipeline-batch"), 1, "shoprec.redis.pipeline-batch"),
        atLeast(r.getInt("timeout-millis"), 1, "shoprec.redis.timeout-millis"),
        atLeast(r.getInt("keep-runs"), 1, "shoprec.redis.keep-runs"));
    if (!redis.url().startsWith("redis://") && !redis.url().startsWith("rediss://")) {
      throw new SettingsException("shoprec.redis.url must start with redis:// or rediss://, got " + mask(redis.url()));
    }
    Config p = c.getConfig("shoprec.postgres");
    this.postgres = new Postgres(
        nonEmpty(p, "url", "shoprec.postgres.url"), optString(p, "user"), p.getString("password-env"),
        optString(p, "password-file"), atLeast(p.getInt("keep-runs"), 1, "shoprec.postgres.keep-runs"));
    if (!postgres.url().startsWith("jdbc:postgresql:")) {
      throw new SettingsException("shoprec.postgres.url must be a jdbc:postgresql: URL, got " + mask(postgres.url()));
    }
    checkInput();
  }

  /** Reads {@code reference.conf}, then {@code overlay} (may be null), then {@code overrides} on top. */
  public static JobSettings load(File overlay, Map<String, ?> overrides) {
    Config base = ConfigFactory.defaultReference();
    if (overlay != null) {
      if (!overlay.isFile()) {
        throw new SettingsException("--config: no such file: " + overlay);
      }
      base = ConfigFactory.parseFile(overlay).withFallback(base);
    }
    Config flags = ConfigFactory.parseMap(overrides, "command line");
    try {
      return new JobSettings(flags.withFallback(base).resolve());
    } catch (ConfigException e) {
      throw new SettingsException(e.getMessage(), e);
    }
  }

  /** Defaults plus overrides, no overlay: for tests. */
  public static JobSettings of(Map<String, ?> overrides) {
    return load(null, overrides);
  }

  private void checkInput() {
    if (input.format() == InputFormat.CSV && input.path() == null) {
      throw new SettingsException("no input: give --input PATH (or shoprec.job.input.path)");
    }
    if (input.format() == InputFormat.JDBC) {
      Jdbc j = input.jdbc();
      if (j.url() == null) {
        throw new SettingsException("shoprec.job.input.jdbc.url is required when shoprec.job.input.format = jdbc");
      }
      if ((j.table() == null) == (j.query() == null)) {
        throw new SettingsException("give exactly one of shoprec.job.input.jdbc.table and shoprec.job.input.jdbc.query");
      }
      if (j.partitionColumn() != null && (j.lowerBound() == null || j.upperBound() == null)) {
        throw new SettingsException("shoprec.job.input.jdbc.partition-column needs lower-bound and upper-bound");
      }
    }
  }

  public Input input() { return input; }
  public Catalog catalog() { return catalog; }
  public Optional<LocalDate> asOf() { return asOf; }
  public int activeDays() { return activeDays; }
  public int listSize() { return listSize; }
  /** The methods {@code --evaluate} measures; empty for all. */
  public List<String> evaluationMethods() { return evaluationMethods; }
  public int limit() { return limit; }
  public Segments segments() { return segments; }
  public Repurchase repurchase() { return repurchase; }
  public Popularity popularity() { return popularity; }
  public boolean parallelModels() { return parallelModels; }
  public Neighbours neighbours() { return neighbours; }
  public Als als() { return als; }
  public Cooccurrence cooccurrence() { return cooccurrence; }
  public Audience audience() { return audience; }
  public Ease ease() { return ease; }

  public NextNew nextNew() { return nextNew; }
  public Discovery discovery() { return discovery; }
  public Gates gates() { return gates; }
  public Redis redis() { return redis; }
  public Postgres postgres() { return postgres; }

  /** The value of an environment variable named in the configuration, or null. */
  public static String secretFromEnv(String variable) {
    if (variable == null || variable.isBlank()) {
      return null;
    }
    String value = System.getenv(variable);
    return value == null || value.isEmpty() ? null : value;
  }

  /**
   * A password: the content of {@code file} when one is configured (one trailing line break removed;
   * e.g. a mounted Kubernetes or Docker secret), else the environment variable {@code variable}, else
   * null. The file's content is never part of an error message.
   *
   * @param key the configuration key naming the file, for the error message
   * @throws SettingsException when the file is configured but cannot be read or is empty
   */
  public static String secret(String variable, String file, String key) {
    if (file == null) {
      return secretFromEnv(variable);
    }
    java.nio.file.Path path = java.nio.file.Path.of(file);
    String value;
    try {
      value = java.nio.file.Files.readString(path, java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException | RuntimeException e) {
      throw new SettingsException(key + ": cannot read the password file " + path + " ("
          + e.getClass().getSimpleName() + ")");
    }
    if (value.endsWith("\n")) {
      value = value.substring(0, value.length() - (value.endsWith("\r\n") ? 2 : 1));
    }
    if (value.isEmpty()) {
      throw new SettingsException(key + ": the password file " + path + " is empty");
    }
    return value;
  }

  /** The effective {@code shoprec} settings as JSON, with passwords in URLs masked, for the log and the job log. */
  public String describe() {
    Config shown = config.getConfig("shoprec");
    StringBuilder out = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, ConfigValue> e : new java.util.TreeMap<>(shown.entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))).entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      String rendered = e.getValue().render(com.typesafe.config.ConfigRenderOptions.concise());
      out.append('"').append(e.getKey()).append("\":").append(mask(rendered));
    }
    return out.append('}').toString();
  }

  /** Replaces the password of {@code scheme://user:password@host} and of {@code password=…} parameters. */
  public static String mask(String text) {
    if (text == null) {
      return null;
    }
    return text.replaceAll("(://[^:/@\\s\"]*:)[^@/\\s\"]*@", "$1***@")
        .replaceAll("(?i)(password=)[^&\\s\"]*", "$1***");
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, Config c, String key, String name) {
    String value = c.getString(key);
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(name + " must be one of " + java.util.Arrays.toString(type.getEnumConstants())
          .toLowerCase(java.util.Locale.ROOT) + ", got \"" + value + "\"");
    }
  }

  private static String optString(Config c, String key) {
    if (!c.hasPath(key)) {
      return null;
    }
    String v = c.getString(key);
    return v.isBlank() ? null : v;
  }

  private static String nonEmpty(Config c, String key, String name) {
    String v = optString(c, key);
    if (v == null) {
      throw new SettingsException(name + " must not be empty");
    }
    return v;
  }

  private static int atLeast(int value, int min, String name) {
    if (value < min) {
      throw new SettingsException(name + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  private static int between(int value, int min, int max, String name) {
    if (value < min || value > max) {
      throw new SettingsException(name + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  private static double fraction(double value, String name) {
    if (!(value >= 0 && value <= 1)) {
      throw new SettingsException(name + " must be between 0 and 1, got " + value);
    }
    return value;
  }

  private static long nonNegative(long value, String name) {
    if (value < 0) {
      throw new SettingsException(name + " must not be negative, got " + value);
    }
    return value;
  }

  private static double nonNegative(double value, String name) {
    if (!(value >= 0)) {
      throw new SettingsException(name + " must not be negative, got " + value);
    }
    return value;
  }

  private static double positive(double value, String name) {
    if (!(value > 0)) {
      throw new SettingsException(name + " must be positive, got " + value);
    }
    return value;
  }

  private static String zone(String id) {
    try {
      return ZoneId.of(id).getId();
    } catch (RuntimeException e) {
      throw new SettingsException("shoprec.job.input.timezone: unknown time zone \"" + id + "\"");
    }
  }

  private static LocalDate date(String text) {
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw new SettingsException("--as-of (shoprec.job.as-of) must be a date like 2011-12-10, got \"" + text + "\"");
    }
  }
}

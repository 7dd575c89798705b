package com.shoprec.jobs;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.SettingsException;
import com.shoprec.jobs.gates.GateFailedException;
import com.shoprec.jobs.input.InputException;
import com.shoprec.jobs.store.postgres.RunInProgressException;
import com.shoprec.jobs.store.postgres.StoreUnavailableException;
import com.shoprec.jobs.store.redis.RedisUnavailableException;
import java.io.File;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.IsoFields;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The weekly batch, as run by {@code spark-submit} or {@code ./run-local.sh}: wiring only. Exit codes:
 * 0 published (or a dry run finished), 1 any other failure, 2 bad input or options, 3 a quality gate failed
 * (nothing published), 4 a store unreachable, 5 another run in progress.
 */
@Command(name = "shoprec-weekly", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Computes the weekly recommendation lists and publishes them to Postgres and Redis.")
public final class RecommendationJob implements Callable<Integer> {

  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_BAD_INPUT = 2;
  public static final int EXIT_GATE_FAILED = 3;
  public static final int EXIT_STORE_UNAVAILABLE = 4;
  public static final int EXIT_RUN_IN_PROGRESS = 5;

  private static final Logger LOG = LoggerFactory.getLogger(RecommendationJob.class);
  /** Spark's cache of generated code (a static setting: it counts only before the first session starts). */
  static final String CODEGEN_CACHE = "spark.sql.codegen.cache.maxEntries";
  static final int CODEGEN_CACHE_ENTRIES = 2000;
  private static final Pattern WEEK = Pattern.compile("(\\d{4})_?W(\\d{2})");

  @Option(names = "--input", paramLabel = "PATH", description = "CSV orders: path or glob on any Hadoop filesystem.")
  String input;

  @Option(names = "--catalog", paramLabel = "PATH", description = "Product catalog CSV (product_id, category, optional name): popularity per category; stored with the run.")
  String catalog;

  @Option(names = "--customers", paramLabel = "PATH", description = "Customers CSV (customer_id and any of gender, age_band, region): popularity per value of each.")
  String customers;

  @Option(names = "--config", paramLabel = "FILE", description = "An overlay of reference.conf, e.g. conf/production.conf.")
  File config;

  @Option(names = "--as-of", paramLabel = "DATE", description = "Run as of this day (yyyy-MM-dd); default: the day after the last order.")
  String asOf;

  @Option(names = "--week", paramLabel = "YYYY_Www", description = "Run for this ISO week: as of its Monday.")
  String week;

  @Option(names = "--limit", paramLabel = "N", description = "Lists for the first N active customers only, for a trial.")
  Integer limit;

  @Option(names = "--dry-run", description = "Compute and report; publish nothing and touch no store.")
  boolean dryRun;

  @Option(names = "--force", description = "Publish even if a quality gate fails (recorded in the job log).")
  boolean force;

  @Option(names = "--evaluate", paramLabel = "last-basket|time-split",
      description = "Evaluate the lists and the baselines on a time split instead of publishing.")
  String evaluate;

  @Option(names = "--split-date", paramLabel = "DATE",
      description = "time-split: the first day of the test week (default: 7 days before the day after the last order).")
  String splitDate;

  @Option(names = "--weeks", paramLabel = "N",
      description = "time-split: evaluate N consecutive weeks ending with the split date's, each with the models "
          + "trained on the orders before it, and pool them (default 1).")
  Integer weeks;

  @Option(names = "--report", paramLabel = "FILE", description = "With --evaluate: write the JSON report here.")
  java.nio.file.Path report;

  @Option(names = "--status", description = "Print the last runs from the job log and exit.")
  boolean status;

  @Option(names = "--rollback", description = "Make the previous completed run live again (Redis and Postgres) and exit.")
  boolean rollback;

  @Option(names = "--format", paramLabel = "csv|jdbc", description = "Input format (default csv).")
  String format;

  @Option(names = "--jdbc-url", paramLabel = "URL", description = "Orders database (password from ORDERS_DB_PASSWORD).")
  String jdbcUrl;

  @Option(names = "--jdbc-table", paramLabel = "TABLE", description = "Orders table.")
  String jdbcTable;

  @Option(names = "--jdbc-query", paramLabel = "SQL", description = "A SELECT returning the orders, instead of a table.")
  String jdbcQuery;

  @Option(names = "--redis-url", paramLabel = "URL", description = "redis:// or rediss:// URL (default from REDIS_URL).")
  String redisUrl;

  @Option(names = "--database-url", paramLabel = "JDBC_URL", description = "Results database (default from DATABASE_URL).")
  String databaseUrl;

  @Option(names = "--redis-password-file", paramLabel = "FILE", description = "Redis password from this file (else REDIS_PASSWORD).")
  String redisPasswordFile;

  @Option(names = "--database-password-file", paramLabel = "FILE", description = "Results database password from this file (else PGPASSWORD).")
  String databasePasswordFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any configuration key, e.g. --set shoprec.job.active-days=60.")
  Map<String, String> sets = new LinkedHashMap<>();

  @Option(names = "--verbose", description = "Spark's and the job's INFO logging on the terminal, and the metrics "
      + "lines (stage timings, stage metrics, peak RSS) on stdout.")
  boolean verbose;

  @Option(names = "--log-file", paramLabel = "FILE", description = "The job's log (its INFO lines, the metrics "
      + "lines, every warning), appended to FILE.")
  java.nio.file.Path logFile;

  @Option(names = "--measure-memory", description = "Sample the driver's heap during each stage (peak_heap_mib, "
      + "live_heap_mib in the stage metrics; bench/scale.sh).")
  boolean measureMemory;

  /** Set by {@link #main}: the process is the job's, so the job configures its logging (a test's JVM is not). */
  private boolean ownsProcess;

  public static void main(String[] args) {
    RecommendationJob job = new RecommendationJob();
    job.ownsProcess = true;
    System.exit(run(job, args));
  }

  /** Runs the job and returns its exit code (for tests, which must not exit the JVM). */
  public static int run(String... args) {
    return run(new RecommendationJob(), args);
  }

  private static int run(RecommendationJob job, String... args) {
    CommandLine cli = new CommandLine(job);
    cli.setExecutionExceptionHandler((e, line, parsed) -> exitCode(e));
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    if (ownsProcess) {
      JobLogging.configure(verbose, logFile);
    }
    if (status || rollback) {
      // Operator commands: no input, no Spark.
      JobSettings settings = JobSettings.load(config, withPlaceholderInput(overrides()));
      return status ? Operations.status(settings, System.out) : Operations.rollback(settings, System.out);
    }
    if (weeks != null && weeks < 1) {
      throw new SettingsException("--weeks must be at least 1, got " + weeks);
    }
    if (weeks != null && !"time-split".equals(evaluate)) {
      throw new SettingsException("--weeks applies to --evaluate time-split only"
          + (evaluate == null ? "" : ", not " + evaluate));
    }
    JobSettings settings = JobSettings.load(config, overrides());
    LOG.info("settings: {}", settings.describe());
    SparkSession spark = session(settings);
    if (evaluate != null) {
      return evaluate(spark, settings);
    }
    WeeklyRun run = new WeeklyRun(spark, settings, dryRun, force).listen(new Progress(System.out));
    if (measureMemory) {
      run.listen(new StageMemory());
    }
    Summary.lapackNote(settings).ifPresent(System.out::println);
    WeeklyRun.Outcome outcome = run.execute();
    String what = outcome.published() ? "published run " + outcome.runId() : "dry run, nothing published";
    // For scripts (bench/): in the log file, and with --verbose on stdout as well.
    metrics(String.format("%s: week %s, as of %s, %d input rows, %d used, rejected %s, outputs %s", what,
        outcome.week(), outcome.asOf(), outcome.inputRows(), outcome.usedRows(), outcome.rejects(), outcome.outputs()));
    metrics("stage timings (ms): " + outcome.stageMillis());
    // Models run at the same time: their stages overlap, and each one's heap figures include the others'.
    metrics("stage metrics: " + outcome.stageMetricsJson());
    metrics(String.format("process: peak RSS %d MiB (VmHWM), max heap %d MiB", Stages.peakRssMiB(),
        Runtime.getRuntime().maxMemory() >> 20));
    System.out.print(Summary.of(outcome, settings, logFile,
        java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime()));
    return EXIT_OK;
  }

  private static final Logger METRICS = LoggerFactory.getLogger("shoprec.metrics");

  /** A machine-readable line: to the job log, and with --verbose to stdout (where scripts read it). */
  private void metrics(String line) {
    METRICS.info(line);
    if (verbose) {
      System.out.println(line);
    }
  }

  private int evaluate(SparkSession spark, JobSettings settings) {
    if (!List.of("last-basket", "time-split").contains(evaluate)) {
      throw new SettingsException("--evaluate must be last-basket or time-split, got \"" + evaluate + "\"");
    }
    LocalDate date = null;
    if (splitDate != null) {
      try {
        date = LocalDate.parse(splitDate);
      } catch (java.time.format.DateTimeParseException e) {
        throw new SettingsException("--split-date must be a date like 2011-12-03, got \"" + splitDate + "\"");
      }
    }
    EvaluationRun.Outcome outcome = new EvaluationRun(spark, settings, evaluate, date, weeks == null ? 1 : weeks,
        dryRun).execute();
    System.out.println(com.shoprec.jobs.eval.EvaluationReport.toTable(outcome.results(), settings.listSize()));
    if (report != null) {
      EvaluationRun.writeReport(report, outcome.json());
      System.out.println("report written to " + report);
    }
    System.out.printf("evaluation %s: %s, %d customers%n", outcome.evaluationId(), outcome.protocol(), outcome.customers());
    return EXIT_OK;
  }

  /** Operator commands read no orders: the input settings only need to be well-formed. */
  private static Map<String, Object> withPlaceholderInput(Map<String, Object> o) {
    o.putIfAbsent("shoprec.job.input.path", "(none)");
    return o;
  }

  Map<String, Object> overrides() {
    Map<String, Object> o = new LinkedHashMap<>();
    put(o, "shoprec.job.input.path", input);
    put(o, "shoprec.job.input.format", format);
    put(o, "shoprec.job.catalog.path", catalog);
    put(o, "shoprec.job.customers.path", customers);
    put(o, "shoprec.job.input.jdbc.url", jdbcUrl);
    put(o, "shoprec.job.input.jdbc.table", jdbcTable);
    put(o, "shoprec.job.input.jdbc.query", jdbcQuery);
    if (jdbcUrl != null && format == null) {
      o.put("shoprec.job.input.format", "jdbc");
    }
    if (asOf != null && week != null) {
      throw new SettingsException("give --as-of or --week, not both");
    }
    put(o, "shoprec.job.as-of", asOf);
    if (week != null) {
      o.put("shoprec.job.as-of", mondayOf(week).toString());
    }
    if (limit != null) {
      if (limit < 1) {
        throw new SettingsException("--limit must be at least 1, got " + limit);
      }
      o.put("shoprec.job.limit", limit);
    }
    put(o, "shoprec.redis.url", redisUrl);
    put(o, "shoprec.postgres.url", databaseUrl);
    put(o, "shoprec.redis.password-file", redisPasswordFile);
    put(o, "shoprec.postgres.password-file", databasePasswordFile);
    sets.forEach((key, value) -> o.put(key, hocon(key, value)));
    return o;
  }

  /** A --set value as configuration syntax, so lists and numbers work: {@code --set k=[]}, {@code --set k=0.5}. */
  static Object hocon(String key, String value) {
    try {
      return com.typesafe.config.ConfigFactory.parseString("v = " + value).getValue("v").unwrapped();
    } catch (com.typesafe.config.ConfigException e) {
      throw new SettingsException("--set " + key + "=" + value + ": not a valid value (" + e.getMessage() + ")");
    }
  }

  static LocalDate mondayOf(String week) {
    Matcher m = WEEK.matcher(week);
    if (!m.matches()) {
      throw new SettingsException("--week must look like 2011_W49, got \"" + week + "\"");
    }
    int year = Integer.parseInt(m.group(1));
    int number = Integer.parseInt(m.group(2));
    LocalDate mid = LocalDate.of(year, 6, 1);
    if (number < 1 || number > mid.range(IsoFields.WEEK_OF_WEEK_BASED_YEAR).getMaximum()) {
      throw new SettingsException("--week: " + year + " has no week " + number);
    }
    return mid.with(IsoFields.WEEK_OF_WEEK_BASED_YEAR, number).with(DayOfWeek.MONDAY);
  }

  private static void put(Map<String, Object> o, String key, String value) {
    if (value != null) {
      o.put(key, value);
    }
  }

  /** The session spark-submit configured, with {@link #sessionDefaults} for what it left unset. */
  static SparkSession session(JobSettings settings) {
    SparkSession.Builder builder = SparkSession.builder().appName("shoprec-weekly");
    sessionDefaults(new SparkConf(), Runtime.getRuntime().availableProcessors()).forEach(builder::config);
    return builder
        .config("spark.sql.session.timeZone", settings.input().timezone())
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .getOrCreate();
  }

  /**
   * The Spark settings the job picks when {@code conf} (spark-submit's, or {@code spark.*} system properties) does
   * not set them; a setting given there always wins.
   */
  static Map<String, String> sessionDefaults(SparkConf conf, int cores) {
    Map<String, String> defaults = new LinkedHashMap<>();
    if (!conf.contains("spark.master")) {
      defaults.put("spark.master", "local[*]");
    }
    boolean local = conf.get("spark.master", "local[*]").startsWith("local");
    if (local && !conf.contains(SHUFFLE_PARTITIONS)) {
      // Spark's 200 means hundreds of tiny tasks per stage on one machine; a few per core is enough (and fewer
      // for a small input: shufflePartitions).
      defaults.put(SHUFFLE_PARTITIONS, Integer.toString(4 * cores));
    }
    if (!conf.contains("spark.sql.maxPlanStringLength")) {
      // Spark writes each query's plan as text for its listeners, UI or not. The lists' plans repeat every
      // cached model below them, and their text alone filled gigabytes of heap; 100,000 characters is plenty.
      defaults.put("spark.sql.maxPlanStringLength", "100000");
    }
    if (!conf.contains("spark.sql.ui.explainMode")) {
      // The same text, in Spark's "formatted" mode by default: every operator listed twice, with ids, which
      // for these plans cost seconds per query, many times per run. The simple tree is enough for a log.
      defaults.put("spark.sql.ui.explainMode", "simple");
    }
    if (!conf.contains(CODEGEN_CACHE)) {
      // Spark keeps the classes it generates and compiles for query stages in a cache of 100 by default. A weekly
      // run generates about 470 distinct ones and compiled about 550 (some twice: evicted before their second
      // use); a three-week evaluation compiled 11,444, the same plans again for every week and method, where
      // 778 are distinct. Each costs Janino's compile and then the JIT's work on a new class.
      defaults.put(CODEGEN_CACHE, Integer.toString(CODEGEN_CACHE_ENTRIES));
    }
    if (!conf.contains("spark.scheduler.mode")) {
      // The independent models run at the same time, each in its own pool (ModelRunner).
      defaults.put("spark.scheduler.mode", "FAIR");
    }
    return defaults;
  }

  static final String SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions";

  /**
   * {@value #SHUFFLE_PARTITIONS} for an input of {@code lines} order lines: one partition per
   * {@code linesPerPartition} lines (rounded up), at least 1 and at most {@code configured}, the session's value;
   * {@code configured} when {@code linesPerPartition} is 0. Each task costs the same fixed time however little it
   * does: a small input runs a few, a large one the session's number.
   */
  static int shufflePartitions(int configured, long lines, long linesPerPartition) {
    if (linesPerPartition <= 0) {
      return configured;
    }
    long n = lines / linesPerPartition + (lines % linesPerPartition == 0 ? 0 : 1);
    return (int) Math.max(1, Math.min(configured, n));
  }

  static int exitCode(Throwable e) {
    Throwable cause = e;
    if (e instanceof CommandLine.ParameterException) {
      System.err.println("error: " + e.getMessage());
      return EXIT_BAD_INPUT;
    }
    int code = EXIT_FAILED;
    if (cause instanceof SettingsException || cause instanceof InputException) {
      code = EXIT_BAD_INPUT;
    } else if (cause instanceof StoreUnavailableException || cause instanceof RedisUnavailableException) {
      code = EXIT_STORE_UNAVAILABLE;
    } else if (cause instanceof GateFailedException) {
      code = EXIT_GATE_FAILED;
    } else if (cause instanceof RunInProgressException) {
      code = EXIT_RUN_IN_PROGRESS;
    }
    String message = JobSettings.mask(String.valueOf(cause.getMessage()));
    if (code == EXIT_FAILED) {
      LOG.error("run failed", cause);
    }
    System.err.println("error: " + message);
    return code;
  }
}

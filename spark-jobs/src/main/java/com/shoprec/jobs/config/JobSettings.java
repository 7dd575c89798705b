package com.shoprec.jobs.config;

import com.shoprec.jobs.eval.EvaluationSettings;
import com.shoprec.jobs.gates.QualityGates;
import com.shoprec.jobs.input.CatalogSettings;
import com.shoprec.jobs.input.CustomerAttributes;
import com.shoprec.jobs.input.InputSettings;
import com.shoprec.jobs.model.signals.AlsFactors;
import com.shoprec.jobs.model.signals.Cooccurrence;
import com.shoprec.jobs.model.lists.Discovery;
import com.shoprec.jobs.model.signals.Ease;
import com.shoprec.jobs.model.signals.JaccardNeighbours;
import com.shoprec.jobs.model.signals.NextNew;
import com.shoprec.jobs.model.signals.Popularity;
import com.shoprec.jobs.model.lists.ProductAudience;
import com.shoprec.jobs.model.signals.RepurchaseScore;
import com.shoprec.jobs.model.lists.Segments;
import com.shoprec.jobs.store.postgres.PostgresSettings;
import com.shoprec.jobs.store.redis.RedisSettings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the job is told, read once from {@code reference.conf}, an optional overlay and the flags,
 * checked at once, then only read. A bad value fails here with the key's name, before anything runs.
 *
 * <p>Each component reads its own section into its own record ({@link AlsFactors.Settings} from
 * {@code shoprec.job.als}, and so on, through {@link Section}); this class only composes them, with the few
 * settings of the run itself (the day, the active window, the list size, a trial's limit).
 */
public final class JobSettings implements Serializable {
  private static final long serialVersionUID = 2L;

  private final InputSettings input;
  private final CatalogSettings catalog;
  private final CustomerAttributes.Settings customers;
  private final Optional<LocalDate> asOf;
  private final int activeDays;
  private final int listSize;
  private final int limit;
  private final boolean parallelModels;
  private final long linesPerShufflePartition;
  private final Segments.Settings segments;
  private final RepurchaseScore.Settings repurchase;
  private final Popularity.Settings popularity;
  private final JaccardNeighbours.Settings neighbours;
  private final AlsFactors.Settings als;
  private final Cooccurrence.Settings cooccurrence;
  private final ProductAudience.Settings audience;
  private final Ease.Settings ease;
  private final NextNew.Settings nextNew;
  private final Discovery.Settings discovery;
  private final QualityGates.Settings gates;
  private final EvaluationSettings evaluation;
  private final RedisSettings redis;
  private final PostgresSettings postgres;
  private final transient Config config;

  private JobSettings(Config c) {
    this.config = c;
    Section job = new Section(c.getConfig("shoprec.job"), "shoprec.job");
    this.input = InputSettings.from(job.section("input"));
    this.catalog = CatalogSettings.from(job.section("catalog"));
    this.customers = CustomerAttributes.Settings.from(job.section("customers"));
    this.asOf = Optional.ofNullable(job.optString("as-of")).map(JobSettings::date);
    this.activeDays = job.atLeast("active-days", 1);
    this.listSize = job.atLeast("list-size", 1);
    this.limit = job.atLeast("limit", 0);
    this.parallelModels = job.getBoolean("parallel-models");
    this.linesPerShufflePartition = job.nonNegativeLong("lines-per-shuffle-partition");
    this.segments = Segments.Settings.from(job.section("segments"));
    this.repurchase = RepurchaseScore.Settings.from(job.section("repurchase"));
    this.popularity = Popularity.Settings.from(job.section("popularity"));
    this.neighbours = JaccardNeighbours.Settings.from(job.section("neighbours"));
    this.als = AlsFactors.Settings.from(job.section("als"));
    this.cooccurrence = Cooccurrence.Settings.from(job.section("cooccurrence"));
    this.audience = ProductAudience.Settings.from(job.section("audience"));
    this.ease = Ease.Settings.from(job.section("ease"));
    this.nextNew = NextNew.Settings.from(job.section("next-new"));
    this.discovery = Discovery.Settings.from(job.section("discovery"));
    this.gates = QualityGates.Settings.from(job.section("gates"));
    this.evaluation = EvaluationSettings.from(job.section("evaluation"));
    this.redis = RedisSettings.from(new Section(c.getConfig("shoprec.redis"), "shoprec.redis"));
    this.postgres = PostgresSettings.from(new Section(c.getConfig("shoprec.postgres"), "shoprec.postgres"));
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

  public InputSettings input() { return input; }
  public CatalogSettings catalog() { return catalog; }
  public CustomerAttributes.Settings customers() { return customers; }
  public Optional<LocalDate> asOf() { return asOf; }
  public int activeDays() { return activeDays; }
  public int listSize() { return listSize; }
  public int limit() { return limit; }
  public boolean parallelModels() { return parallelModels; }
  /** Order lines per shuffle partition (spark.sql.shuffle.partitions sized from the input); 0: the session's. */
  public long linesPerShufflePartition() { return linesPerShufflePartition; }
  public Segments.Settings segments() { return segments; }
  public RepurchaseScore.Settings repurchase() { return repurchase; }
  public Popularity.Settings popularity() { return popularity; }
  public JaccardNeighbours.Settings neighbours() { return neighbours; }
  public AlsFactors.Settings als() { return als; }
  public Cooccurrence.Settings cooccurrence() { return cooccurrence; }
  public ProductAudience.Settings audience() { return audience; }
  public Ease.Settings ease() { return ease; }
  public NextNew.Settings nextNew() { return nextNew; }
  public Discovery.Settings discovery() { return discovery; }
  public QualityGates.Settings gates() { return gates; }
  public EvaluationSettings evaluation() { return evaluation; }
  public RedisSettings redis() { return redis; }
  public PostgresSettings postgres() { return postgres; }

  /**
   * These settings with {@code overrides} (full keys, e.g. {@code shoprec.job.discovery.ease-weight}) on top,
   * checked as the originals were: how the evaluation builds a named variant's suite.
   */
  public JobSettings with(Config overrides) {
    try {
      return new JobSettings(overrides.withFallback(config).resolve());
    } catch (ConfigException e) {
      throw new SettingsException(e.getMessage(), e);
    }
  }

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


  private static LocalDate date(String text) {
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw new SettingsException("--as-of (shoprec.job.as-of) must be a date like 2011-12-10, got \"" + text + "\"");
    }
  }
}

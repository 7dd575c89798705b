package com.shoprec.jobs.model;

import com.shoprec.jobs.model.lists.Discovery;
import com.shoprec.jobs.model.lists.ProductAudience;
import com.shoprec.jobs.model.lists.Segments;
import com.shoprec.jobs.model.signals.AlsFactors;
import com.shoprec.jobs.model.signals.Cooccurrence;
import com.shoprec.jobs.model.signals.Ease;
import com.shoprec.jobs.model.signals.JaccardNeighbours;
import com.shoprec.jobs.model.signals.NextNew;
import com.shoprec.jobs.model.signals.Popularity;
import com.shoprec.jobs.model.signals.RepurchaseScore;
import static org.apache.spark.sql.functions.col;

import com.shoprec.common.RedisKeys;
import com.shoprec.jobs.config.JobSettings;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Every model of one run, built from the settings over one set of base tables: the one place that says how each
 * model is trained, what it reads and how its result is kept. The weekly run and the evaluation both take their
 * models from here; the evaluation builds further suites from variants of the settings.
 *
 * <p>Each model is trained once, when first asked for ({@link #segments}, {@link #als}, …), and a model that
 * needs another asks for it: the weekly run asks for all of them at once from several threads (each in its own
 * scheduler pool, {@link Trainer}), the evaluation only for those a measured method needs. Results are
 * materialized without their lineage (see {@link #kept}).
 *
 * <p>{@code scored} are the customers whose EASE and next-new candidates are computed (the weekly run's active
 * customers; the evaluated ones in an evaluation).
 */
public final class ModelSuite implements AutoCloseable {

  /**
   * Runs one model's training, named: the weekly run's stages and scheduler pools, the evaluation's stages.
   * Not a lambda (its method is generic): a method reference, e.g. {@code stages::run}.
   */
  public interface Trainer {
    <T> T train(String model, Supplier<T> body);

    /** Trains in the calling thread, unnamed. */
    Trainer DIRECT = new Trainer() {
      @Override
      public <T> T train(String model, Supplier<T> body) {
        return body.get();
      }
    };
  }

  /** The models a weekly run publishes, in the order it starts them. */
  public static final List<String> PUBLISHED = List.of("segments", "popularity", "neighbours", "als",
      "cooccurrence", "ease", "next-new", "audience");

  private final SparkSession spark;
  private final BaseTables base;
  private final JobSettings settings;
  private final Supplier<Dataset<Row>> scored;
  private final Dataset<Row> catalog;
  private final Dataset<Row> customerAttributes;
  private final SharedPreferences preferences;
  private final boolean ownsPreferences;

  private final Supplier<Dataset<Row>> segments;
  private final Supplier<Dataset<Row>> popularity;
  private final Supplier<Dataset<Row>> repurchase;
  private final Supplier<JaccardNeighbours.Result> neighbours;
  private final Supplier<AlsFactors.Result> als;
  private final Supplier<Cooccurrence.Result> cooccurrence;
  private final Supplier<Dataset<Row>> ease;
  private final Supplier<Dataset<Row>> nextNew;
  private final Supplier<Dataset<Row>> audience;

  /**
   * @param scored  customer_id of the customers whose EASE and next-new candidates are computed; asked for when
   *                those models are trained
   * @param catalog product_id, category (popularity per category too), or null
   * @param customerAttributes customer_id and the {@link com.shoprec.jobs.input.CustomerAttributes#ATTRIBUTES}
   *     (popularity per value of each too), or null
   * @param trainer how each model's training is run and named
   */
  public ModelSuite(BaseTables base, JobSettings settings, Supplier<Dataset<Row>> scored, Dataset<Row> catalog,
      Dataset<Row> customerAttributes, Trainer trainer) {
    this(null, base, settings, scored, catalog, customerAttributes, trainer, new SharedPreferences(base));
  }

  /** {@code parent}: the suite whose models this one shares where their settings are the same, or null. */
  private ModelSuite(ModelSuite parent, BaseTables base, JobSettings settings, Supplier<Dataset<Row>> scored,
      Dataset<Row> catalog, Dataset<Row> customerAttributes, Trainer trainer, SharedPreferences preferences) {
    this.spark = base.customers().sparkSession();
    this.base = base;
    this.settings = settings;
    this.scored = scored;
    this.catalog = catalog;
    this.customerAttributes = customerAttributes;
    this.preferences = preferences;
    this.ownsPreferences = parent == null;
    JobSettings p = parent == null ? null : parent.settings;
    this.segments = parent != null && same(p, settings, JobSettings::segments) ? parent.segments
        : once(trainer, "segments", () ->
        kept(Segments.compute(base.customers(), settings.segments()).segments()));
    this.popularity = parent != null && this.segments == parent.segments
        && same(p, settings, JobSettings::popularity) ? parent.popularity : once(trainer, "popularity", () -> {
      Popularity.Settings pop = settings.popularity();
      return kept(Popularity.compute(base.orderLines(), segments(), catalog, customerAttributes, pop.halfLifeDays(),
          pop.windowDays(), pop.listSize()));
    });
    this.repurchase = parent != null && same(p, settings, JobSettings::repurchase) ? parent.repurchase
        : once(trainer, "repurchase", () ->
        RepurchaseScore.candidates(base.customerProducts(), settings.repurchase()).cache());
    this.neighbours = parent != null && same(p, settings, JobSettings::neighbours) ? parent.neighbours
        : once(trainer, "neighbours", () -> {
      JaccardNeighbours.Result r = JaccardNeighbours.compute(base.customerProducts(), settings.neighbours());
      return new JaccardNeighbours.Result(kept(r.neighbours()), r.stats());
    });
    this.als = parent != null && same(p, settings, JobSettings::als)
        && p.audience().alsCandidates() == settings.audience().alsCandidates() ? parent.als
        : once(trainer, "als", () -> {
      AlsFactors.ensureCheckpointDir(spark, settings.als());
      AlsFactors.Result r = AlsFactors.train(preferences.of(settings.als().preferenceHalfLifeDays()),
          settings.als(), settings.audience().alsCandidates());
      // The products' best customers only for the audience (not every use of the suite needs one).
      return new AlsFactors.Result(kept(r.customerFactors()), kept(r.productFactors()), kept(r.forCustomers()),
          r.forProducts());
    });
    this.cooccurrence = parent != null && same(p, settings, JobSettings::cooccurrence) ? parent.cooccurrence
        : once(trainer, "cooccurrence", () -> {
      Cooccurrence.Result r = Cooccurrence.compute(base.orderLines(), settings.cooccurrence());
      Dataset<Row> pairs = kept(r.pairs());
      r.pairs().unpersist(); // the model's own cached copy
      return new Cooccurrence.Result(pairs, r.stats());
    });
    // EASE and next-new only when discovery weighs them: their solves on the driver are the dearest steps.
    this.ease = parent != null && same(p, settings, JobSettings::ease)
        && (p.discovery().easeWeight() == 0) == (settings.discovery().easeWeight() == 0) ? parent.ease
        : once(trainer, "ease", () -> settings.discovery().easeWeight() == 0 ? Ease.none(spark)
            : Ease.forCustomers(preferences.of(settings.ease().preferenceHalfLifeDays()), base.customerProducts(),
                scored.get(), settings.ease()));
    this.nextNew = parent != null && same(p, settings, JobSettings::nextNew)
        && (p.discovery().nextNewWeight() == 0) == (settings.discovery().nextNewWeight() == 0) ? parent.nextNew
        : once(trainer, "next-new", () -> settings.discovery().nextNewWeight() == 0 ? Ease.none(spark)
            : NextNew.forCustomers(base.orderLines(), base.customerProducts(), scored.get(), settings.nextNew()));
    this.audience = parent != null && this.als == parent.als && this.repurchase == parent.repurchase
        && same(p, settings, JobSettings::audience) ? parent.audience : once(trainer, "audience", () ->
        kept(ProductAudience.compute(als().forProducts(), repurchase(), settings.audience())));
  }

  /**
   * The suite of {@code variant} settings over the same base tables, customers and cached preferences. A model
   * whose settings (and inputs) are this suite's is shared, not trained again; the others are trained with
   * {@code trainer}. Closing this suite releases the shared preferences.
   */
  public ModelSuite variant(JobSettings variant, Trainer trainer) {
    return new ModelSuite(this, base, variant, scored, catalog, customerAttributes, trainer, preferences);
  }

  public JobSettings settings() {
    return settings;
  }

  public BaseTables base() {
    return base;
  }

  /** customer_id, segment, and the figures it was chosen from ({@link Segments}). */
  public Dataset<Row> segments() {
    return segments.get();
  }

  /** scope, product_id, rank, score, orders, customers ({@link Popularity}). */
  public Dataset<Row> popularity() {
    return popularity.get();
  }

  /** The repurchase candidates of every customer ({@link RepurchaseScore#candidates}). */
  public Dataset<Row> repurchase() {
    return repurchase.get();
  }

  public JaccardNeighbours.Result neighbours() {
    return neighbours.get();
  }

  public AlsFactors.Result als() {
    return als.get();
  }

  public Cooccurrence.Result cooccurrence() {
    return cooccurrence.get();
  }

  /** The scored customers' EASE candidates; none when discovery does not weigh EASE. */
  public Dataset<Row> ease() {
    return ease.get();
  }

  /** The scored customers' next-new candidates; none when discovery does not weigh next-new. */
  public Dataset<Row> nextNew() {
    return nextNew.get();
  }

  /** product_id, customer_id, score, rank, reason ({@link ProductAudience}). */
  public Dataset<Row> audience() {
    return audience.get();
  }

  /** The published model of this name ({@link #PUBLISHED}), trained. */
  public Object train(String model) {
    return switch (model) {
      case "segments" -> segments();
      case "popularity" -> popularity();
      case "neighbours" -> neighbours();
      case "als" -> als();
      case "cooccurrence" -> cooccurrence();
      case "ease" -> ease();
      case "next-new" -> nextNew();
      case "audience" -> audience();
      default -> throw new IllegalArgumentException("no model " + model + "; the models are " + PUBLISHED);
    };
  }

  /**
   * The discovery candidates of {@code customers} blended with {@code weights} ({@link Discovery#candidates}).
   * A signal the blend does not weigh is not trained for it: an empty relation stands in, unless the model was
   * trained already (then its rows are passed, and the blend leaves them out itself).
   */
  public Dataset<Row> discovery(Dataset<Row> customers, Discovery.Settings weights) {
    Dataset<Row> none = Ease.none(spark);
    Dataset<Row> noPairs = none.select(col("product_id"), col("product_id").as("other_product_id"),
        col("score").as("confidence"));
    Dataset<Row> noNeighbours = none.select(col("customer_id"), col("customer_id").as("similar_customer_id"),
        col("score").as("similarity"));
    Dataset<Row> popularAll = popularity().where(col("scope").equalTo(RedisKeys.PopularScope.all()));
    return Discovery.candidates(customers,
        use(weights.neighboursWeight(), neighbours) ? neighbours().neighbours() : noNeighbours,
        base.customerProducts(),
        use(weights.alsWeight(), als) ? als().forCustomers() : none.drop("from_product_id"),
        use(weights.cooccurrenceWeight(), cooccurrence) ? cooccurrence().pairs() : noPairs,
        popularAll,
        use(weights.easeWeight(), ease) ? ease() : none,
        use(weights.nextNewWeight(), nextNew) ? nextNew() : none,
        weights);
  }

  /** Releases what the suite cached (the shared preferences, when it owns them). */
  @Override
  public void close() {
    if (ownsPreferences) {
      preferences.close();
    }
  }

  private static <T> boolean same(JobSettings a, JobSettings b, java.util.function.Function<JobSettings, T> part) {
    return part.apply(a).equals(part.apply(b));
  }

  private static boolean use(double weight, Supplier<?> model) {
    return weight > 0 || ((Once<?>) model).done();
  }

  /**
   * {@code rows} computed now and kept, with its lineage cut. A cached result would carry its whole plan (the
   * lists' holds every model's) into every query that reads it, and Spark writes a query's whole plan as text on
   * every update of every such query, which cost more than the queries themselves. A local checkpoint: the blocks
   * stay with the executors, as a cache does, and no files are left behind; losing an executor after them then
   * fails the run (a rerun recomputes) where a cache would recompute them.
   */
  public static Dataset<Row> kept(Dataset<Row> rows) {
    return rows.localCheckpoint(true);
  }

  private static <T> Supplier<T> once(Trainer trainer, String name, Supplier<T> body) {
    return new Once<>(() -> trainer.train(name, body));
  }

  /** {@code compute} run once, on the first {@code get()} (other threads wait for it); the same result after. */
  public static <T> Supplier<T> memo(Supplier<T> compute) {
    return new Once<>(compute);
  }

  /** A value computed on the first {@code get()}, by one thread; the others wait for it. */
  private static final class Once<T> implements Supplier<T> {
    private final Supplier<T> compute;
    private T value;
    private volatile boolean done;

    Once(Supplier<T> compute) {
      this.compute = compute;
    }

    @Override
    public synchronized T get() {
      if (!done) {
        value = compute.get();
        done = true;
      }
      return value;
    }

    boolean done() {
      return done;
    }
  }
}

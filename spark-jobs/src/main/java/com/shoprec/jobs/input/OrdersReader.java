package com.shoprec.jobs.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import com.shoprec.common.Ids;
import com.shoprec.jobs.config.JobSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads orders from CSV or JDBC into the canonical raw shape, untyped and unfiltered, so that validation
 * can account for every row:
 * {@code order_id, customer_id, product_id, ts, quantity, price, source_row, malformed}.
 *
 * <p>Columns are found by the configured names; a missing file or column stops here with a message
 * naming it. CSV is read with an explicit all-text schema (never inferred); lines Spark cannot split into
 * the header's fields are kept and marked {@code malformed}.
 */
public final class OrdersReader {

  public static final String ORDER_ID = "order_id";
  public static final String CUSTOMER_ID = "customer_id";
  public static final String PRODUCT_ID = "product_id";
  public static final String TS = "ts";
  public static final String QUANTITY = "quantity";
  public static final String PRICE = "price";
  /** The row as it was read, for the reject sample. */
  public static final String SOURCE_ROW = "source_row";
  /** True when a CSV line did not fit the header. */
  public static final String MALFORMED = "malformed";

  private static final String CORRUPT = "_corrupt_record";

  private OrdersReader() {}

  private static final java.util.regex.Pattern FAILED_FILE =
      java.util.regex.Pattern.compile("(?:while reading file|reading file) (\\S+?)\\.?(?:\\s|$)");

  /**
   * What to throw when a Spark action over the orders failed: an {@link InputException} naming the file
   * when an input file could not be read or decompressed (truncated gzip, not gzip at all, I/O error),
   * else {@code e} itself (or wrapped, when it is checked).
   */
  public static RuntimeException readFailure(InputSettings input, Exception e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException) {
        String where = input.format() == InputSettings.Format.CSV ? input.path()
            : JobSettings.mask(input.jdbc().url());
        java.util.regex.Matcher file = FAILED_FILE.matcher(String.valueOf(e.getMessage()));
        String named = file.find() ? file.group(1) : where;
        return new InputException("cannot read the orders in " + named + " (input " + where + "): "
            + t.getClass().getSimpleName() + ": " + t.getMessage() + " — a truncated or corrupt file?", e);
      }
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
  }

  /** The message of the innermost cause that says something, for a one-line error. */
  private static String describeReadError(Throwable e) {
    Throwable inner = e;
    while (inner.getCause() != null && inner.getCause() != inner) {
      inner = inner.getCause();
    }
    return inner == e ? String.valueOf(e.getMessage())
        : inner.getClass().getSimpleName() + ": " + inner.getMessage();
  }

  public static Dataset<Row> read(SparkSession spark, InputSettings input) {
    return input.format() == InputSettings.Format.CSV ? readCsv(spark, input) : readJdbc(spark, input);
  }

  static Dataset<Row> readCsv(SparkSession spark, InputSettings input) {
    String path = input.path();
    checkExists(spark, path, "shoprec.job.input.path / --input");
    Dataset<Row> headerOnly;
    try {
      headerOnly = spark.read()
          .option("header", input.header())
          .option("sep", input.delimiter())
          .option("inferSchema", false)
          .csv(path);
    } catch (Exception e) { // also Spark's SparkException (checked, undeclared), e.g. "not in GZIP format"
      throw new InputException("cannot read " + path + ": " + describeReadError(e), e);
    }
    List<String> fileColumns = Arrays.asList(headerOnly.columns());
    Map<String, String> mapped = mappedColumns(input.columns(), fileColumns, path);

    List<StructField> fields = new ArrayList<>();
    for (String name : fileColumns) {
      fields.add(DataTypes.createStructField(name, DataTypes.StringType, true));
    }
    fields.add(DataTypes.createStructField(CORRUPT, DataTypes.StringType, true));
    Dataset<Row> raw = spark.read()
        .schema(DataTypes.createStructType(fields))
        .option("header", input.header())
        .option("sep", input.delimiter())
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .csv(path);

    Column[] all = fileColumns.stream().map(c -> col(quote(c))).toArray(Column[]::new);
    Column sourceRow = org.apache.spark.sql.functions.coalesce(col(CORRUPT), concat_ws(input.delimiter(), all));
    return spread(spark, canonical(raw, mapped, sourceRow, col(CORRUPT).isNotNull()), raw);
  }

  /** Inputs of at least this many bytes (on disk) read into fewer partitions than cores are spread over them. */
  static final long SPREAD_MIN_BYTES = 4L << 20;

  /**
   * A gzip file cannot be split: Spark reads it as one partition, and validation and everything cached from the
   * validated rows would then run on one core. Such an input (of at least {@link #SPREAD_MIN_BYTES}) is
   * redistributed over {@code spark.sql.shuffle.partitions} partitions right after parsing; decompressing and
   * parsing stay on one core. Smaller inputs are left as they are (not worth a shuffle).
   */
  static Dataset<Row> spread(SparkSession spark, Dataset<Row> rows, Dataset<Row> raw) {
    int cores = spark.sparkContext().defaultParallelism();
    if (raw.rdd().getNumPartitions() >= cores
        || raw.queryExecution().optimizedPlan().stats().sizeInBytes().longValue() < SPREAD_MIN_BYTES) {
      return rows;
    }
    return rows.repartition(Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions")));
  }

  static Dataset<Row> readJdbc(SparkSession spark, InputSettings input) {
    InputSettings.Jdbc j = input.jdbc();
    Properties props = new Properties();
    if (j.user() != null) {
      props.put("user", j.user());
    }
    String password = JobSettings.secret(j.passwordEnv(), j.passwordFile(), "shoprec.job.input.jdbc.password-file");
    if (password != null) {
      props.put("password", password);
    }
    props.put("fetchsize", Integer.toString(j.fetchSize()));
    if (j.url().startsWith("jdbc:postgresql:")) {
      // The bundled driver by name: under spark-submit it sits in the application jar's class loader, which
      // Spark's DriverManager lookup does not see ("No suitable driver"). Other databases' drivers come
      // with --jars and --driver-class-path (which puts them where DriverManager looks).
      props.put("driver", org.postgresql.Driver.class.getName());
    }
    String table = j.table() != null ? j.table() : "(" + j.query() + ") AS orders_query";
    Dataset<Row> raw;
    try {
      if (j.partitionColumn() != null) {
        raw = spark.read()
            .option("partitionColumn", j.partitionColumn())
            .option("lowerBound", j.lowerBound())
            .option("upperBound", j.upperBound())
            .option("numPartitions", j.numPartitions())
            .jdbc(j.url(), table, props);
      } else {
        raw = spark.read().jdbc(j.url(), table, props);
      }
    } catch (Exception e) {
      // The driver's SQLException reaches Java undeclared, through Scala: catch it too.
      throw new InputException("cannot read orders from " + JobSettings.mask(j.url()) + " (" + (j.table() != null
          ? "table " + j.table() : "query") + "): " + JobSettings.mask(rootMessage(e)), e);
    }
    List<String> columns = Arrays.asList(raw.columns());
    Map<String, String> mapped = mappedColumns(input.columns(), columns, JobSettings.mask(j.url()));
    Column[] all = mapped.values().stream().map(c -> col(quote(c)).cast("string")).toArray(Column[]::new);
    return canonical(raw, mapped, concat_ws(",", all), lit(false));
  }

  /**
   * The product catalog: product_id, category, name (trimmed; an empty value is null). {@code name} is null
   * throughout when the file has no such column (names are optional; product id and category are not).
   * Rows without a product id, or with neither a category nor a name, are dropped; one row per product.
   * A missing file or a missing id or category column stops here with a message naming it.
   */
  public static Dataset<Row> readCatalog(SparkSession spark, CatalogSettings catalog) {
    String path = catalog.path();
    checkExists(spark, path, "shoprec.job.catalog.path / --catalog");
    Dataset<Row> raw = spark.read().option("header", true).option("inferSchema", false).csv(path);
    List<String> columns = Arrays.asList(raw.columns());
    for (String[] c : new String[][] {{catalog.productIdColumn(), "product-id"}, {catalog.categoryColumn(), "category"}}) {
      if (!columns.contains(c[0])) {
        throw new InputException("column \"" + c[0] + "\" (shoprec.job.catalog.columns." + c[1] + ") not found in "
            + path + "; its columns are " + columns);
      }
    }
    Column name = columns.contains(catalog.nameColumn()) ? trimmed(catalog.nameColumn())
        : lit(null).cast(DataTypes.StringType);
    return raw.select(trimmed(catalog.productIdColumn()).as(PRODUCT_ID), trimmed(catalog.categoryColumn()).as("category"),
            name.as("name"))
        .where(col(PRODUCT_ID).isNotNull().and(col("category").isNotNull().or(col("name").isNotNull())))
        .dropDuplicates(PRODUCT_ID);
  }

  /**
   * The customers file ({@code --customers}): a CSV with a header, the customer id column and any of the
   * attribute columns ({@link CustomerAttributes#ATTRIBUTES}, names from the settings; matched exactly, else
   * ignoring case). Values are trimmed, an empty one is no value. Left out, and counted by reason: rows without a
   * customer id ({@code missing_customer_id}), with an id or value that could not be a key (longer than 128 or
   * {@value CustomerAttributes#MAX_VALUE_LENGTH} characters, or with control characters: {@code invalid_value}),
   * and every row of a customer named more than once with different values ({@code conflicting_rows}: which one
   * is right is not ours to guess). A missing id column, or a file with none of the attribute columns, stops the
   * run naming the file, the column and the setting.
   */
  public static CustomerAttributes readCustomerAttributes(SparkSession spark, CustomerAttributes.Settings settings) {
    String path = settings.path();
    String option = "shoprec.job.customers.path / --customers";
    checkExists(spark, path, option);
    Dataset<Row> raw = spark.read().option("header", true).option("inferSchema", false).csv(path);
    List<String> available = Arrays.asList(raw.columns());
    String id = matching(available, settings.customerIdColumn());
    if (id == null) {
      throw new InputException("column \"" + settings.customerIdColumn() + "\" (shoprec.job.customers.columns."
          + "customer-id) not found in " + path + "; its columns are " + available);
    }
    List<Column> out = new ArrayList<>(List.of(trimmed(id).as(CUSTOMER_ID)));
    Column invalid = validKey(col(CUSTOMER_ID), Ids.MAX_LENGTH).unary_$bang();
    int present = 0;
    for (String attribute : CustomerAttributes.ATTRIBUTES) {
      String column = matching(available, settings.columns().get(attribute));
      out.add(column == null ? lit(null).cast(DataTypes.StringType).as(attribute) : trimmed(column).as(attribute));
      present += column == null ? 0 : 1;
      invalid = invalid.or(col(attribute).isNotNull()
          .and(validKey(col(attribute), CustomerAttributes.MAX_VALUE_LENGTH).unary_$bang()));
    }
    if (present == 0) {
      throw new InputException(path + " has none of the attribute columns " + settings.columns().values()
          + " (shoprec.job.customers.columns.gender, .age-band, .region); its columns are " + available);
    }
    Dataset<Row> typed = raw.select(out.toArray(Column[]::new));
    Column[] attributes = CustomerAttributes.ATTRIBUTES.stream().map(org.apache.spark.sql.functions::col)
        .toArray(Column[]::new);
    Dataset<Row> reasoned = typed
        .withColumn("versions", org.apache.spark.sql.functions.size(org.apache.spark.sql.functions.collect_set(
            org.apache.spark.sql.functions.struct(attributes)).over(
                org.apache.spark.sql.expressions.Window.partitionBy(CUSTOMER_ID))))
        .withColumn("reason", when(col(CUSTOMER_ID).isNull(), lit("missing_customer_id"))
            .when(invalid, lit("invalid_value"))
            .when(col("versions").gt(1), lit("conflicting_rows")))
        .cache();
    Map<String, Long> rejects = new java.util.TreeMap<>();
    long rows = 0;
    for (Row r : reasoned.groupBy("reason").count().collectAsList()) {
      rows += r.getLong(1);
      if (!r.isNullAt(0)) {
        rejects.put(r.getString(0), r.getLong(1));
      }
    }
    Dataset<Row> valid = reasoned.where(col("reason").isNull()).drop("reason", "versions")
        .dropDuplicates(CUSTOMER_ID);
    return new CustomerAttributes(valid, rows, rejects);
  }

  /** Not null, at most {@code maxLength} characters, none of them a control character. */
  private static Column validKey(Column value, int maxLength) {
    return value.isNotNull().and(org.apache.spark.sql.functions.length(value).leq(maxLength))
        .and(value.rlike("^[^\\p{Cntrl}]*$"));
  }

  /** The column named {@code wanted}: exactly, else ignoring case; null when there is none. */
  private static String matching(List<String> available, String wanted) {
    return available.stream().filter(a -> a.equals(wanted)).findFirst()
        .orElse(available.stream().filter(a -> a.equalsIgnoreCase(wanted)).findFirst().orElse(null));
  }

  /** The column's value trimmed, null when empty. */
  private static Column trimmed(String column) {
    Column t = org.apache.spark.sql.functions.trim(col(quote(column)));
    return org.apache.spark.sql.functions.when(t.notEqual(""), t);
  }

  /** Canonical field name to source column name, checking every configured column exists. */
  static Map<String, String> mappedColumns(InputSettings.Columns c, List<String> available, String source) {
    Map<String, String> wanted = new LinkedHashMap<>();
    wanted.put(ORDER_ID, c.orderId());
    wanted.put(CUSTOMER_ID, c.customerId());
    wanted.put(PRODUCT_ID, c.productId());
    wanted.put(TS, c.ts());
    wanted.put(QUANTITY, c.quantity());
    wanted.put(PRICE, c.price());
    Map<String, String> found = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      String match = matching(available, e.getValue());
      if (match == null) {
        throw new InputException("column \"" + e.getValue() + "\" (shoprec.job.input.columns."
            + e.getKey().replace('_', '-') + ") not found in " + source + "; its columns are " + available);
      }
      found.put(e.getKey(), match);
    }
    return found;
  }

  private static Dataset<Row> canonical(Dataset<Row> raw, Map<String, String> mapped, Column sourceRow, Column malformed) {
    List<Column> out = new ArrayList<>();
    for (String field : List.of(ORDER_ID, CUSTOMER_ID, PRODUCT_ID, TS, QUANTITY, PRICE)) {
      String source = mapped.get(field);
      out.add(source == null ? lit(null).cast("string").as(field) : col(quote(source)).as(field));
    }
    out.add(sourceRow.as(SOURCE_ROW));
    out.add(malformed.as(MALFORMED));
    return raw.select(out.toArray(Column[]::new));
  }

  private static void checkExists(SparkSession spark, String path, String option) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      FileStatus[] matches = fs.globStatus(p);
      if (matches == null || matches.length == 0) {
        throw new InputException("input not found: " + path + " (" + option + ")");
      }
    } catch (IOException e) {
      throw new InputException("cannot list input " + path + ": " + e.getMessage(), e);
    }
  }

  private static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return (m == null ? t.getClass().getSimpleName() : m).toLowerCase(Locale.ROOT).contains("password")
        ? t.getClass().getSimpleName() : m;
  }

  /** The canonical raw schema, for tests that build input rows directly. */
  public static StructType rawSchema() {
    return new StructType()
        .add(ORDER_ID, DataTypes.StringType)
        .add(CUSTOMER_ID, DataTypes.StringType)
        .add(PRODUCT_ID, DataTypes.StringType)
        .add(TS, DataTypes.StringType)
        .add(QUANTITY, DataTypes.StringType)
        .add(PRICE, DataTypes.StringType)
        .add(SOURCE_ROW, DataTypes.StringType)
        .add(MALFORMED, DataTypes.BooleanType);
  }
}

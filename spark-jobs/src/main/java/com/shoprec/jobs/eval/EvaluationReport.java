package com.shoprec.jobs.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The evaluation as the JSON report of the job's {@code --report FILE} and as a printed table. */
public final class EvaluationReport {

  private static final JsonFactory JSON = new JsonFactory();
  /** Table columns: items, metric, header. */
  private static final String[][] COLUMNS = {
      {"all", "recall", "recall"}, {"all", "ndcg", "ndcg"}, {"all", "hit_rate", "hit"},
      {"all", "precision", "prec"}, {"all", "map", "map"}, {"all", "coverage", "cover"},
      {"repeat", "recall", "rep.rec"}, {"repeat", "ndcg", "rep.ndcg"}, {"repeat", "hit_rate", "rep.hit"},
      {"explore", "recall", "exp.rec"}, {"explore", "ndcg", "exp.ndcg"}, {"explore", "hit_rate", "exp.hit"}};

  /** The columns of {@code evaluation_results} after run_id (which the store's COPY adds). */
  public static final StructType ROW_SCHEMA = new StructType()
      .add("protocol", DataTypes.StringType, false).add("method", DataTypes.StringType, false)
      .add("segment", DataTypes.StringType, false).add("items", DataTypes.StringType, false)
      .add("metric", DataTypes.StringType, false).add("k", DataTypes.IntegerType, false)
      .add("value", DataTypes.DoubleType, false).add("customers", DataTypes.LongType, false);

  private EvaluationReport() {}

  /** One evaluated split of a report: the models' as-of day and the customers it evaluated. */
  public record SplitSummary(java.time.LocalDate cutoff, long customers) {}

  /**
   * The results as rows of {@code evaluation_results}: protocol, method, segment, items, metric, k, value,
   * customers (how many customers the value is averaged over).
   */
  public static Dataset<Row> toRows(SparkSession spark, String protocol, List<Metric> results) {
    List<Row> rows = new ArrayList<>(results.size());
    for (Metric m : results) {
      rows.add(RowFactory.create(protocol, m.method(), m.segment(), m.items(), m.metric(), m.k(), m.value(), m.customers()));
    }
    return spark.createDataFrame(rows, ROW_SCHEMA);
  }

  /**
   * {@code {"protocol": …, "customers": n, "splits": [{"cutoff": "2011-12-03", "customers": n}, …],
   * "results": [{"method", "segment", "items", "metric", "k", "value", "customers"}, …]}}, results in the given
   * order; a result's {@code customers} are those its value is averaged over. Several splits (the weeks of
   * {@code time-split --weeks N}) are pooled: {@code customers} is then customer-weeks.
   */
  public static String toJson(String protocol, long customers, List<Metric> results, List<SplitSummary> splits) {
    StringWriter out = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("protocol", protocol);
      json.writeNumberField("customers", customers);
      json.writeArrayFieldStart("splits");
      for (SplitSummary split : splits) {
        json.writeStartObject();
        json.writeStringField("cutoff", String.valueOf(split.cutoff()));
        json.writeNumberField("customers", split.customers());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeArrayFieldStart("results");
      for (Metric m : results) {
        json.writeStartObject();
        json.writeStringField("method", m.method());
        json.writeStringField("segment", m.segment());
        json.writeStringField("items", m.items());
        json.writeStringField("metric", m.metric());
        json.writeNumberField("k", m.k());
        json.writeNumberField("value", m.value());
        json.writeNumberField("customers", m.customers());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * One line per segment and method at cut-off {@code k}: the all-items metrics, coverage, and recall, NDCG
   * and hit rate on the repeat and explore parts; {@code n} = customers evaluated, {@code -} = not measured.
   */
  public static String toTable(List<Metric> results, int k) {
    Map<String, Map<String, Metric>> rows = new LinkedHashMap<>();
    Set<String> segments = new LinkedHashSet<>();
    for (Metric m : results) {
      if (m.k() == k) {
        segments.add(m.segment());
        rows.computeIfAbsent(m.segment() + "\u0000" + m.method(), x -> new LinkedHashMap<>())
            .put(m.items() + "/" + m.metric(), m);
      }
    }
    // the method column as wide as the longest name (variants such as discovery[hl=14,nb=30,each=30] are long)
    int width = Math.max(14, results.stream().mapToInt(m -> m.method().length()).max().orElse(0));
    String head = "%-20s %-" + width + "s";
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, head + " %7s", "segment", "method", "n"));
    for (String[] c : COLUMNS) {
      table.append(String.format(Locale.ROOT, " %8s", c[2]));
    }
    table.append(String.format(Locale.ROOT, "%n"));
    for (String segment : segments) {
      rows.forEach((key, cells) -> {
        if (!key.startsWith(segment + "\u0000")) {
          return;
        }
        Metric any = cells.get("all/recall") != null ? cells.get("all/recall") : cells.values().iterator().next();
        table.append(String.format(Locale.ROOT, head + " %7d", segment, any.method(), any.customers()));
        for (String[] c : COLUMNS) {
          Metric m = cells.get(c[0] + "/" + c[1]);
          table.append(m == null ? String.format(Locale.ROOT, " %8s", "-")
              : String.format(Locale.ROOT, " %8.4f", m.value()));
        }
        table.append(String.format(Locale.ROOT, "%n"));
      });
    }
    return table.toString();
  }
}

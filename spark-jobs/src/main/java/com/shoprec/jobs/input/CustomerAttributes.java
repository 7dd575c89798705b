package com.shoprec.jobs.input;

import com.shoprec.jobs.config.Section;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What the optional customers file ({@code --customers}) says about customers: any of gender, age band and
 * region. Popularity is computed per value of each ({@code popular:{run}:gender:F}, {@code GET /popular?gender=F}).
 *
 * @param attributes customer_id and one column per {@link #ATTRIBUTES} (null where the file has no such column or
 *     the row no value); one row per customer
 * @param rows rows read; {@code rejects}: rows left out, by reason
 */
public record CustomerAttributes(Dataset<Row> attributes, long rows, Map<String, Long> rejects) {

  /** The attributes, as column and popularity scope names. */
  public static final List<String> ATTRIBUTES = List.of("gender", "age_band", "region");

  /** Longest attribute value kept: it becomes part of a Redis key. */
  public static final int MAX_VALUE_LENGTH = 64;

  /**
   * {@code shoprec.job.customers}: {@code path} null when there is no customers file; {@code columns}: attribute
   * ({@link #ATTRIBUTES}) to the file's column.
   */
  public record Settings(String path, String customerIdColumn, Map<String, String> columns) implements Serializable {

    public static Settings from(Section s) {
      Map<String, String> columns = new LinkedHashMap<>();
      for (String attribute : ATTRIBUTES) {
        columns.put(attribute, s.nonEmpty("columns." + attribute.replace('_', '-')));
      }
      return new Settings(s.optString("path"), s.nonEmpty("columns.customer-id"), Map.copyOf(columns));
    }
  }

  public long rejected() {
    return rejects.values().stream().mapToLong(Long::longValue).sum();
  }
}

package com.shoprec.jobs.input;

import com.shoprec.jobs.config.Section;
import com.shoprec.jobs.config.SettingsException;
import java.io.Serializable;
import java.time.ZoneId;
import java.util.List;

/**
 * {@code shoprec.job.input}: where the orders come from (a CSV path or glob, or a JDBC table or query), their
 * column names, time stamps and time zone, products to leave out, and how many rejected rows to keep per reason.
 */
public record InputSettings(Format format, String path, boolean header, String delimiter, String timestampFormat,
    String timezone, Columns columns, List<String> excludedProducts, int rejectSamplePerReason, Jdbc jdbc)
    implements Serializable {

  public enum Format { CSV, JDBC }

  /** Source column names of the order fields; quantity and price may be absent (null). */
  public record Columns(String orderId, String customerId, String productId, String ts, String quantity,
      String price) implements Serializable {

    static Columns from(Section s) {
      return new Columns(s.nonEmpty("order-id"), s.nonEmpty("customer-id"), s.nonEmpty("product-id"),
          s.nonEmpty("ts"), s.optString("quantity"), s.optString("price"));
    }
  }

  /** {@code shoprec.job.input.jdbc}. */
  public record Jdbc(String url, String table, String query, String user, String passwordEnv,
      String passwordFile, String partitionColumn, String lowerBound, String upperBound, int numPartitions,
      int fetchSize) implements Serializable {

    static Jdbc from(Section s) {
      return new Jdbc(s.optString("url"), s.optString("table"), s.optString("query"), s.optString("user"),
          s.string("password-env"), s.optString("password-file"), s.optString("partition-column"),
          s.optString("lower-bound"), s.optString("upper-bound"), s.atLeast("num-partitions", 1),
          s.atLeast("fetch-size", 1));
    }
  }

  /** Reads and checks the section: a CSV input needs a path, a JDBC input a URL and one of table and query. */
  public static InputSettings from(Section s) {
    InputSettings in = new InputSettings(s.oneOf(Format.class, "format"), s.optString("path"),
        s.getBoolean("csv.header"), s.nonEmpty("csv.delimiter"), s.nonEmpty("timestamp-format"),
        zone(s, "timezone"), Columns.from(s.section("columns")), s.strings("excluded-products"),
        s.atLeast("reject-sample-per-reason", 0), Jdbc.from(s.section("jdbc")));
    if (in.format() == Format.CSV && in.path() == null) {
      throw new SettingsException("no input: give --input PATH (or " + s.name("path") + ")");
    }
    if (in.format() == Format.JDBC) {
      Jdbc j = in.jdbc();
      if (j.url() == null) {
        throw new SettingsException(s.name("jdbc.url") + " is required when " + s.name("format") + " = jdbc");
      }
      if ((j.table() == null) == (j.query() == null)) {
        throw new SettingsException("give exactly one of " + s.name("jdbc.table") + " and " + s.name("jdbc.query"));
      }
      if (j.partitionColumn() != null && (j.lowerBound() == null || j.upperBound() == null)) {
        throw new SettingsException(s.name("jdbc.partition-column") + " needs lower-bound and upper-bound");
      }
    }
    return in;
  }

  /** The input as a person names it: the path, or the JDBC URL with its password masked. */
  public String describe() {
    return format == Format.CSV ? path : com.shoprec.jobs.config.JobSettings.mask(jdbc.url());
  }

  private static String zone(Section s, String key) {
    String id = s.string(key);
    try {
      return ZoneId.of(id).getId();
    } catch (RuntimeException e) {
      throw new SettingsException(s.name(key) + ": unknown time zone \"" + id + "\"");
    }
  }
}

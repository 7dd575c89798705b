package com.shoprec.jobs.store.postgres;

import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.spark.sql.Row;

/**
 * How one Spark value becomes one field of {@code COPY ... FROM STDIN WITH (FORMAT csv)} input.
 *
 * <p>Fields are printed with {@link CSVFormat#POSTGRESQL_CSV}: every non-null value is quoted (quotes
 * doubled), so an empty string stays an empty string, a line {@code \.} is never taken for the end of
 * the data, and commas, quotes and newlines inside values survive; a null is an unquoted empty field,
 * which is what COPY reads as NULL.
 *
 * <p>Pure functions of literal values, tested without Postgres or Spark in {@code CopyEncodingTest}.
 */
final class CopyEncoding {

  /** The CSV dialect COPY reads with {@code FORMAT csv} and its default quote, escape and null. */
  static final CSVFormat FORMAT = CSVFormat.POSTGRESQL_CSV;

  /** What a Spark column holds, as far as its text form for COPY is concerned. */
  enum Kind {
    /** text, or JSON text for a json/jsonb column: written as it is (Postgres validates the JSON). */
    STRING,
    /** byte, short, int, long, float, double: Java's shortest exact decimal form ({@code NaN}, {@code Infinity} too). */
    NUMBER,
    /** decimal: plain notation, no exponent. */
    DECIMAL,
    BOOLEAN,
    /** date: {@code yyyy-mm-dd}. */
    DATE,
    /** Spark timestamp (an instant) into {@code timestamp without time zone}: the wall time in the Spark session's zone, as Spark shows it. */
    TIMESTAMP_WALL,
    /** Spark timestamp (an instant) into {@code timestamptz}: ISO-8601 in UTC with {@code Z}. */
    TIMESTAMP_UTC,
    /** Spark timestamp_ntz (a wall time): as it is. */
    TIMESTAMP_NTZ,
    /** array of numbers into a numeric Postgres array ({@code real[]}, ...): {@code {1.5,-2.0,NULL}}. */
    NUMBER_ARRAY,
    /** array of strings into {@code text[]}: every element quoted, {@code \} and {@code "} escaped. */
    STRING_ARRAY
  }

  private CopyEncoding() {}

  /**
   * Prints one record: the run id, then the given fields of the row in order.
   *
   * @param fields the row's field index for each COPY column after run_id
   * @param kinds the kind of each of those fields
   * @param zone the Spark session time zone, for {@link Kind#TIMESTAMP_WALL}
   */
  static void printRow(CSVPrinter out, String runId, Row row, int[] fields, Kind[] kinds, ZoneId zone)
      throws IOException {
    out.print(runId);
    for (int i = 0; i < fields.length; i++) {
      int f = fields[i];
      out.print(encode(kinds[i], row.get(f), zone));
    }
    out.println();
  }

  /** The text COPY reads for a value of the kind, or null for SQL NULL. */
  static String encode(Kind kind, Object value, ZoneId zone) {
    if (value == null) {
      return null;
    }
    switch (kind) {
      case STRING:
        return (String) value;
      case NUMBER:
        return value.toString();
      case DECIMAL:
        return ((BigDecimal) value).toPlainString();
      case BOOLEAN:
        return ((Boolean) value) ? "true" : "false";
      case DATE:
        return toLocalDate(value).toString();
      case TIMESTAMP_WALL:
        return LocalDateTime.ofInstant(toInstant(value), zone).toString();
      case TIMESTAMP_UTC:
        return toInstant(value).toString();
      case TIMESTAMP_NTZ:
        return value.toString();
      case NUMBER_ARRAY:
        return numberArray(toList(value));
      case STRING_ARRAY:
        return stringArray(toList(value));
      default:
        throw new IllegalArgumentException("unknown kind " + kind);
    }
  }

  /** A Postgres array literal of numbers: {@code {1.5,2.0,NULL}}; {@code {}} when empty. */
  static String numberArray(List<?> values) {
    StringBuilder b = new StringBuilder(2 + values.size() * 12).append('{');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      Object v = values.get(i);
      b.append(v == null ? "NULL" : v instanceof BigDecimal d ? d.toPlainString() : v.toString());
    }
    return b.append('}').toString();
  }

  /** A Postgres array literal of strings: {@code {"a","b \"c\"",NULL}}. */
  static String stringArray(List<?> values) {
    StringBuilder b = new StringBuilder().append('{');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      Object v = values.get(i);
      if (v == null) {
        b.append("NULL");
        continue;
      }
      String s = v.toString();
      b.append('"');
      for (int j = 0; j < s.length(); j++) {
        char c = s.charAt(j);
        if (c == '"' || c == '\\') {
          b.append('\\');
        }
        b.append(c);
      }
      b.append('"');
    }
    return b.append('}').toString();
  }

  /** Spark rows hold arrays as Scala sequences; rows built by hand may hold Java lists. */
  static List<?> toList(Object value) {
    if (value instanceof List<?> list) {
      return list;
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      return scala.collection.JavaConverters.seqAsJavaList(seq);
    }
    throw new IllegalArgumentException("not a Spark array value: " + value.getClass().getName());
  }

  static Instant toInstant(Object value) {
    if (value instanceof Timestamp t) {
      return t.toInstant();
    }
    if (value instanceof Instant i) {
      return i;
    }
    throw new IllegalArgumentException("not a Spark timestamp value: " + value.getClass().getName());
  }

  static LocalDate toLocalDate(Object value) {
    if (value instanceof Date d) {
      return d.toLocalDate(); // Spark builds java.sql.Date in the JVM's zone: its local date is the value
    }
    if (value instanceof LocalDate d) {
      return d;
    }
    throw new IllegalArgumentException("not a Spark date value: " + value.getClass().getName());
  }
}

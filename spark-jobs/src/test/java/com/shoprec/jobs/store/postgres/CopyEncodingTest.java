package com.shoprec.jobs.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.shoprec.jobs.store.postgres.CopyEncoding.Kind;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVPrinter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** COPY CSV text for literal values: every expectation is the exact text Postgres receives. */
class CopyEncodingTest {

  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

  @Test
  void numbersUseTheShortestExactForm() {
    assertEquals("42", CopyEncoding.encode(Kind.NUMBER, 42, PARIS));
    assertEquals("-9007199254740993", CopyEncoding.encode(Kind.NUMBER, -9007199254740993L, PARIS));
    assertEquals("0.1", CopyEncoding.encode(Kind.NUMBER, 0.1d, PARIS));
    assertEquals("0.1", CopyEncoding.encode(Kind.NUMBER, 0.1f, PARIS));
    assertEquals("1.0E-5", CopyEncoding.encode(Kind.NUMBER, 1.0e-5, PARIS));
    assertEquals("NaN", CopyEncoding.encode(Kind.NUMBER, Double.NaN, PARIS));
    assertEquals("-Infinity", CopyEncoding.encode(Kind.NUMBER, Double.NEGATIVE_INFINITY, PARIS));
    assertEquals("1000", CopyEncoding.encode(Kind.DECIMAL, new BigDecimal("1E+3"), PARIS));
    assertEquals("false", CopyEncoding.encode(Kind.BOOLEAN, false, PARIS));
  }

  @Test
  void nullIsNullForEveryKind() {
    for (Kind kind : Kind.values()) {
      assertNull(CopyEncoding.encode(kind, null, PARIS), kind.name());
    }
  }

  @Test
  void datesAndTimestamps() {
    assertEquals("2011-12-09", CopyEncoding.encode(Kind.DATE, Date.valueOf("2011-12-09"), PARIS));
    assertEquals("2011-12-09", CopyEncoding.encode(Kind.DATE, LocalDate.of(2011, 12, 9), PARIS));
    Instant instant = Instant.parse("2011-12-09T12:50:00.000123Z");
    // timestamptz: the instant itself; timestamp: the wall time Spark shows in its session zone (UTC+1).
    assertEquals("2011-12-09T12:50:00.000123Z", CopyEncoding.encode(Kind.TIMESTAMP_UTC, Timestamp.from(instant), PARIS));
    assertEquals("2011-12-09T13:50:00.000123", CopyEncoding.encode(Kind.TIMESTAMP_WALL, Timestamp.from(instant), PARIS));
    assertEquals("2011-12-09T12:50", CopyEncoding.encode(Kind.TIMESTAMP_WALL, Instant.parse("2011-12-09T12:50:00Z"), ZoneOffset.UTC));
    assertEquals("2011-12-09T08:01:02", CopyEncoding.encode(Kind.TIMESTAMP_NTZ, LocalDateTime.of(2011, 12, 9, 8, 1, 2), PARIS));
  }

  @Test
  void arraysAreArrayLiterals() {
    assertEquals("{0.25,-1.5,NULL,1.0E-7}", CopyEncoding.encode(Kind.NUMBER_ARRAY,
        Arrays.asList(0.25f, -1.5f, null, 1.0e-7f), PARIS));
    assertEquals("{}", CopyEncoding.encode(Kind.NUMBER_ARRAY, List.of(), PARIS));
    assertEquals("{\"a\",\"b \\\"c\\\"\",\"back\\\\slash\",NULL,\"\"}", CopyEncoding.encode(Kind.STRING_ARRAY,
        Arrays.asList("a", "b \"c\"", "back\\slash", null, ""), PARIS));
  }

  @Test
  void csvQuotesEveryValueAndLeavesNullBare() throws Exception {
    Row row = RowFactory.create(
        "85123A",
        "say \"hi\", twice",
        "line one\nline two\r\n",
        "",
        null,
        "\\.",
        "{\"times_bought\": 12, \"last_bought\": \"2011-12-01\"}",
        7,
        0.5,
        // as Spark holds an array<float> value
        scala.collection.JavaConverters.asScalaBuffer(Arrays.asList(1.0f, 2.5f)).toSeq());
    Kind[] kinds = {Kind.STRING, Kind.STRING, Kind.STRING, Kind.STRING, Kind.STRING, Kind.STRING,
        Kind.STRING, Kind.NUMBER, Kind.NUMBER, Kind.NUMBER_ARRAY};
    int[] fields = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    StringWriter out = new StringWriter();
    try (CSVPrinter printer = new CSVPrinter(out, CopyEncoding.FORMAT)) {
      CopyEncoding.printRow(printer, "2011_W49_1", row, fields, kinds, PARIS);
    }
    assertEquals("\"2011_W49_1\",\"85123A\",\"say \"\"hi\"\", twice\",\"line one\nline two\r\n\",\"\",,\"\\.\","
        + "\"{\"\"times_bought\"\": 12, \"\"last_bought\"\": \"\"2011-12-01\"\"}\",\"7\",\"0.5\",\"{1.0,2.5}\"\n",
        out.toString());
  }

  @Test
  void aNullArrayIsNull() throws Exception {
    Row row = RowFactory.create("c1", null);
    StringWriter out = new StringWriter();
    try (CSVPrinter printer = new CSVPrinter(out, CopyEncoding.FORMAT)) {
      CopyEncoding.printRow(printer, "r", row, new int[] {1, 0}, new Kind[] {Kind.NUMBER_ARRAY, Kind.STRING}, PARIS);
    }
    assertEquals("\"r\",,\"c1\"\n", out.toString());
  }
}

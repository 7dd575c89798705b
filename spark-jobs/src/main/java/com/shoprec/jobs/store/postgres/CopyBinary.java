package com.shoprec.jobs.store.postgres;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * {@code COPY ... FROM STDIN WITH (FORMAT binary)} input: every value in the column type's own binary form
 * (a double as its 8 bytes, an array as its header and elements), so that neither the job formats numbers
 * as text nor the server parses them back, and no text needs quoting. The job's outputs are mostly numbers,
 * and printing them as CSV (quoting every field, {@code Double.toString}) would be most of the COPY tasks' own
 * CPU, which the Postgres server needs at the same time.
 *
 * <p>Only the Spark/Postgres type pairs below have a binary form here; a table with any other pair (a decimal
 * into {@code numeric}, a number into {@code text}, ...) is loaded as CSV ({@link CopyEncoding}), which
 * Postgres converts itself. The format: the 19-byte header, per row the field count (int16) and per field its
 * length (int32, -1 for NULL) and bytes, then -1 (int16); all integers big-endian. Timestamps are
 * microseconds and dates days since 2000-01-01, the server's {@code integer_datetimes} (the only choice since
 * Postgres 10).
 *
 * <p>Pure functions of literal values, tested without Postgres or Spark in {@code CopyBinaryTest}; {@code
 * PostgresStoreIT} loads the same rows both ways and compares what the server holds.
 */
final class CopyBinary {

  /** How a column's values are written. */
  enum Type {
    /** UTF-8 bytes: text, varchar, bpchar, json. */
    TEXT,
    /** version byte 1, then the JSON text: jsonb. */
    JSONB,
    INT2,
    INT4,
    INT8,
    FLOAT4,
    FLOAT8,
    BOOL,
    /** days since 2000-01-01. */
    DATE,
    /** Spark timestamp (an instant) into timestamptz: microseconds since 2000-01-01 UTC. */
    TIMESTAMP_UTC,
    /** Spark timestamp into timestamp: the wall time in the session's zone, microseconds since 2000-01-01. */
    TIMESTAMP_WALL,
    /** Spark timestamp_ntz into timestamp: microseconds since 2000-01-01. */
    TIMESTAMP_NTZ,
    FLOAT4_ARRAY(FLOAT4, 700),
    FLOAT8_ARRAY(FLOAT8, 701),
    INT2_ARRAY(INT2, 21),
    INT4_ARRAY(INT4, 23),
    INT8_ARRAY(INT8, 20),
    TEXT_ARRAY(TEXT, 25),
    VARCHAR_ARRAY(TEXT, 1043),
    BPCHAR_ARRAY(TEXT, 1042);

    /** For an array: how its elements are written, and their type's OID, which the server checks. */
    final Type element;
    final int elementOid;

    Type() {
      this(null, 0);
    }

    Type(Type element, int elementOid) {
      this.element = element;
      this.elementOid = elementOid;
    }

    /** The bytes of a value of this scalar type, or -1 when it varies (text). */
    int width() {
      return switch (this) {
        case INT2 -> 2;
        case INT4, FLOAT4 -> 4;
        case INT8, FLOAT8 -> 8;
        default -> -1;
      };
    }
  }

  /** {@code PGCOPY\n\377\r\n\0}, flags 0, header extension length 0. */
  static final byte[] HEADER = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};

  /** 2000-01-01 as days since 1970-01-01. */
  private static final long POSTGRES_EPOCH_DAY = LocalDate.of(2000, 1, 1).toEpochDay();
  private static final long POSTGRES_EPOCH_SECOND = POSTGRES_EPOCH_DAY * 86_400;

  private CopyBinary() {}

  /** The binary form of a Spark type into a Postgres type ({@code udt} name), or null when it has none here. */
  static Type type(DataType spark, String udt) {
    boolean integral = spark.equals(DataTypes.ByteType) || spark.equals(DataTypes.ShortType)
        || spark.equals(DataTypes.IntegerType) || spark.equals(DataTypes.LongType);
    boolean floating = spark.equals(DataTypes.FloatType) || spark.equals(DataTypes.DoubleType);
    if (spark.equals(DataTypes.StringType)) {
      switch (udt) {
        case "text", "varchar", "bpchar", "json":
          return Type.TEXT;
        case "jsonb":
          return Type.JSONB;
        default:
          return null; // the server parses the text into the column's type: CSV
      }
    }
    if (integral || floating) {
      switch (udt) {
        case "int2":
          return integral ? Type.INT2 : null;
        case "int4":
          return integral ? Type.INT4 : null;
        case "int8":
          return integral ? Type.INT8 : null;
        case "float4":
          return Type.FLOAT4;
        case "float8":
          return Type.FLOAT8;
        default:
          return null;
      }
    }
    if (spark.equals(DataTypes.BooleanType)) {
      return udt.equals("bool") ? Type.BOOL : null;
    }
    if (spark.equals(DataTypes.DateType)) {
      return udt.equals("date") ? Type.DATE : null;
    }
    if (spark.equals(DataTypes.TimestampType)) {
      return udt.equals("timestamptz") ? Type.TIMESTAMP_UTC : udt.equals("timestamp") ? Type.TIMESTAMP_WALL : null;
    }
    if (spark.equals(DataTypes.TimestampNTZType)) {
      return udt.equals("timestamp") ? Type.TIMESTAMP_NTZ : null;
    }
    if (spark instanceof ArrayType array && udt.startsWith("_")) {
      Type element = type(array.elementType(), udt.substring(1));
      if (element == null) {
        return null;
      }
      switch (element) {
        case FLOAT4:
          return Type.FLOAT4_ARRAY;
        case FLOAT8:
          return Type.FLOAT8_ARRAY;
        case INT2:
          return Type.INT2_ARRAY;
        case INT4:
          return Type.INT4_ARRAY;
        case INT8:
          return Type.INT8_ARRAY;
        case TEXT:
          return udt.equals("_varchar") ? Type.VARCHAR_ARRAY
              : udt.equals("_bpchar") ? Type.BPCHAR_ARRAY : udt.equals("_text") ? Type.TEXT_ARRAY : null;
        default:
          return null;
      }
    }
    return null;
  }

  /**
   * Big-endian writes into a reused buffer that goes to {@code out} when full; values longer than the
   * buffer go straight through.
   */
  static final class Writer {
    private final OutputStream out;
    private final byte[] buf;
    private int pos;

    Writer(OutputStream out, int size) {
      this.out = out;
      this.buf = new byte[size];
    }

    void header() throws IOException {
      bytes(HEADER);
    }

    /** The end of the data: field count -1. */
    void trailer() throws IOException {
      int16(-1);
    }

    /**
     * One row: the run id as the first column, then the given fields of the row.
     *
     * @param columns the COPY column names after run_id, for messages
     * @param zone the Spark session time zone, for {@link Type#TIMESTAMP_WALL}
     */
    void row(byte[] runId, Row row, int[] fields, Type[] types, List<String> columns, ZoneId zone)
        throws IOException {
      int16(fields.length + 1);
      int32(runId.length);
      bytes(runId);
      for (int i = 0; i < fields.length; i++) {
        Object value = row.get(fields[i]);
        if (value == null) {
          int32(-1);
        } else {
          try {
            field(types[i], value, zone);
          } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("column " + columns.get(i) + ": " + e.getMessage(), e);
          }
        }
      }
    }

    void flush() throws IOException {
      if (pos > 0) {
        out.write(buf, 0, pos);
        pos = 0;
      }
    }

    private void field(Type type, Object value, ZoneId zone) throws IOException {
      switch (type) {
        case TEXT -> text(value.toString().getBytes(StandardCharsets.UTF_8), false);
        case JSONB -> text(value.toString().getBytes(StandardCharsets.UTF_8), true);
        case INT2 -> {
          int32(2);
          int16(toShort((Number) value));
        }
        case INT4 -> {
          int32(4);
          int32(toInt((Number) value));
        }
        case INT8 -> {
          int32(8);
          int64(((Number) value).longValue());
        }
        case FLOAT4 -> {
          int32(4);
          int32(Float.floatToRawIntBits(((Number) value).floatValue()));
        }
        case FLOAT8 -> {
          int32(8);
          int64(Double.doubleToRawLongBits(((Number) value).doubleValue()));
        }
        case BOOL -> {
          int32(1);
          byte1((Boolean) value ? 1 : 0);
        }
        case DATE -> {
          int32(4);
          int32(Math.toIntExact(CopyEncoding.toLocalDate(value).toEpochDay() - POSTGRES_EPOCH_DAY));
        }
        case TIMESTAMP_UTC -> {
          int32(8);
          int64(micros(CopyEncoding.toInstant(value)));
        }
        case TIMESTAMP_WALL -> {
          int32(8);
          int64(micros(LocalDateTime.ofInstant(CopyEncoding.toInstant(value), zone).toInstant(ZoneOffset.UTC)));
        }
        case TIMESTAMP_NTZ -> {
          int32(8);
          int64(micros(((LocalDateTime) value).toInstant(ZoneOffset.UTC)));
        }
        default -> array(type, CopyEncoding.toList(value), zone);
      }
    }

    private void text(byte[] utf8, boolean jsonb) throws IOException {
      int32(utf8.length + (jsonb ? 1 : 0));
      if (jsonb) {
        byte1(1);
      }
      bytes(utf8);
    }

    /** One dimension, lower bound 1; an empty array has no dimension. */
    private void array(Type type, List<?> values, ZoneId zone) throws IOException {
      int n = values.size();
      boolean hasNull = false;
      int length = 12 + (n > 0 ? 8 : 0);
      int width = type.element.width();
      byte[][] texts = width < 0 ? new byte[n][] : null; // encoded once: the total length comes first
      for (int i = 0; i < n; i++) {
        Object v = values.get(i);
        if (v == null) {
          hasNull = true;
        } else if (texts != null) {
          texts[i] = v.toString().getBytes(StandardCharsets.UTF_8);
          length += texts[i].length;
        } else {
          length += width;
        }
        length += 4;
      }
      int32(length);
      int32(n > 0 ? 1 : 0);
      int32(hasNull ? 1 : 0);
      int32(type.elementOid);
      if (n > 0) {
        int32(n);
        int32(1);
      }
      for (int i = 0; i < n; i++) {
        Object v = values.get(i);
        if (v == null) {
          int32(-1);
        } else if (texts != null) {
          text(texts[i], false);
        } else {
          field(type.element, v, zone);
        }
      }
    }

    private void byte1(int v) throws IOException {
      room(1);
      buf[pos++] = (byte) v;
    }

    private void int16(int v) throws IOException {
      room(2);
      buf[pos++] = (byte) (v >>> 8);
      buf[pos++] = (byte) v;
    }

    private void int32(int v) throws IOException {
      room(4);
      buf[pos++] = (byte) (v >>> 24);
      buf[pos++] = (byte) (v >>> 16);
      buf[pos++] = (byte) (v >>> 8);
      buf[pos++] = (byte) v;
    }

    private void int64(long v) throws IOException {
      int32((int) (v >>> 32));
      int32((int) v);
    }

    private void bytes(byte[] b) throws IOException {
      if (b.length > buf.length - pos) {
        flush();
        if (b.length > buf.length) {
          out.write(b);
          return;
        }
      }
      System.arraycopy(b, 0, buf, pos, b.length);
      pos += b.length;
    }

    private void room(int n) throws IOException {
      if (buf.length - pos < n) {
        flush();
      }
    }
  }

  static short toShort(Number n) {
    long v = n.longValue();
    if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
      throw new IllegalArgumentException("value " + v + " is out of range for smallint");
    }
    return (short) v;
  }

  static int toInt(Number n) {
    long v = n.longValue();
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("value " + v + " is out of range for integer");
    }
    return (int) v;
  }

  /** Microseconds since 2000-01-01T00:00:00Z; Spark timestamps have microseconds, so nothing is cut. */
  static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond() - POSTGRES_EPOCH_SECOND, 1_000_000L),
        t.getNano() / 1_000);
  }
}

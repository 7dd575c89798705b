package com.shoprec.jobs.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.store.postgres.CopyBinary.Type;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * COPY's binary format for literal values: every expectation is the exact bytes Postgres receives, written
 * out by hand from the format's definition (big-endian; timestamps in microseconds and dates in days since
 * 2000-01-01).
 */
class CopyBinaryTest {

  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final HexFormat HEX = HexFormat.of();

  /** The bytes of one field (its length, then its value) for a one-column row after the run id "r". */
  private static String field(Type type, Object value, ZoneId zone) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CopyBinary.Writer w = new CopyBinary.Writer(out, 16); // a small buffer: values cross it
    w.row(new byte[] {'r'}, RowFactory.create(value), new int[] {0}, new Type[] {type}, List.of("c"), zone);
    w.flush();
    String hex = HEX.formatHex(out.toByteArray());
    String prefix = "0002" + "00000001" + "72"; // 2 fields; run id: length 1, 'r'
    assertTrue(hex.startsWith(prefix), hex);
    return hex.substring(prefix.length());
  }

  @Test
  void headerAndTrailer() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CopyBinary.Writer w = new CopyBinary.Writer(out, 64);
    w.header();
    w.trailer();
    w.flush();
    assertEquals("5047434f50590aff0d0a00" + "00000000" + "00000000" + "ffff", HEX.formatHex(out.toByteArray()));
  }

  @Test
  void numbers() throws IOException {
    assertEquals("00000004" + "0000002a", field(Type.INT4, 42, PARIS));
    assertEquals("00000004" + "fffffffe", field(Type.INT4, -2L, PARIS));
    assertEquals("00000002" + "7fff", field(Type.INT2, 32767, PARIS));
    assertEquals("00000008" + "ffdfffffffffffff", field(Type.INT8, -9007199254740993L, PARIS));
    assertEquals("00000008" + "3fb999999999999a", field(Type.FLOAT8, 0.1d, PARIS));
    assertEquals("00000008" + "3fb99999a0000000", field(Type.FLOAT8, 0.1f, PARIS)); // the float's exact value
    assertEquals("00000004" + "3dcccccd", field(Type.FLOAT4, 0.1f, PARIS));
    assertEquals("00000008" + "7ff8000000000000", field(Type.FLOAT8, Double.NaN, PARIS));
    assertEquals("00000001" + "01", field(Type.BOOL, true, PARIS));
    assertEquals("ffffffff", field(Type.FLOAT8, null, PARIS));
  }

  @Test
  void outOfRangeIntegersAreRefusedNamingTheColumn() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> field(Type.INT4, 1L << 31, PARIS));
    assertEquals("column c: value 2147483648 is out of range for integer", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> field(Type.INT2, -32769, PARIS));
  }

  @Test
  void textAndJson() throws IOException {
    assertEquals("00000003" + "63c3a9", field(Type.TEXT, "cé", PARIS));
    assertEquals("00000000", field(Type.TEXT, "", PARIS)); // empty, not NULL
    String json = "{\"a\": \"x,\\\"y\\\"\\n\"}";
    byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
    assertEquals(String.format("%08x", utf8.length + 1) + "01" + HEX.formatHex(utf8), field(Type.JSONB, json, PARIS));
    String longText = "x".repeat(100); // longer than the writer's buffer
    assertEquals("00000064" + "78".repeat(100), field(Type.TEXT, longText, PARIS));
  }

  @Test
  void datesAndTimestamps() throws IOException {
    assertEquals("00000004" + "00000001", field(Type.DATE, Date.valueOf(LocalDate.of(2000, 1, 2)), PARIS));
    assertEquals("00000004" + "ffffffff", field(Type.DATE, LocalDate.of(1999, 12, 31), PARIS));
    Timestamp t = Timestamp.from(Instant.parse("2000-01-01T00:00:01.000002Z"));
    assertEquals("00000008" + "00000000000f4242", field(Type.TIMESTAMP_UTC, t, PARIS)); // 1,000,002 us
    // into `timestamp`: the wall time in Paris, an hour ahead in winter: 01:00:01.000002
    assertEquals("00000008" + String.format("%016x", 3_601_000_002L), field(Type.TIMESTAMP_WALL, t, PARIS));
    assertEquals("00000008" + "fffffffffff0bdc0", // -1,000,000 us
        field(Type.TIMESTAMP_NTZ, LocalDateTime.of(1999, 12, 31, 23, 59, 59), PARIS));
  }

  @Test
  void arrays() throws IOException {
    // total length, 1 dimension, no NULL, element OID 700 (float4), 2 elements from 1, then each element
    assertEquals("00000024" + "00000001" + "00000000" + "000002bc" + "00000002" + "00000001"
        + "00000004" + "3f800000" + "00000004" + "bfc00000",
        field(Type.FLOAT4_ARRAY, List.of(1.0f, -1.5f), PARIS));
    assertEquals("0000000c" + "00000000" + "00000000" + "000002bc", field(Type.FLOAT4_ARRAY, List.of(), PARIS));
    assertEquals("0000001e" + "00000001" + "00000001" + "00000019" + "00000002" + "00000001"
        + "00000002" + "6162" + "ffffffff",
        field(Type.TEXT_ARRAY, Arrays.asList("ab", null), PARIS));
    assertEquals("00000020" + "00000001" + "00000000" + "00000014" + "00000001" + "00000001"
        + "00000008" + "0000000000000007",
        field(Type.INT8_ARRAY, List.of(7), PARIS));
  }

  @Test
  void typeRules() {
    assertEquals(Type.JSONB, CopyBinary.type(DataTypes.StringType, "jsonb"));
    assertEquals(Type.TEXT, CopyBinary.type(DataTypes.StringType, "json"));
    assertNull(CopyBinary.type(DataTypes.StringType, "int4")); // the server parses text: CSV
    assertEquals(Type.INT8, CopyBinary.type(DataTypes.IntegerType, "int8"));
    assertEquals(Type.FLOAT8, CopyBinary.type(DataTypes.LongType, "float8"));
    assertNull(CopyBinary.type(DataTypes.DoubleType, "int8"));
    assertNull(CopyBinary.type(DataTypes.createDecimalType(10, 2), "numeric"));
    assertNull(CopyBinary.type(DataTypes.IntegerType, "text"));
    assertEquals(Type.TIMESTAMP_WALL, CopyBinary.type(DataTypes.TimestampType, "timestamp"));
    assertNull(CopyBinary.type(DataTypes.DateType, "timestamptz"));
    assertEquals(Type.FLOAT4_ARRAY, CopyBinary.type(DataTypes.createArrayType(DataTypes.DoubleType), "_float4"));
    assertEquals(Type.VARCHAR_ARRAY, CopyBinary.type(DataTypes.createArrayType(DataTypes.StringType), "_varchar"));
    assertNull(CopyBinary.type(DataTypes.createArrayType(DataTypes.StringType), "_float4"));
  }
}

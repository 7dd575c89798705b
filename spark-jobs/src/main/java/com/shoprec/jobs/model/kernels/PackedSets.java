package com.shoprec.jobs.model.kernels;

import static org.apache.spark.sql.functions.udf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * Sets of 64-bit values (product hashes) as ascending arrays packed big-endian into bytes, eight per value: the
 * compact form in which {@link com.shoprec.jobs.model.signals.JaccardNeighbours} keeps each customer's products,
 * and the merge that counts what two such sets share, on the executors.
 */
public final class PackedSets {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private PackedSets() {}

  /**
   * The number of common elements of two ascending arrays of longs, each packed big-endian into bytes
   * ({@link #pack}); a value present k times in one and m times in the other counts min(k, m) times.
   */
  public static int intersectionSize(byte[] a, byte[] b) {
    int i = 0;
    int j = 0;
    int common = 0;
    while (i < a.length && j < b.length) {
      long x = (long) LONGS.get(a, i);
      long y = (long) LONGS.get(b, j);
      if (x < y) {
        i += Long.BYTES;
      } else if (x > y) {
        j += Long.BYTES;
      } else {
        common++;
        i += Long.BYTES;
        j += Long.BYTES;
      }
    }
    return common;
  }

  /** The inverse of {@link #pack}. */
  public static long[] unpack(byte[] packed) {
    long[] values = new long[packed.length / Long.BYTES];
    for (int k = 0; k < values.length; k++) {
      values[k] = (long) LONGS.get(packed, k * Long.BYTES);
    }
    return values;
  }

  /** The values sorted ascending and packed big-endian, eight bytes each. */
  public static byte[] pack(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    byte[] out = new byte[sorted.length * Long.BYTES];
    for (int k = 0; k < sorted.length; k++) {
      LONGS.set(out, k * Long.BYTES, sorted[k]);
    }
    return out;
  }

  /** Packs an array of longs, sorted, into bytes ({@link #pack}). */
  public static UserDefinedFunction packUdf() {
    return udf((UDF1<Seq<Object>, byte[]>) hashes -> {
      long[] values = new long[hashes.length()];
      for (int k = 0; k < values.length; k++) {
        values[k] = (Long) hashes.apply(k);
      }
      return pack(values);
    }, DataTypes.BinaryType);
  }

  public static UserDefinedFunction intersectUdf() {
    return udf((UDF2<byte[], byte[], Integer>) PackedSets::intersectionSize, DataTypes.IntegerType)
        .asNonNullable();
  }
}

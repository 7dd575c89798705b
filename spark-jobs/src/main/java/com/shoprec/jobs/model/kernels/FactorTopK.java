package com.shoprec.jobs.model.kernels;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import dev.ludovic.netlib.blas.BLAS;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * For every row of one factor matrix, the k rows of another with the highest dot product: ALS's "best products
 * for each customer" and "best customers for each product". The same answer as {@code
 * ALSModel.recommendForAllUsers/Items} (scores from the same single-precision matrix products), but the top k
 * are chosen with a primitive heap per query instead of a boxed comparator and a merge of partial top-k lists,
 * which in Spark's version are a large share of the ALS stage.
 *
 * <p>The targets (factors of the other side) are broadcast as one float array; each task scores its queries in
 * blocks of {@link #QUERY_BLOCK} against chunks of targets ({@code shoprec.job.als.block-size}, {@link
 * #TARGET_CHUNK} by default) with one {@code sgemm} each.
 * Ties go to the smaller target id.
 */
public final class FactorTopK {

  static final int QUERY_BLOCK = 64;
  static final int TARGET_CHUNK = 4096;

  static final StructType SCHEMA = new StructType()
      .add("query", DataTypes.IntegerType, false)
      .add("target", DataTypes.IntegerType, false)
      .add("score", DataTypes.FloatType, false);

  private FactorTopK() {}

  /** Factors as one array: row i's {@code rank} values at {@code i × rank}. */
  record Matrix(int[] ids, float[] values, int rank) implements Serializable {
    int rows() {
      return ids.length;
    }
  }

  /**
   * {@code queries} and {@code targets}: id (int), features (array of float, all of one length). Output: query,
   * target, score (float), the best {@code k} targets of every query (fewer when there are fewer targets).
   */
  static Dataset<Row> topK(Dataset<Row> queries, Dataset<Row> targets, int k) {
    return topK(queries, targets, k, TARGET_CHUNK);
  }

  /** {@link #topK(Dataset, Dataset, int)} with {@code chunk} targets per matrix product. */
  public static Dataset<Row> topK(Dataset<Row> queries, Dataset<Row> targets, int k, int chunk) {
    Matrix t = collect(targets);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(queries.sparkSession().sparkContext());
    Broadcast<Matrix> shared = jsc.broadcast(t);
    Dataset<Row> packed = queries.select(col("id"), packFloats().apply(col("features")).as("features"));
    return queries.sparkSession().createDataFrame(packed.javaRDD().mapPartitions(
        (FlatMapFunction<Iterator<Row>, Row>) rows -> score(rows, shared.value(), k, chunk)), SCHEMA);
  }

  /** The rows of one partition of queries (id, packed features), scored against every target. */
  static Iterator<Row> score(Iterator<Row> rows, Matrix targets, int k, int chunk) {
    int rank = targets.rank();
    BLAS blas = BLAS.getInstance();
    float[] block = new float[QUERY_BLOCK * rank];
    int[] blockIds = new int[QUERY_BLOCK];
    float[] scores = new float[chunk * QUERY_BLOCK];
    Best[] best = new Best[QUERY_BLOCK];
    for (int q = 0; q < QUERY_BLOCK; q++) {
      best[q] = new Best(Math.min(k, targets.rows()));
    }
    return Batches.of(out -> {
      if (!rows.hasNext()) {
        return false;
      }
      int n = 0;
      while (n < QUERY_BLOCK && rows.hasNext()) {
        Row r = rows.next();
        blockIds[n] = r.getInt(0);
        unpackFloats((byte[]) r.get(1), block, n * rank);
        best[n].clear();
        n++;
      }
      for (int from = 0; from < targets.rows(); from += chunk) {
        int m = Math.min(chunk, targets.rows() - from);
        // scores (m × n, column-major) = targets[from, from + m)ᵀ × block: one column per query
        blas.sgemm("T", "N", m, n, rank, 1f, targets.values(), from * rank, rank, block, 0, rank, 0f, scores, 0, m);
        for (int q = 0; q < n; q++) {
          Best b = best[q];
          int base = q * m;
          for (int i = 0; i < m; i++) {
            b.offer(from + i, scores[base + i]);
          }
        }
      }
      for (int q = 0; q < n; q++) {
        best[q].emit(blockIds[q], targets.ids(), out);
      }
      return true;
    });
  }

  /** The targets on the driver, in the order of their ids. */
  static Matrix collect(Dataset<Row> targets) {
    List<Row> rows = targets.select(col("id"), packFloats().apply(col("features")).as("features"))
        .orderBy("id").collectAsList();
    int rank = rows.isEmpty() ? 0 : ((byte[]) rows.get(0).get(1)).length / Float.BYTES;
    int[] ids = new int[rows.size()];
    float[] values = new float[rows.size() * rank];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rows.get(i).getInt(0);
      unpackFloats((byte[]) rows.get(i).get(1), values, i * rank);
    }
    return new Matrix(ids, values, rank);
  }

  /** The floats packed by {@link #packFloats} into {@code into} from {@code offset}. */
  private static void unpackFloats(byte[] packed, float[] into, int offset) {
    ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(into, offset, packed.length / Float.BYTES);
  }

  private static UserDefinedFunction packFloats() {
    return udf((UDF1<Seq<Object>, byte[]>) values -> {
      ByteBuffer b = ByteBuffer.allocate(values.length() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < values.length(); i++) {
        b.putFloat((Float) values.apply(i));
      }
      return b.array();
    }, DataTypes.BinaryType);
  }

  /**
   * The best k (target position, score): higher score first, then smaller position (positions follow the ids).
   * A heap with the worst at the root.
   */
  static final class Best extends WorstFirstHeap {
    private final int[] position;
    private final float[] score;

    Best(int k) {
      super(k);
      this.position = new int[k];
      this.score = new float[k];
    }

    @Override
    protected boolean worse(int i, int j) {
      return score[i] < score[j] || (score[i] == score[j] && position[i] > position[j]);
    }

    void offer(int p, float s) {
      if (size < k) {
        position[size] = p;
        score[size] = s;
        added();
      } else if (k > 0 && s > score[0]) {
        // positions arrive in increasing order, so an equal score never beats the root
        position[0] = p;
        score[0] = s;
        rootReplaced();
      }
    }

    /** Rows (query, target id, score), best first. */
    void emit(int query, int[] ids, List<Row> out) {
      for (int i : bestFirst()) {
        out.add(RowFactory.create(query, ids[position[i]], score[i]));
      }
    }

    @Override
    protected void swap(int i, int j) {
      int p = position[i];
      float s = score[i];
      position[i] = position[j];
      score[i] = score[j];
      position[j] = p;
      score[j] = s;
    }
  }
}

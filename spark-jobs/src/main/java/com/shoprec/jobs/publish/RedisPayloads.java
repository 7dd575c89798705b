package com.shoprec.jobs.publish;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import com.shoprec.common.RedisKeys;
import com.shoprec.common.RunInfo;
import com.shoprec.jobs.model.lists.WeeklyLists;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Turns a run's results into the (key, value) pairs written to Redis: pre-serialized JSON under
 * run-scoped keys, built with the same {@link PayloadWriter} the server's tests read back.
 */
public final class RedisPayloads {

  public static final StructType KEY_VALUE = new StructType()
      .add("key", DataTypes.StringType, false)
      .add("value", DataTypes.BinaryType, false);

  private RedisPayloads() {}

  /** What every payload of a run shares. */
  public record RunStamp(String namespace, String runId, String week, long generatedAtEpochSecond)
      implements java.io.Serializable {
    public Instant generatedAt() {
      return Instant.ofEpochSecond(generatedAtEpochSecond);
    }

    RedisKeys keys() {
      return new RedisKeys(namespace);
    }
  }

  /**
   * One key per subject of a ranked list: {@code rows} has subject, item_id, score, rank, reason (JSON or
   * null), e.g. a product's bought-together partners or a customer's neighbours.
   */
  public static Dataset<Row> lists(Dataset<Row> rows, PayloadKind kind, RunStamp stamp) {
    Dataset<Row> grouped = rows.groupBy("subject")
        .agg(org.apache.spark.sql.functions.array_sort(org.apache.spark.sql.functions.collect_list(
            org.apache.spark.sql.functions.struct("rank", "item_id", "score", "reason"))).as("items"));
    return grouped.mapPartitions(new ListPayloadFn(kind, stamp), Encoders.row(KEY_VALUE));
  }

  /** One key per customer list ({@link WeeklyLists#LIST} rows). */
  public static Dataset<Row> customerLists(Dataset<Row> lists, RunStamp stamp) {
    return lists.mapPartitions(new CustomerPayloadFn(stamp), Encoders.row(KEY_VALUE));
  }

  /**
   * The popular lists (scope, product_id, rank, score rows, any order) and the fallback served to
   * customers without a list: the overall popular list's first {@code listSize} in the customer shape.
   */
  public static Dataset<Row> popularLists(SparkSession spark, List<Row> popular, int listSize, RunStamp stamp) {
    Map<String, List<PayloadWriter.Item>> byScope = new LinkedHashMap<>();
    popular.stream()
        .sorted(java.util.Comparator.comparing((Row r) -> r.getString(r.fieldIndex("scope")))
            .thenComparingInt(r -> r.getInt(r.fieldIndex("rank"))))
        .forEach(r -> byScope.computeIfAbsent(r.getString(r.fieldIndex("scope")), s -> new ArrayList<>())
            .add(new PayloadWriter.Item(r.getString(r.fieldIndex("product_id")),
                round(r.getDouble(r.fieldIndex("score"))), r.getInt(r.fieldIndex("rank")), null, null)));
    PayloadWriter writer = new PayloadWriter();
    RedisKeys keys = stamp.keys();
    List<Row> out = new ArrayList<>();
    for (Map.Entry<String, List<PayloadWriter.Item>> e : byScope.entrySet()) {
      out.add(RowFactory.create(keys.payload(PayloadKind.POPULAR, stamp.runId(), e.getKey()),
          writer.list(PayloadKind.POPULAR, e.getKey(), stamp.week(), e.getValue(), stamp.generatedAt())));
    }
    List<PayloadWriter.Item> fallback = new ArrayList<>();
    for (PayloadWriter.Item i : byScope.getOrDefault(RedisKeys.PopularScope.all(), List.of())) {
      if (fallback.size() == listSize) {
        break;
      }
      fallback.add(new PayloadWriter.Item(i.id(), i.score(), i.rank(), PayloadWriter.SOURCE_POPULAR,
          "{\"popular_rank\":" + i.rank() + "}"));
    }
    out.add(RowFactory.create(keys.fallback(stamp.runId()),
        writer.fallbackBody(stamp.week(), fallback, stamp.generatedAt())));
    return spark.createDataFrame(out, KEY_VALUE);
  }

  /** The run's description stored beside its keys ({@link RunInfo}). */
  public static String runInfo(RunStamp stamp, Map<String, Long> counts, RunInfo.Summary summary,
      Instant publishedAt) {
    return new RunInfo(stamp.runId(), stamp.week(), stamp.generatedAt(), publishedAt, counts, summary).json();
  }

  static double round(double score) {
    return Math.round(score * 10_000) / 10_000.0;
  }

  /** Executor side: one writer per partition, one key and payload per subject. */
  static final class ListPayloadFn implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final PayloadKind kind;
    private final RunStamp stamp;

    ListPayloadFn(PayloadKind kind, RunStamp stamp) {
      this.kind = kind;
      this.stamp = stamp;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> subjects) {
      PayloadWriter writer = new PayloadWriter();
      RedisKeys keys = stamp.keys();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return subjects.hasNext();
        }

        @Override
        public Row next() {
          Row subject = subjects.next();
          String id = subject.getString(0);
          List<Row> rows = subject.getList(1);
          List<PayloadWriter.Item> items = new ArrayList<>(rows.size());
          for (Row r : rows) {
            items.add(new PayloadWriter.Item(r.getString(1), round(r.getDouble(2)), r.getInt(0), null,
                r.isNullAt(3) ? null : r.getString(3)));
          }
          byte[] value = writer.list(kind, id, stamp.week(), items, stamp.generatedAt());
          return RowFactory.create(keys.payload(kind, stamp.runId(), id), value);
        }
      };
    }
  }

  /** Executor side: one writer per partition, one key and payload per customer list. */
  static final class CustomerPayloadFn implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final RunStamp stamp;

    CustomerPayloadFn(RunStamp stamp) {
      this.stamp = stamp;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> lists) {
      PayloadWriter writer = new PayloadWriter();
      RedisKeys keys = stamp.keys();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return lists.hasNext();
        }

        @Override
        public Row next() {
          Row list = lists.next();
          String customer = list.getString(0);
          List<Row> itemRows = list.getList(2);
          List<PayloadWriter.Item> items = new ArrayList<>(itemRows.size());
          for (Row r : itemRows) {
            items.add(WeeklyLists.item(r));
          }
          byte[] value = writer.customerList(customer, stamp.week(), list.getString(1), items, stamp.generatedAt());
          return RowFactory.create(keys.payload(PayloadKind.CUSTOMER_RECS, stamp.runId(), customer), value);
        }
      };
    }
  }
}

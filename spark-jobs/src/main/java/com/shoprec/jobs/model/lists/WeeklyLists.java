package com.shoprec.jobs.model.lists;

import com.shoprec.jobs.model.Joins;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;

import com.shoprec.common.PayloadWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The weekly list of every active customer: candidates are cut to the list size per customer and source,
 * gathered per customer, and assembled by {@link ListAssembler}. Output, one row per customer:
 * {@code customer_id, segment, items} (items: rank, product_id, score, source, reason).
 */
public final class WeeklyLists {

  public static final StructType ITEM = new StructType()
      .add("rank", DataTypes.IntegerType, false)
      .add("product_id", DataTypes.StringType, false)
      .add("score", DataTypes.DoubleType, false)
      .add("source", DataTypes.StringType, false)
      .add("reason", DataTypes.StringType, true);

  public static final StructType LIST = new StructType()
      .add("customer_id", DataTypes.StringType, false)
      .add("segment", DataTypes.StringType, true)
      .add("items", DataTypes.createArrayType(ITEM, false), false);

  private WeeklyLists() {}

  /**
   * @param active customer_id, segment of the customers who get a list
   * @param repurchase customer_id, product_id, score, reason
   * @param discovery the same shape (may be empty), never products the customer bought
   * @param customerProducts customer_id, product_id of every purchase (for the popular fill)
   */
  public static Dataset<Row> build(Dataset<Row> active, Dataset<Row> repurchase, Dataset<Row> discovery,
      Dataset<Row> customerProducts, ListAssembler assembler, int listSize) {
    Dataset<Row> bought = customerProducts.groupBy("customer_id")
        .agg(collect_list("product_id").as("bought"));
    Dataset<Row> gathered = leftJoin(leftJoin(leftJoin(active.select("customer_id", "segment"),
        top(repurchase, listSize, "repurchase")), top(discovery, listSize, "discovery")), bought);
    return gathered.map((MapFunction<Row, Row>) row -> assemble(row, assembler), Encoders.row(LIST));
  }

  /** One row per list item, for the weekly_recommendations table. */
  public static Dataset<Row> rows(Dataset<Row> lists, String week) {
    return lists.select(col("customer_id"), col("segment"), explode(col("items")).as("item"))
        .select(lit(week).as("week"), col("customer_id"), col("item.product_id").as("product_id"),
            col("item.rank").as("rank"), col("item.score").as("score"), col("item.source").as("source"),
            col("segment"), col("item.reason").as("reason"));
  }

  private static Dataset<Row> top(Dataset<Row> candidates, int n, String name) {
    return candidates
        .withColumn("r", row_number().over(Window.partitionBy("customer_id")
            .orderBy(col("score").desc(), col("product_id"))))
        .where(col("r").leq(n))
        .groupBy("customer_id")
        .agg(array_sort(collect_list(struct(col("r"), col("product_id"), col("score"), col("reason")))).as(name));
  }

  private static Row assemble(Row row, ListAssembler assembler) {
    String customer = row.getString(row.fieldIndex("customer_id"));
    String segment = row.getString(row.fieldIndex("segment"));
    List<ListAssembler.Candidate> rep = candidates(row, "repurchase");
    List<ListAssembler.Candidate> disc = candidates(row, "discovery");
    Set<String> bought = new HashSet<>();
    List<String> boughtList = row.isNullAt(row.fieldIndex("bought")) ? List.of() : row.getList(row.fieldIndex("bought"));
    bought.addAll(boughtList);
    List<PayloadWriter.Item> items = assembler.assemble(segment, rep, disc, bought);
    List<Row> out = new ArrayList<>(items.size());
    for (PayloadWriter.Item i : items) {
      out.add(RowFactory.create(i.rank(), i.id(), i.score(), i.source(), i.reasonJson()));
    }
    return RowFactory.create(customer, segment, out.toArray(new Row[0]));
  }

  private static List<ListAssembler.Candidate> candidates(Row row, String field) {
    int at = row.fieldIndex(field);
    if (row.isNullAt(at)) {
      return List.of();
    }
    List<Row> structs = row.getList(at);
    List<ListAssembler.Candidate> out = new ArrayList<>(structs.size());
    for (Row s : structs) {
      out.add(new ListAssembler.Candidate(s.getString(1), s.getDouble(2), s.isNullAt(3) ? null : s.getString(3)));
    }
    return out;
  }

  private static Dataset<Row> leftJoin(Dataset<Row> left, Dataset<Row> right) {
    return Joins.left(left, right, "customer_id");
  }

  /** Converts a list item row (rank, product_id, score, source, reason) back to a payload item. */
  public static PayloadWriter.Item item(Row r) {
    return new PayloadWriter.Item(r.getString(1), r.getDouble(2), r.getInt(0), r.getString(3),
        r.isNullAt(4) ? null : r.getString(4));
  }
}

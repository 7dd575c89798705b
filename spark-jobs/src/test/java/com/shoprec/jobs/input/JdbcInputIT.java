package com.shoprec.jobs.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import com.shoprec.testkit.EmbeddedStores;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Orders from a real Postgres table with the source's own column names and types (timestamp, numeric),
 * read in parallel partitions, and the errors a user sees for a missing column or an unreachable database.
 */
class JdbcInputIT extends SparkTestBase {

  private static EmbeddedStores stores;

  @BeforeAll
  static void table() throws Exception {
    stores = EmbeddedStores.start();
    try (Connection c = DriverManager.getConnection(stores.jdbcUrl()); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE order_lines (id serial, invoice text, client text, sku text, created_at timestamp, "
          + "qty numeric, unit_price numeric)");
      s.execute("INSERT INTO order_lines (invoice, client, sku, created_at, qty, unit_price) VALUES "
          + "('536365', '17850', '85123A', '2010-12-01 08:26:00', 6, 2.55),"
          + "('536365', '17850', '71053', '2010-12-01 08:26:00', 6, 3.39),"
          + "('536366', '17850', 'POST', '2010-12-01 08:28:00', 1, 18),"
          + "('C536379', '14527', 'D', '2010-12-01 09:41:00', -1, 27.5),"
          + "('536367', NULL, '22633', '2010-12-01 08:34:00', 2, 1.85),"
          + "('536368', '13047', '22960', NULL, 3, 4.25)");
    }
  }

  @AfterAll
  static void stop() {
    stores.close();
  }

  private static InputSettings input(Map<String, Object> extra) {
    Map<String, Object> o = new HashMap<>(Map.of(
        "shoprec.job.input.format", "jdbc",
        "shoprec.job.input.jdbc.url", stores.jdbcUrl(),
        "shoprec.job.input.jdbc.table", "order_lines",
        "shoprec.job.input.columns.order-id", "invoice",
        "shoprec.job.input.columns.customer-id", "client",
        "shoprec.job.input.columns.product-id", "sku",
        "shoprec.job.input.columns.ts", "created_at",
        "shoprec.job.input.columns.quantity", "qty",
        "shoprec.job.input.columns.price", "unit_price"));
    o.putAll(extra);
    return JobSettings.of(o).input();
  }

  @Test
  void readsAPartitionedTableAndAccountsForEveryRow() {
    InputSettings in = input(Map.of("shoprec.job.input.jdbc.partition-column", "id",
        "shoprec.job.input.jdbc.lower-bound", "1", "shoprec.job.input.jdbc.upper-bound", "7",
        "shoprec.job.input.jdbc.num-partitions", "3"));
    var raw = OrdersReader.read(spark, in);
    assertEquals(3, raw.rdd().getNumPartitions());
    Map<String, Long> reasons = new TreeMap<>();
    for (Row r : OrderValidation.classify(raw, in).groupBy(OrderValidation.REASON).count().collectAsList()) {
      reasons.put(r.isNullAt(0) ? "used" : r.getString(0), r.getLong(1));
    }
    assertEquals(Map.of("used", 2L, "excluded_product", 2L, "missing_customer_id", 1L, "missing_ts", 1L), reasons);
    Row first = OrderValidation.classify(raw, in).where("product_id = '85123A'").first();
    assertEquals(6.0, (double) first.getAs("quantity"));
    assertEquals(java.sql.Timestamp.valueOf("2010-12-01 08:26:00"), first.getAs("ts"));
  }

  @Test
  void aQueryCanStandInForATable() {
    InputSettings in = input(Map.of("shoprec.job.input.jdbc.table", "",
        "shoprec.job.input.jdbc.query", "SELECT * FROM order_lines WHERE qty > 0"));
    assertEquals(5, OrdersReader.read(spark, in).count());
  }

  @Test
  void aMissingColumnOrAnUnreachableDatabaseIsNamed() {
    InputException missing = assertThrows(InputException.class, () -> OrdersReader.read(spark,
        input(Map.of("shoprec.job.input.columns.customer-id", "customer"))));
    assertTrue(missing.getMessage().contains("\"customer\""), missing.getMessage());
    assertTrue(missing.getMessage().contains("shoprec.job.input.columns.customer-id"), missing.getMessage());

    InputException unreachable = assertThrows(InputException.class, () -> OrdersReader.read(spark,
        input(Map.of("shoprec.job.input.jdbc.url", "jdbc:postgresql://127.0.0.1:1/shop?user=x&password=secret"))));
    assertTrue(unreachable.getMessage().contains("127.0.0.1:1"), unreachable.getMessage());
    assertTrue(!unreachable.getMessage().contains("secret"), unreachable.getMessage());
  }
}

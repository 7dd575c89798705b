package com.shoprec.jobs.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.SparkTestBase;
import com.shoprec.jobs.config.JobSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV input with the source's own column names, gzip, a glob, a broken line, and the errors users see. */
class OrdersReaderIT extends SparkTestBase {

  @TempDir Path dir;

  private static final String HEADER = "InvoiceNo;StockCode;Quantity;InvoiceDate;UnitPrice;CustomerID";

  private InputSettings input(String path, Map<String, String> extra) {
    Map<String, Object> o = new HashMap<>(Map.of(
        "shoprec.job.input.path", path,
        "shoprec.job.input.csv.delimiter", ";",
        "shoprec.job.input.timestamp-format", "yyyy-MM-dd HH:mm",
        "shoprec.job.input.columns.order-id", "InvoiceNo",
        "shoprec.job.input.columns.customer-id", "CustomerID",
        "shoprec.job.input.columns.product-id", "StockCode",
        "shoprec.job.input.columns.ts", "InvoiceDate",
        "shoprec.job.input.columns.quantity", "Quantity",
        "shoprec.job.input.columns.price", "UnitPrice"));
    o.putAll(extra);
    return JobSettings.of(o).input();
  }

  @Test
  void readsMappedColumnsFromGzipAcrossAGlobAndMarksBrokenLines() throws IOException {
    gzip(dir.resolve("part-1.csv.gz"), HEADER,
        "536365;85123A;6;2010-12-01 08:26;2.55;17850",
        "536365;71053;6;2010-12-01 08:26;3.39;17850");
    gzip(dir.resolve("part-2.csv.gz"), HEADER,
        "536366;22633;6;2010-12-01 08:28;1.85;17850",
        "this line has no separators at all");

    List<Row> rows = OrderValidation.classify(OrdersReader.read(spark, input(dir + "/part-*.csv.gz", Map.of())),
        input(dir.toString(), Map.of())).orderBy("order_id", "product_id").collectAsList();

    assertEquals(4, rows.size());
    Row first = rows.stream().filter(r -> "85123A".equals(r.getAs("product_id"))).findFirst().orElseThrow();
    assertEquals("17850", first.getAs("customer_id"));
    assertEquals(6.0, (double) first.getAs("quantity"));
    assertEquals(2.55, (double) first.getAs("price"));
    assertNull(first.getAs(OrderValidation.REASON));
    long malformed = rows.stream().filter(r -> "malformed_line".equals(r.getAs(OrderValidation.REASON))).count();
    assertEquals(1, malformed);
  }

  @Test
  void aMissingColumnIsNamedWithItsConfigurationKey() throws IOException {
    Path file = dir.resolve("orders.csv");
    Files.writeString(file, "InvoiceNo;StockCode;Quantity;InvoiceDate;UnitPrice;Customer\n1;A;1;2010-12-01 08:26;1;7\n");
    InputException e = assertThrows(InputException.class, () -> OrdersReader.read(spark, input(file.toString(), Map.of())));
    assertTrue(e.getMessage().contains("\"CustomerID\""), e.getMessage());
    assertTrue(e.getMessage().contains("shoprec.job.input.columns.customer-id"), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void aMissingFileIsNamed() {
    String path = dir.resolve("nope/*.csv").toString();
    InputException e = assertThrows(InputException.class, () -> OrdersReader.read(spark, input(path, Map.of())));
    assertTrue(e.getMessage().contains("input not found: " + path), e.getMessage());
  }

  @Test
  void quantityAndPriceMayBeAbsent() throws IOException {
    Path file = dir.resolve("minimal.csv");
    Files.writeString(file, "InvoiceNo;StockCode;InvoiceDate;CustomerID\n1;A;2010-12-01 08:26;7\n");
    Row row = OrderValidation.classify(OrdersReader.read(spark, input(file.toString(), Map.of(
        "shoprec.job.input.columns.quantity", "", "shoprec.job.input.columns.price", ""))),
        input(file.toString(), Map.of())).first();
    assertEquals(1.0, (double) row.getAs("quantity"));
    assertNull(row.getAs("price"));
    assertNull(row.getAs(OrderValidation.REASON));
  }

  @Test
  void theCatalogGivesOneCategoryAndNamePerProductAndNamesAMissingColumn() throws IOException {
    Path file = dir.resolve("catalog.csv");
    Files.writeString(file, "sku,title,group\n85123A,HEART HOLDER, Lights \n71053,LANTERN,Lights\n22633,,\n"
        + "22752, SET 7 BABUSHKA ,\n84029E,,Warmers\n");
    CatalogSettings catalog = JobSettings.of(Map.of("shoprec.job.input.path", "x", "shoprec.job.catalog.path",
        file.toString(), "shoprec.job.catalog.columns.product-id", "sku", "shoprec.job.catalog.columns.category",
        "group", "shoprec.job.catalog.columns.name", "title")).catalog();
    List<String> rows = OrdersReader.readCatalog(spark, catalog).orderBy("product_id").collectAsList().stream()
        .map(r -> r.getAs("product_id") + "|" + r.getAs("category") + "|" + r.getAs("name")).toList();
    // 22633 has neither category nor name: dropped; an empty value is null, values are trimmed
    assertEquals(List.of("22752|null|SET 7 BABUSHKA", "71053|Lights|LANTERN", "84029E|Warmers|null",
        "85123A|Lights|HEART HOLDER"), rows);

    // no name column (the default "name" is absent): names are null, nothing fails, and 22752 (a name
    // only) has nothing left
    CatalogSettings noNames = new CatalogSettings(file.toString(), "sku", "group", "name");
    assertEquals(List.of("71053|Lights|null", "84029E|Warmers|null", "85123A|Lights|null"),
        OrdersReader.readCatalog(spark, noNames).orderBy("product_id").collectAsList().stream()
            .map(r -> r.getAs("product_id") + "|" + r.getAs("category") + "|" + r.getAs("name")).toList());

    CatalogSettings wrong = new CatalogSettings(file.toString(), "sku", "category", "title");
    InputException e = assertThrows(InputException.class, () -> OrdersReader.readCatalog(spark, wrong));
    assertTrue(e.getMessage().contains("shoprec.job.catalog.columns.category"), e.getMessage());
  }

  private static void gzip(Path file, String... lines) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }
}

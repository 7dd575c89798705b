package com.shoprec.jobs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real orders in {@code ../shared/data} beside the repository (not copied into it). Tests that need
 * them are skipped, saying so, where that folder is absent; {@code SHOPREC_SHARED_DATA} overrides it.
 */
public final class SharedData {

  private SharedData() {}

  /** {@code online-retail/orders.csv.gz}: UCI Online Retail, 397,924 order lines (see its SOURCE.md). */
  public static Path onlineRetail() {
    String configured = System.getenv("SHOPREC_SHARED_DATA");
    Path root = configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "data");
    Path file = root.resolve("online-retail").resolve("orders.csv.gz").toAbsolutePath().normalize();
    assumeTrue(Files.isRegularFile(file),
        "needs the shared Online Retail orders at " + file + " (../shared/data beside the repository)");
    return file;
  }
}

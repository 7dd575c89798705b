package com.shoprec.jobs;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** A slice of the shared Online Retail orders: the customers whose numeric id is divisible by {@code modulo}. */
final class OrderSlice {

  private OrderSlice() {}

  /** Writes the slice as plain CSV (header kept) and returns the number of order lines written. */
  static long write(Path out, int modulo) throws IOException {
    return write(out, modulo, fields -> { });
  }

  /**
   * As {@link #write(Path, int)}, handing each line written, split on commas (order_id, customer_id,
   * product_id, …), to {@code eachLine}.
   */
  static long write(Path out, int modulo, java.util.function.Consumer<String[]> eachLine) throws IOException {
    long rows = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
            new GZIPInputStream(Files.newInputStream(SharedData.onlineRetail())), StandardCharsets.UTF_8));
         BufferedWriter w = Files.newBufferedWriter(out)) {
      w.write(in.readLine());
      w.newLine();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] f = line.split(",");
        if (Long.parseLong(f[1]) % modulo == 0) {
          w.write(line);
          w.newLine();
          rows++;
          eachLine.accept(f);
        }
      }
    }
    return rows;
  }
}

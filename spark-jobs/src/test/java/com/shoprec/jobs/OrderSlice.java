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
    long rows = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
            new GZIPInputStream(Files.newInputStream(SharedData.onlineRetail())), StandardCharsets.UTF_8));
         BufferedWriter w = Files.newBufferedWriter(out)) {
      w.write(in.readLine());
      w.newLine();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] f = line.split(",", 3);
        if (Long.parseLong(f[1]) % modulo == 0) {
          w.write(line);
          w.newLine();
          rows++;
        }
      }
    }
    return rows;
  }
}

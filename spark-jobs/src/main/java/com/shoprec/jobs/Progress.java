package com.shoprec.jobs;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The stages on the terminal, a line as each starts and one as it ends:
 * <pre>
 *   als .............. started
 *   als .............. done      12.3 s       3,895 rows
 * </pre>
 * The models run at the same time, so their lines interleave.
 */
final class Progress implements Stages.Listener {
  private static final int NAME_WIDTH = 16;
  private final PrintStream out;

  Progress(PrintStream out) {
    this.out = out;
  }

  @Override
  public void started(String stage) {
    print(line(stage, "started", null, null));
  }

  @Override
  public void ended(String stage, long millis, Long rows) {
    print(line(stage, "done", millis, rows));
  }

  @Override
  public void failed(String stage, long millis) {
    print(line(stage, "failed", millis, null));
  }

  private synchronized void print(String line) {
    out.println(line);
    out.flush();
  }

  /** One progress line: the stage padded with dots, what happened, then the seconds and rows when known. */
  static String line(String stage, String what, Long millis, Long rows) {
    StringBuilder sb = new StringBuilder("  ").append(stage).append(' ');
    while (sb.length() < NAME_WIDTH + 4) {
      sb.append('.');
    }
    sb.append(' ').append(what);
    if (millis != null) {
      sb.append(" ".repeat(Math.max(1, 8 - what.length())))
          .append(String.format(Locale.ROOT, "%6.1f s", millis / 1000.0));
      if (rows != null) {
        sb.append(String.format(Locale.ROOT, "%,14d rows", rows));
      }
    }
    return sb.toString();
  }
}

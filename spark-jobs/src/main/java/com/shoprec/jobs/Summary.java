package com.shoprec.jobs;

import com.shoprec.jobs.config.JobSettings;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** What a person reads at the end of a weekly run: what was published, for whom, from what, and where it went. */
final class Summary {

  private Summary() {}

  /** @param elapsedMillis since the process started (JVM and Spark included: what a person waits for) */
  static String of(WeeklyRun.Outcome o, JobSettings settings, Path logFile, long elapsedMillis) {
    Map<String, Long> out = o.outputs();
    StringBuilder sb = new StringBuilder("\n");
    sb.append(o.published() ? "published run " + o.runId() : "dry run, nothing published")
        .append(String.format(Locale.ROOT, ": week %s, as of %s, in %.1f s%n", o.week(), o.asOf(),
            elapsedMillis / 1000.0));
    long rejected = o.inputRows() - o.usedRows();
    line(sb, "input", String.format(Locale.ROOT, "%,d order lines, %,d used; %,d rejected%s", o.inputRows(),
        o.usedRows(), rejected, rejected == 0 ? "" : ": " + o.rejects().entrySet().stream()
            .map(e -> String.format(Locale.ROOT, "%s %,d", e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "))));
    line(sb, "customers", String.format(Locale.ROOT, "%,d with a list (the active ones of %,d)",
        get(out, "customer_lists"), get(out, "customer_segments")));
    line(sb, "items", String.format(Locale.ROOT, "%,d: repurchase %,d, discovery %,d, popular fill %,d",
        get(out, "weekly_recommendations"), get(out, "repurchase_items"), get(out, "discovery_items"),
        get(out, "popular_items")));
    if (o.published()) {
      line(sb, "Postgres", JobSettings.mask(settings.postgres().url()) + " (the current_* views)");
      line(sb, "Redis", JobSettings.mask(settings.redis().url()) + String.format(Locale.ROOT, " (%,d keys)",
          get(out, "redis_keys")));
    }
    if (logFile != null) {
      line(sb, "log", logFile.toString());
    }
    return sb.toString();
  }

  /**
   * A note when EASE's and next-new's driver steps run on netlib's Java LAPACK (no liblapack.so.3 on this machine):
   * at their 3,000 products these take about 40 s of one core there, against about a second with a native one.
   */
  static Optional<String> lapackNote(JobSettings settings) {
    if (settings.discovery().easeWeight() == 0 && settings.discovery().nextNewWeight() == 0) {
      return Optional.empty();
    }
    String lapack;
    try {
      lapack = dev.ludovic.netlib.lapack.LAPACK.getInstance().getClass().getSimpleName();
    } catch (LinkageError e) {
      return Optional.empty();
    }
    if (!lapack.startsWith("F2j") && !lapack.startsWith("Java")) {
      return Optional.empty();
    }
    return Optional.of("note: no native LAPACK here (liblapack.so.3): EASE and next-new solve in Java, about 40 s "
        + "more; `apt-get install liblapack3` (Debian/Ubuntu) makes that about a second");
  }

  private static long get(Map<String, Long> out, String key) {
    return out.getOrDefault(key, 0L);
  }

  private static void line(StringBuilder sb, String label, String text) {
    sb.append(String.format(Locale.ROOT, "  %-10s %s%n", label, text));
  }
}

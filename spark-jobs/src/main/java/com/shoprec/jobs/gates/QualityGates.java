package com.shoprec.jobs.gates;

import com.shoprec.jobs.config.Section;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The checks a run must pass before it is published. Each check is a measured value against a threshold;
 * the run is published only when all pass (or with {@code --force}, which is recorded).
 */
public final class QualityGates {

  /** {@code shoprec.job.gates}. */
  public record Settings(double minFullListShare, double minCatalogCoverage, double minOverlapWithPrevious,
      double maxRejectRate, long minCustomers) implements java.io.Serializable {

    public static Settings from(Section s) {
      return new Settings(s.fraction("min-full-list-share"), s.fraction("min-catalog-coverage"),
          s.fraction("min-overlap-with-previous"), s.fraction("max-reject-rate"), s.atLeast("min-customers", 0));
    }
  }


  /** What the run measured. {@code overlapWithPrevious} is null when there is no previous run to compare. */
  public record Measures(long activeCustomers, long fullLists, long historyProducts, long recommendedProducts,
      long inputRows, long rejectedRows, Double overlapWithPrevious) {}

  /** One check: {@code value >= threshold} (or {@code <=} for maxima). */
  public record Check(String name, double value, String comparison, double threshold, boolean passed) {
    String json() {
      return String.format(Locale.ROOT, "{\"check\":\"%s\",\"value\":%.6f,\"comparison\":\"%s\",\"threshold\":%s,\"passed\":%s}",
          name, value, comparison, threshold, passed);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s = %.4f (must be %s %s)", name, value, comparison, threshold);
    }
  }

  private QualityGates() {}

  public static List<Check> check(Measures m, QualityGates.Settings g) {
    List<Check> checks = new ArrayList<>();
    checks.add(atLeast("customers", m.activeCustomers(), g.minCustomers()));
    checks.add(atLeast("full_list_share", share(m.fullLists(), m.activeCustomers()), g.minFullListShare()));
    checks.add(atLeast("catalog_coverage", share(m.recommendedProducts(), m.historyProducts()), g.minCatalogCoverage()));
    double rejectRate = share(m.rejectedRows(), m.inputRows());
    checks.add(new Check("reject_rate", rejectRate, "<=", g.maxRejectRate(), rejectRate <= g.maxRejectRate()));
    if (m.overlapWithPrevious() != null && g.minOverlapWithPrevious() > 0) {
      checks.add(atLeast("overlap_with_previous", m.overlapWithPrevious(), g.minOverlapWithPrevious()));
    }
    return checks;
  }

  public static boolean allPassed(List<Check> checks) {
    return checks.stream().allMatch(Check::passed);
  }

  public static List<Check> failed(List<Check> checks) {
    return checks.stream().filter(c -> !c.passed()).toList();
  }

  /** {@code [{"check":…,"value":…,"comparison":…,"threshold":…,"passed":…}, …]} for the job log. */
  public static String json(List<Check> checks) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < checks.size(); i++) {
      out.append(i == 0 ? "" : ",").append(checks.get(i).json());
    }
    return out.append(']').toString();
  }

  private static Check atLeast(String name, double value, double threshold) {
    return new Check(name, value, ">=", threshold, value >= threshold);
  }

  private static double share(long part, long whole) {
    return whole == 0 ? 0 : (double) part / whole;
  }
}

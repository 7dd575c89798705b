package com.shoprec.jobs.eval;

/**
 * One measured value: {@code method} (e.g. {@code GP-TopFreq}, {@code weekly}), {@code segment}
 * ({@code ALL} or a segment name), {@code items} ({@code all}, {@code repeat}: test items the customer
 * bought before, {@code explore}: new to the customer), {@code metric} ({@code recall}, {@code ndcg},
 * {@code hit_rate}, {@code precision}, {@code map}, {@code coverage}) at cut-off {@code k}, and
 * {@code customers}: how many customers the value is averaged over (for coverage: the customers whose
 * lists were counted).
 */
public record Metric(String method, String segment, String items, String metric, int k, double value,
    long customers) {

  public static final String ALL_SEGMENTS = "ALL";
  public static final String ALL_ITEMS = "all";
  public static final String REPEAT_ITEMS = "repeat";
  public static final String EXPLORE_ITEMS = "explore";
}

package com.shoprec.jobs;

import java.util.ArrayList;
import java.util.List;

/**
 * Job arguments for the tests that run the whole job to check what a run does (publish, fail, roll back, run on
 * a cluster, keep secrets) rather than what its models learn: every model is still trained and every table and key
 * still written, only smaller: ALS rank 8, 5 iterations on 2 blocks; EASE and next-new on the 500 most bought
 * products; product audiences of 20 customers from 50 ALS candidates. As {@code published-output/sample.settings}.
 */
final class SmallModels {

  static final List<String> ARGS = List.of(
      "--set", "shoprec.job.als.rank=8",
      "--set", "shoprec.job.als.max-iter=5",
      "--set", "shoprec.job.als.blocks=2",
      "--set", "shoprec.job.ease.max-products=500",
      "--set", "shoprec.job.next-new.max-products=500",
      "--set", "shoprec.job.audience.top-k=20",
      "--set", "shoprec.job.audience.als-candidates=50");

  private SmallModels() {}

  /** {@code args} followed by {@link #ARGS}. */
  static List<String> plus(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.addAll(ARGS);
    return all;
  }
}

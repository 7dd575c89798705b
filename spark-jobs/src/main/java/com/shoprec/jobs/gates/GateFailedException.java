package com.shoprec.jobs.gates;

import java.util.List;

/** A quality gate failed and the run was not published: exit code {@code 3}. */
public final class GateFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GateFailedException(List<QualityGates.Check> failed) {
    super("quality gate failed, run not published (use --force to publish anyway): " + failed);
  }
}

package com.shoprec.jobs.store.postgres;

/** Another run holds the run lock: two runs never interleave. The message names that run. */
public class RunInProgressException extends StoreException {

  private static final long serialVersionUID = 1L;

  private final String runningRunId;

  public RunInProgressException(String message, String runningRunId) {
    super(message);
    this.runningRunId = runningRunId;
  }

  /** The run that holds the lock, or null when the run log does not say which. */
  public String runningRunId() {
    return runningRunId;
  }
}

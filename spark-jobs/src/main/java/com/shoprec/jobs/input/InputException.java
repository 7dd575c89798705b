package com.shoprec.jobs.input;

/** The input cannot be read as orders (missing file or column, unreachable source): exit code {@code 2}. */
public final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}

package com.shoprec.jobs.config;

/** A malformed option or configuration key: the message names it. Exit code {@code 2}. */
public final class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SettingsException(String message) {
    super(message);
  }

  public SettingsException(String message, Throwable cause) {
    super(message, cause);
  }
}

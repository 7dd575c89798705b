package com.shoprec.jobs.store.postgres;

/**
 * Postgres could not be reached or refused the login. The message names the URL (never the password);
 * the job stops with it before writing anything.
 */
public class StoreUnavailableException extends StoreException {

  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}

package com.shoprec.jobs.store.postgres;

/** Postgres refused or failed an operation of {@link PostgresStore}; the message says which and why. */
public class StoreException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}

package com.shoprec.jobs.store.redis;

/**
 * Redis answered, but with an error (a SET refused for lack of memory, a wrong password, a transaction
 * aborted), or what Redis holds does not match what was written. The run must not be published.
 */
public final class RedisWriteException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RedisWriteException(String message) {
    super(message);
  }

  public RedisWriteException(String message, Throwable cause) {
    super(message, cause);
  }
}

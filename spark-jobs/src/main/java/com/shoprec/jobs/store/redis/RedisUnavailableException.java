package com.shoprec.jobs.store.redis;

/**
 * Redis could not be reached (connection refused, timeout, broken connection): a store outage, not a
 * data error. The message names {@code host:port}, never the password.
 */
public final class RedisUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RedisUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}

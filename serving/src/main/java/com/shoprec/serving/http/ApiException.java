package com.shoprec.serving.http;

/**
 * A request that cannot be answered as asked, with the HTTP status that says why. Thrown by
 * {@link #check(boolean, int, String)} guards and turned into a JSON error in one place,
 * {@link Responses#error}.
 */
public final class ApiException extends RuntimeException {

  private final int status;

  public ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  /** Throws {@code new ApiException(status, message)} unless {@code condition} holds. */
  public static void check(boolean condition, int status, String message) {
    if (!condition) {
      throw new ApiException(status, message);
    }
  }

  /** A 400 guard: the most common one. */
  public static void checkArgument(boolean condition, String message) {
    check(condition, 400, message);
  }
}

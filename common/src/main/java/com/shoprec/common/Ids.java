package com.shoprec.common;

/**
 * What a customer or product id may look like. Ids are opaque strings (SKUs such as {@code 85123A}); the
 * batch rejects rows whose ids the server would refuse, so every published id can be looked up.
 */
public final class Ids {

  /** Longest id accepted, in characters. */
  public static final int MAX_LENGTH = 128;

  private Ids() {}

  /**
   * True for 1 to {@link #MAX_LENGTH} characters, none of them a control character, and no leading or
   * trailing white space (which would make two spellings of one id).
   */
  public static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    if (Character.isWhitespace(id.charAt(0)) || Character.isWhitespace(id.charAt(id.length() - 1))) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.isISOControl(id.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}

package com.shoprec.jobs.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** URL parsing without a server: every part, the defaults, and errors that never echo the password. */
class RedisTargetTest {

  private static final int TIMEOUT = 2000;

  @Test
  void hostAndPortOnly() {
    RedisTarget t = RedisTarget.parse("redis://127.0.0.1:6380", null, TIMEOUT);
    assertEquals(new RedisTarget("127.0.0.1", 6380, null, null, 0, false, TIMEOUT), t);
  }

  @Test
  void defaultPortAndTrailingSlash() {
    RedisTarget t = RedisTarget.parse("redis://cache.internal/", null, TIMEOUT);
    assertEquals("cache.internal", t.host());
    assertEquals(6379, t.port());
    assertEquals(0, t.database());
  }

  @Test
  void userPasswordDatabaseAndTls() {
    RedisTarget t = RedisTarget.parse("rediss://shoprec:s3cret@redis.example.com:6390/3", null, TIMEOUT);
    assertEquals(new RedisTarget("redis.example.com", 6390, "shoprec", "s3cret", 3, true, TIMEOUT), t);
  }

  @Test
  void passwordWithoutUserIsTheDefaultUser() {
    RedisTarget t = RedisTarget.parse("redis://:pw@h:1", null, TIMEOUT);
    assertNull(t.user());
    assertEquals("pw", t.password());
  }

  @Test
  void passwordFromTheCallerWhenTheUrlHasNone() {
    assertEquals("fromEnv", RedisTarget.parse("redis://h:1", "fromEnv", TIMEOUT).password());
    assertEquals("fromEnv", RedisTarget.parse("redis://app@h:1", "fromEnv", TIMEOUT).password());
    assertEquals("app", RedisTarget.parse("redis://app@h:1", "fromEnv", TIMEOUT).user());
    // the URL's password wins; an empty variable counts as none
    assertEquals("inUrl", RedisTarget.parse("redis://:inUrl@h:1", "fromEnv", TIMEOUT).password());
    assertNull(RedisTarget.parse("redis://h:1", "", TIMEOUT).password());
  }

  @Test
  void percentEncodedAndRawSpecialCharactersInThePassword() {
    assertEquals("p@ss:w/rd%", RedisTarget.parse("redis://u:p%40ss%3Aw%2Frd%25@h:1/2", null, TIMEOUT).password());
    // an unescaped '@' or '/' still parses: the user info ends at the last '@'
    RedisTarget raw = RedisTarget.parse("redis://u:p@s/s@h:1/2", null, TIMEOUT);
    assertEquals("p@s/s", raw.password());
    assertEquals("h", raw.host());
    assertEquals(2, raw.database());
    assertEquals("a+b", RedisTarget.parse("redis://:a+b@h", null, TIMEOUT).password());
  }

  @Test
  void ipv6InBrackets() {
    RedisTarget t = RedisTarget.parse("redis://[::1]:7000/1", null, TIMEOUT);
    assertEquals("::1", t.host());
    assertEquals(7000, t.port());
    assertEquals("[::1]:7000", t.address());
  }

  @Test
  void schemeIsCaseInsensitive() {
    assertTrue(RedisTarget.parse("REDISS://h:1", null, TIMEOUT).ssl());
  }

  @Test
  void badUrlsNameTheBadPart() {
    assertMessage("redis://h:1", "scheme", "http://h:1");
    assertMessage("redis://", "must start", "h:6379");
    assertMessage("empty", "empty", " ");
    assertMessage("no host", "host", "redis://:6379");
    assertMessage("port", "port must be a number", "redis://h:abc");
    assertMessage("port", "port must be 1 to 65535", "redis://h:70000");
    assertMessage("port", "port must be 1 to 65535", "redis://h:0");
    assertMessage("database", "database must be a number", "redis://h:1/x");
    assertMessage("options", "options", "redis://h:1/0?ssl=true");
    assertMessage("IPv6", "brackets", "redis://::1:6379");
    assertMessage("bracket", "closing ]", "redis://[::1:6379");
    assertMessage("percent", "%25", "redis://u:100%@h:1");
    assertMessage("user without password", "without a password", "redis://app@h:1");
  }

  @Test
  void errorsNeverEchoThePassword() {
    String[] bad = {
        "redis://user:Hunter2Secret",            // forgot @host: the password would be the "port"
        "redis://user:Hunter2Secret@",           // no host
        "redis://user:Hunter2Secret@h:1/x",      // bad database
        "redis://Hunter2Secret:6379:1",          // IPv6-looking host
        "redis://u:Hunter2Secret%@h",            // bad escape in the password
        "Hunter2Secret://h:1",                   // password where the scheme goes
        "redis://h:1/Hunter2Secret",
        "redis://u:Hunter2Secret@h:1?x=1",
        "redis://Hunter2Secret@h:1",             // a password without its colon reads as a user
    };
    for (String url : bad) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RedisTarget.parse(url, null, TIMEOUT), url);
      assertFalse(e.getMessage().contains("Hunter2"), url + " -> " + e.getMessage());
    }
  }

  @Test
  void toStringMasksThePassword() {
    RedisTarget t = RedisTarget.parse("rediss://app:Hunter2Secret@h:6380/4", null, TIMEOUT);
    assertEquals("RedisTarget[rediss://app:***@h:6380/4, timeoutMillis=2000]", t.toString());
    RedisTarget fromEnv = RedisTarget.parse("redis://h:6380", "Hunter2Secret", TIMEOUT);
    assertFalse(fromEnv.toString().contains("Hunter2"), fromEnv.toString());
    assertEquals("RedisTarget[redis://h:6380/0, timeoutMillis=2000]",
        RedisTarget.parse("redis://h:6380", null, TIMEOUT).toString());
  }

  @Test
  void invalidTimeoutIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> RedisTarget.parse("redis://h:1", null, 0));
  }

  @Test
  void serializableForExecutors() throws Exception {
    RedisTarget t = RedisTarget.parse("rediss://app:pw@h:6380/4", null, TIMEOUT);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(t);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(t, in.readObject());
    }
  }

  private static void assertMessage(String label, String expectedPart, String url) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisTarget.parse(url, null, TIMEOUT), label);
    assertTrue(e.getMessage().contains(expectedPart), label + ": " + e.getMessage());
  }
}

package com.shoprec.jobs.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisDataException;

/** The publisher's pure parts: SCAN patterns, reply checking and argument checks, without a server. */
class RedisPublisherTest {

  private static final RedisTarget LOCAL = new RedisTarget("127.0.0.1", 6379, null, null, 0, false, 1000);

  @Test
  void patternIsTheKeyLayoutsRunPattern() {
    RedisPublisher p = new RedisPublisher(LOCAL, new RedisKeys("shop-eu:"), 60, 10);
    RedisKeys keys = new RedisKeys("shop-eu:");
    for (PayloadKind kind : PayloadKind.values()) {
      assertEquals(keys.runPattern(kind, "2025_W45_1"), p.pattern(kind, "2025_W45_1"));
    }
  }

  @Test
  void globCharactersInTheNamespaceAreEscaped() {
    RedisPublisher p = new RedisPublisher(LOCAL, new RedisKeys("shop[1]*?\\:"), 60, 10);
    assertEquals("shop\\[1\\]\\*\\?\\\\:weekly_recs:r1:*", p.pattern(PayloadKind.CUSTOMER_RECS, "r1"));
  }

  @Test
  void everyReplyMustBeOk() {
    byte[][] keys = {bytes("a"), bytes("b"), bytes("c")};
    assertEquals(2, WriteKeyValuesFn.checkReplies(List.of("OK", "OK"), keys, 2));
    RedisWriteException e = assertThrows(RedisWriteException.class, () -> WriteKeyValuesFn.checkReplies(
        Arrays.asList("OK", new JedisDataException("OOM command not allowed"), "OK"), keys, 3));
    assertTrue(e.getMessage().contains("SET b failed: OOM"), e.getMessage());
    assertThrows(RedisWriteException.class, () -> WriteKeyValuesFn.checkReplies(List.of("OK"), keys, 2));
  }

  @Test
  void settingsAreChecked() {
    RedisKeys keys = RedisKeys.withoutNamespace();
    assertThrows(IllegalArgumentException.class, () -> new RedisPublisher(LOCAL, keys, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> new RedisPublisher(LOCAL, keys, 60, 0));
    assertThrows(IllegalArgumentException.class, () -> new RedisPublisher(null, keys, 60, 10));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

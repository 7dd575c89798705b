package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.serving.redis.RedisEndpoint;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings validation and Redis URL parsing: clear messages naming the key, passwords never logged. */
class SettingsTest {

  private static ServingSettings settings(Map<String, Object> values, Map<String, String> env) {
    return ServingSettings.from(ConfigFactory.parseMap(values).withFallback(ConfigFactory.defaultReference()),
        env::get);
  }

  @Test
  void defaultsAreValid() {
    ServingSettings s = settings(Map.of(), Map.of());
    assertEquals("127.0.0.1", s.host);
    assertEquals(256L << 20, s.cacheBytes);
    assertEquals(1000, s.liveRunCacheMillis);
    assertEquals(new RedisEndpoint("127.0.0.1", 6379, 0, null, null, false), s.redis);
  }

  @Test
  void badValuesNameTheirKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("shoprec.serving.port", 70000), Map.of()));
    assertEquals("shoprec.serving.port must be between 0 and 65535, got 70000", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("shoprec.serving.cache-size", "lots"), Map.of()));
    assertTrue(e.getMessage().contains("shoprec.serving.cache-size"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("shoprec.redis.url", "http://x"), Map.of()));
    assertEquals("shoprec.redis.url: scheme must be redis:// or rediss://, got http", e.getMessage());
  }

  @Test
  void passwordComesFromTheUrlOrTheNamedEnvironmentVariableAndIsMasked() {
    ServingSettings s = settings(Map.of("shoprec.redis.url", "rediss://app:s%40cret@redis.example:6380/2"),
        Map.of("REDIS_PASSWORD", "from-env"));
    assertEquals(new RedisEndpoint("redis.example", 6380, 2, "app", "s@cret", true), s.redis);
    assertFalse(s.toString().contains("s@cret"));
    assertTrue(s.toString().contains("rediss://app:***@redis.example:6380/2"), s.toString());
    ServingSettings fromEnv = settings(Map.of("shoprec.redis.url", "redis://10.0.0.1",
        "shoprec.redis.password-env", "MY_PW"), Map.of("MY_PW", "pw"));
    assertEquals("pw", fromEnv.redis.password());
    assertNull(fromEnv.redis.user());
    assertEquals("redis://:***@10.0.0.1:6379/0", fromEnv.redis.toString());
  }

  @Test
  void malformedUrlsAreRejected() {
    for (String bad : new String[] {"redis://", "redis://host/db", "redis://host:6379/-1", "not a url", "redis:///0"}) {
      assertThrows(IllegalArgumentException.class, () -> RedisEndpoint.parse(bad, null), bad);
    }
  }
}

package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The allocation-free ETag equals its definition: FNV-1a over the UTF-8 of key, "\n" + limit, "+" + offset (when not
 * 0, so that tags without an offset stay as they were), "\n" + id.
 */
class EtagTest {

  private static String reference(String run, String key, PayloadEndpoint.Cut cut) {
    long h = 0xcbf29ce484222325L;
    h = fnv(h, key);
    h = fnv(h, "\n" + cut.limit());
    if (cut.offset() > 0) {
      h = fnv(h, "+" + cut.offset());
    }
    for (String id : cut.exclude()) {
      h = fnv(h, "\n" + id);
    }
    return '"' + run + '-' + Long.toHexString(h) + '"';
  }

  private static long fnv(long h, String s) {
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  @Test
  void sameTagsAsBefore() {
    List<String> keys = List.of("weekly_recs:2011_W49:12347", "similar_products:r:caf\u00e9 \u00fcber", "k:\ud83d\ude00x", "");
    for (String key : keys) {
      for (int limit : new int[] {1, 9, 10, 99, 100, Integer.MAX_VALUE}) {
        for (Set<String> exclude : List.<Set<String>>of(Set.of(), new TreeSet<>(Set.of("P1", "\u00e9t\u00e9", "Z")))) {
          for (int offset : new int[] {0, 1, 25, 10_000}) {
            PayloadEndpoint.Cut cut = new PayloadEndpoint.Cut(offset, limit, exclude);
            assertEquals(reference("run_1", key, cut), PayloadEndpoint.etag("run_1", key, cut), key + " " + limit);
          }
        }
      }
    }
    assertEquals(reference("r", "k", PayloadEndpoint.Cut.NONE), PayloadEndpoint.etag("r", "k", PayloadEndpoint.Cut.NONE));
  }
}

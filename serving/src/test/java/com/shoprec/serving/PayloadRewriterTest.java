package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.shoprec.common.PayloadKind;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The limit/exclude rewriter on literal payloads, with exact expected bytes. */
class PayloadRewriterTest {

  private static final String CUSTOMER = "{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\","
      + "\"recommendations\":["
      + "{\"product_id\":\"A\",\"score\":0.80,\"rank\":1,\"source\":\"repurchase\",\"reason\":{\"times_bought\":3}},"
      + "{\"product_id\":\"B\",\"score\":1.0E-5,\"rank\":2,\"source\":\"discovery\",\"reason\":{\"neighbours\":[1,2]}},"
      + "{\"product_id\":\"C\",\"score\":0.5,\"rank\":3,\"source\":\"discovery\"}],"
      + "\"count\":3,\"total\":3,\"has_next\":false,\"has_previous\":false,\"discovery_count\":2,"
      + "\"generated_at\":\"2025-11-09T06:00:00Z\"}";

  private static String cut(String payload, PayloadKind kind, int limit, Set<String> exclude) {
    return new String(PayloadRewriter.rewrite(payload.getBytes(StandardCharsets.UTF_8), kind, limit, exclude),
        StandardCharsets.UTF_8);
  }

  @Test
  void limitKeepsTheFirstItemsByteForByteAndFixesBothCounts() {
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":["
        + "{\"product_id\":\"A\",\"score\":0.80,\"rank\":1,\"source\":\"repurchase\",\"reason\":{\"times_bought\":3}},"
        + "{\"product_id\":\"B\",\"score\":1.0E-5,\"rank\":2,\"source\":\"discovery\",\"reason\":{\"neighbours\":[1,2]}}],"
        + "\"count\":2,\"total\":3,\"has_next\":true,\"has_previous\":false,\"discovery_count\":1,"
        + "\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        cut(CUSTOMER, PayloadKind.CUSTOMER_RECS, 2, Set.of()));
  }

  @Test
  void excludeDropsNamedItemsBeforeTheLimitApplies() {
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":["
        + "{\"product_id\":\"B\",\"score\":1.0E-5,\"rank\":2,\"source\":\"discovery\",\"reason\":{\"neighbours\":[1,2]}}],"
        + "\"count\":1,\"total\":2,\"has_next\":true,\"has_previous\":false,\"discovery_count\":1,"
        + "\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        cut(CUSTOMER, PayloadKind.CUSTOMER_RECS, 1, Set.of("A", "Z")));
  }

  @Test
  void everythingExcludedLeavesAnEmptyArray() {
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":[],"
        + "\"count\":0,\"total\":0,\"has_next\":false,\"has_previous\":false,\"discovery_count\":0,"
        + "\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        cut(CUSTOMER, PayloadKind.CUSTOMER_RECS, 100, Set.of("A", "B", "C")));
  }

  @Test
  void anOffsetSkipsItemsAfterExclusionAndThePageFieldsSaySo() {
    // not A: B, C remain; offset 1 leaves C, with B before it and nothing after
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":["
        + "{\"product_id\":\"C\",\"score\":0.5,\"rank\":3,\"source\":\"discovery\"}],"
        + "\"count\":1,\"total\":2,\"has_next\":false,\"has_previous\":true,\"discovery_count\":1,"
        + "\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        new String(PayloadRewriter.rewrite(CUSTOMER.getBytes(StandardCharsets.UTF_8), PayloadKind.CUSTOMER_RECS, 1,
            5, Set.of("A")), StandardCharsets.UTF_8));
    // the middle page of three: items on both sides
    String middle = new String(PayloadRewriter.rewrite(CUSTOMER.getBytes(StandardCharsets.UTF_8),
        PayloadKind.CUSTOMER_RECS, 1, 1, Set.of()), StandardCharsets.UTF_8);
    assertEquals(true, middle.contains("\"recommendations\":[{\"product_id\":\"B\""), middle);
    assertEquals(true, middle.contains("\"count\":1,\"total\":3,\"has_next\":true,\"has_previous\":true,"), middle);
    // past the end: an empty page that still counts the list
    String past = new String(PayloadRewriter.rewrite(CUSTOMER.getBytes(StandardCharsets.UTF_8),
        PayloadKind.CUSTOMER_RECS, 10, 5, Set.of()), StandardCharsets.UTF_8);
    assertEquals(true, past.contains("\"recommendations\":[],\"count\":0,\"total\":3,\"has_next\":false,"
        + "\"has_previous\":true,\"discovery_count\":0"), past);
  }

  @Test
  void aPayloadWithoutPageFieldsGetsThemAfterCount() {
    String old = "{\"product_id\":\"P\",\"similar\":[{\"product_id\":\"x\"},{\"product_id\":\"y\"}],\"count\":2,"
        + "\"generated_at\":\"t\"}";
    assertEquals("{\"product_id\":\"P\",\"similar\":[{\"product_id\":\"x\"},{\"product_id\":\"y\"}],\"count\":2,"
        + "\"total\":2,\"has_next\":false,\"has_previous\":false,\"generated_at\":\"t\"}",
        cut(old, PayloadKind.SIMILAR_PRODUCTS, 5, Set.of()));
    assertEquals("{\"similar\":[{\"product_id\":\"x\"}],\"total\":2,\"has_next\":true,\"has_previous\":false}",
        cut("{\"similar\":[{\"product_id\":\"x\"},{\"product_id\":\"y\"}]}", PayloadKind.SIMILAR_PRODUCTS, 1, Set.of()));
    // some of them: those present are rewritten in place, only the others added
    assertEquals("{\"similar\":[{\"product_id\":\"x\"}],\"count\":1,\"has_next\":true,\"has_previous\":false,"
        + "\"total\":2}", cut("{\"similar\":[{\"product_id\":\"x\"},{\"product_id\":\"y\"}],\"count\":2,\"total\":2}",
        PayloadKind.SIMILAR_PRODUCTS, 1, Set.of()));
  }

  @Test
  void nothingDroppedReturnsTheStoredArrayItself() {
    byte[] stored = CUSTOMER.getBytes(StandardCharsets.UTF_8);
    assertSame(stored, PayloadRewriter.rewrite(stored, PayloadKind.CUSTOMER_RECS, 3, Set.of("Z")));
  }

  @Test
  void otherKindsUseTheirArrayAndIdFieldAndHaveNoDiscoveryCount() {
    String audience = "{\"product_id\":\"P\",\"week\":\"w\",\"audience\":[{\"customer_id\":\"1\",\"score\":2,\"rank\":1},"
        + "{\"customer_id\":\"A\",\"score\":1,\"rank\":2}],\"count\":2,\"total\":2,\"has_next\":false,"
        + "\"has_previous\":false,\"discovery_count\":7,\"generated_at\":\"t\"}";
    // "A" is a customer here; a product id of the same spelling elsewhere is irrelevant.
    assertEquals("{\"product_id\":\"P\",\"week\":\"w\",\"audience\":[{\"customer_id\":\"1\",\"score\":2,\"rank\":1}],"
        + "\"count\":1,\"total\":1,\"has_next\":false,\"has_previous\":false,\"discovery_count\":7,"
        + "\"generated_at\":\"t\"}",
        cut(audience, PayloadKind.PRODUCT_AUDIENCE, 10, Set.of("A")));
  }

  @Test
  void countBeforeTheArrayAndWhitespaceAreHandled() {
    String odd = "{ \"count\" : 3 , \"products\" : [ {\"product_id\":\"é\"} , {\"product_id\":\"y\"} ,"
        + " {\"product_id\":\"z\"} ] }";
    // Kept items are copied exactly; the whitespace between them is not.
    assertEquals("{ \"count\" : 2,\"total\":2,\"has_next\":false,\"has_previous\":false , \"products\" : "
        + "[{\"product_id\":\"é\"},{\"product_id\":\"z\"}] }",
        cut(odd, PayloadKind.POPULAR, 5, Set.of("y")));
  }

  @Test
  void malformedPayloadsAreShapeErrors() {
    for (String bad : new String[] {"[]", "{\"products\":[1,2]}", "{\"count\":1}", "{\"products\":[{}", "nope"}) {
      assertThrows(PayloadRewriter.ShapeException.class, () -> cut(bad, PayloadKind.POPULAR, 1, Set.of()), bad);
    }
  }
}

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
      + "\"count\":3,\"discovery_count\":2,\"generated_at\":\"2025-11-09T06:00:00Z\"}";

  private static String cut(String payload, PayloadKind kind, int limit, Set<String> exclude) {
    return new String(PayloadRewriter.rewrite(payload.getBytes(StandardCharsets.UTF_8), kind, limit, exclude),
        StandardCharsets.UTF_8);
  }

  @Test
  void limitKeepsTheFirstItemsByteForByteAndFixesBothCounts() {
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":["
        + "{\"product_id\":\"A\",\"score\":0.80,\"rank\":1,\"source\":\"repurchase\",\"reason\":{\"times_bought\":3}},"
        + "{\"product_id\":\"B\",\"score\":1.0E-5,\"rank\":2,\"source\":\"discovery\",\"reason\":{\"neighbours\":[1,2]}}],"
        + "\"count\":2,\"discovery_count\":1,\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        cut(CUSTOMER, PayloadKind.CUSTOMER_RECS, 2, Set.of()));
  }

  @Test
  void excludeDropsNamedItemsBeforeTheLimitApplies() {
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":["
        + "{\"product_id\":\"B\",\"score\":1.0E-5,\"rank\":2,\"source\":\"discovery\",\"reason\":{\"neighbours\":[1,2]}}],"
        + "\"count\":1,\"discovery_count\":1,\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        cut(CUSTOMER, PayloadKind.CUSTOMER_RECS, 1, Set.of("A", "Z")));
  }

  @Test
  void everythingExcludedLeavesAnEmptyArray() {
    assertEquals("{\"customer_id\":\"c1\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\",\"recommendations\":[],"
        + "\"count\":0,\"discovery_count\":0,\"generated_at\":\"2025-11-09T06:00:00Z\"}",
        cut(CUSTOMER, PayloadKind.CUSTOMER_RECS, 100, Set.of("A", "B", "C")));
  }

  @Test
  void nothingDroppedReturnsTheStoredArrayItself() {
    byte[] stored = CUSTOMER.getBytes(StandardCharsets.UTF_8);
    assertSame(stored, PayloadRewriter.rewrite(stored, PayloadKind.CUSTOMER_RECS, 3, Set.of("Z")));
  }

  @Test
  void otherKindsUseTheirArrayAndIdFieldAndHaveNoDiscoveryCount() {
    String audience = "{\"product_id\":\"P\",\"week\":\"w\",\"audience\":[{\"customer_id\":\"1\",\"score\":2,\"rank\":1},"
        + "{\"customer_id\":\"A\",\"score\":1,\"rank\":2}],\"count\":2,\"discovery_count\":7,\"generated_at\":\"t\"}";
    // "A" is a customer here; a product id of the same spelling elsewhere is irrelevant.
    assertEquals("{\"product_id\":\"P\",\"week\":\"w\",\"audience\":[{\"customer_id\":\"1\",\"score\":2,\"rank\":1}],"
        + "\"count\":1,\"discovery_count\":7,\"generated_at\":\"t\"}",
        cut(audience, PayloadKind.PRODUCT_AUDIENCE, 10, Set.of("A")));
  }

  @Test
  void countBeforeTheArrayAndWhitespaceAreHandled() {
    String odd = "{ \"count\" : 3 , \"products\" : [ {\"product_id\":\"é\"} , {\"product_id\":\"y\"} ,"
        + " {\"product_id\":\"z\"} ] }";
    // Kept items are copied exactly; the whitespace between them is not.
    assertEquals("{ \"count\" : 2 , \"products\" : [{\"product_id\":\"é\"},{\"product_id\":\"z\"}] }",
        cut(odd, PayloadKind.POPULAR, 5, Set.of("y")));
  }

  @Test
  void malformedPayloadsAreShapeErrors() {
    for (String bad : new String[] {"[]", "{\"products\":[1,2]}", "{\"count\":1}", "{\"products\":[{}", "nope"}) {
      assertThrows(PayloadRewriter.ShapeException.class, () -> cut(bad, PayloadKind.POPULAR, 1, Set.of()), bad);
    }
  }
}

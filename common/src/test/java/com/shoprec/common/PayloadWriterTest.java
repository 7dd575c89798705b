package com.shoprec.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PayloadWriterTest {

  private static final Instant GENERATED = Instant.parse("2025-11-09T06:00:00.123Z");
  private final PayloadWriter writer = new PayloadWriter();

  @Test
  void customerListHasTheShapeClientsRead() {
    List<PayloadWriter.Item> items = List.of(
        new PayloadWriter.Item("25432060", 0.8, 1, "repurchase", "{\"times_bought\":12,\"last_bought\":\"2025-10-30\"}"),
        new PayloadWriter.Item("85123A", 0.25, 2, "discovery", "{\"neighbours\":14}"),
        new PayloadWriter.Item("22423", 0.1, 3, "popular", null));

    String json = new String(writer.customerList("410169", "2025_W45", "LIGHT", items, GENERATED), StandardCharsets.UTF_8);

    assertEquals("{\"customer_id\":\"410169\",\"week\":\"2025_W45\",\"segment\":\"LIGHT\","
        + "\"recommendations\":[{\"product_id\":\"25432060\",\"score\":0.8,\"rank\":1,\"source\":\"repurchase\","
        + "\"reason\":{\"times_bought\":12,\"last_bought\":\"2025-10-30\"}},"
        + "{\"product_id\":\"85123A\",\"score\":0.25,\"rank\":2,\"source\":\"discovery\",\"reason\":{\"neighbours\":14}},"
        + "{\"product_id\":\"22423\",\"score\":0.1,\"rank\":3,\"source\":\"popular\"}],"
        + "\"count\":3,\"total\":3,\"has_next\":false,\"has_previous\":false,\"discovery_count\":1,"
        + "\"generated_at\":\"2025-11-09T06:00:00Z\"}", json);
  }

  @Test
  void fallbackSplicesTheCustomerIdIntoTheStoredBody() throws Exception {
    byte[] body = writer.fallbackBody("2025_W45",
        List.of(new PayloadWriter.Item("22423", 1.0, 1, "popular", null)), GENERATED);

    byte[] answer = PayloadWriter.fallbackFor("we\"ird", body);

    JsonNode node = new ObjectMapper().readTree(answer);
    assertEquals("we\"ird", node.get("customer_id").asText());
    assertEquals(true, node.get("fallback").asBoolean());
    assertEquals("2025_W45", node.get("week").asText());
    assertEquals(true, node.get("segment").isNull());
    assertEquals("22423", node.get("recommendations").get(0).get("product_id").asText());
    assertEquals(0, node.get("discovery_count").asInt());
  }

  @Test
  void otherListsNameTheirSubjectAndArray() {
    String json = new String(writer.list(PayloadKind.SIMILAR_PRODUCTS, "85123A", "2025_W45",
        List.of(new PayloadWriter.Item("71053", 3.5, 1, null, "{\"co_count\":7}")), GENERATED), StandardCharsets.UTF_8);

    assertEquals("{\"product_id\":\"85123A\",\"week\":\"2025_W45\",\"similar\":[{\"product_id\":\"71053\","
        + "\"score\":3.5,\"rank\":1,\"reason\":{\"co_count\":7}}],\"count\":1,\"total\":1,\"has_next\":false,"
        + "\"has_previous\":false,\"generated_at\":\"2025-11-09T06:00:00Z\"}", json);
  }

  @Test
  void keysAreRunScoped() {
    RedisKeys keys = new RedisKeys("eu:");
    assertEquals("eu:weekly_recs:2025_W45_1:410169", keys.payload(PayloadKind.CUSTOMER_RECS, "2025_W45_1", "410169"));
    assertEquals("eu:popular:2025_W45_1:all", keys.popularAll("2025_W45_1"));
    assertEquals("eu:shoprec:live_run", keys.liveRunPointer());
    assertThrows(IllegalArgumentException.class, () -> keys.popularAll("bad:run"));
  }

  @Test
  void idsRejectWhatTheServerWouldRefuse() {
    assertEquals(true, Ids.isValid("85123A"));
    assertEquals(true, Ids.isValid("BANK CHARGES"));
    assertEquals(false, Ids.isValid(""));
    assertEquals(false, Ids.isValid(" 85123A"));
    assertEquals(false, Ids.isValid("a\nb"));
    assertEquals(false, Ids.isValid("x".repeat(Ids.MAX_LENGTH + 1)));
  }
}

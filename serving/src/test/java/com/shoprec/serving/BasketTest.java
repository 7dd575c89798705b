package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.shoprec.serving.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Basket body checks and the merge of bought-together lists, on literal input. */
class BasketTest {

  private static byte[] list(String product, String items) {
    return ("{\"product_id\":\"" + product + "\",\"week\":\"w\",\"similar\":[" + items + "],\"count\":9}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void scoresAreSummedBasketItemsLeftOutTiesBrokenById() {
    byte[] a = list("A", "{\"product_id\":\"B\",\"score\":0.9},{\"product_id\":\"X\",\"score\":0.5},"
        + "{\"product_id\":\"Y\",\"score\":0.25,\"reason\":{\"n\":[1]}}");
    byte[] b = list("B", "{\"product_id\":\"A\",\"score\":0.9},{\"product_id\":\"Y\",\"score\":0.25},"
        + "{\"product_id\":\"W\",\"score\":0.5}");
    List<BasketMerge.Candidate> merged = BasketMerge.merge(List.of("A", "B", "C"), Arrays.asList(a, b, null), 10);
    // Y = 0.25 + 0.25 = 0.5 ties with W and X at 0.5: by id W, X, Y.
    assertEquals(List.of("W", "X", "Y"), merged.stream().map(BasketMerge.Candidate::productId).toList());
    assertEquals(List.of("A", "B"), List.copyOf(merged.get(2).boughtWith()));
    assertEquals(2, BasketMerge.merge(List.of("A", "B"), List.of(a, b), 2).size());
    assertEquals("{\"items\":[\"A\"],\"recommendations\":[{\"product_id\":\"W\",\"score\":0.5,\"rank\":1,"
        + "\"reason\":{\"bought_with\":[\"B\"]}}],\"count\":1,\"run_id\":\"r1\"}",
        new String(BasketMerge.write("r1", List.of("A"), merged.subList(0, 1)), StandardCharsets.UTF_8));
  }

  @Test
  void bodiesAreChecked() {
    assertEquals(new Basket.Request(List.of("A", "B"), 10),
        Basket.parse("{\"items\":[\"A\",\"B\",\"A\"]}".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new Basket.Request(List.of("A"), 3),
        Basket.parse("{\"items\":[\"A\"],\"limit\":3}".getBytes(StandardCharsets.UTF_8)));
    ApiException unknown = assertThrows(ApiException.class, () -> Basket.parse(
        "{\"items\":[\"A\"],\"limit\":3,\"other\":true}".getBytes(StandardCharsets.UTF_8)));
    assertEquals("unknown field other in the body: it takes items and limit", unknown.getMessage());
    for (String bad : List.of("", "null", "1", "{\"items\":null}", "{\"items\":[null]}", "{\"items\":[\"A\"],\"limit\":101}",
        "{\"items\":[\"A\"],\"limit\":2.5}", "{\"items\":[\"" + "x".repeat(129) + "\"]}")) {
      ApiException e = assertThrows(ApiException.class, () -> Basket.parse(bad.getBytes(StandardCharsets.UTF_8)), bad);
      assertEquals(400, e.status());
    }
  }
}

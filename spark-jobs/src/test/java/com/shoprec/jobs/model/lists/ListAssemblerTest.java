package com.shoprec.jobs.model.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shoprec.common.PayloadWriter.Item;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Lists of 5: LIGHT gives round(5 × 0.6) = 3 slots to discovery, REGULAR_CONSISTENT round(5 × 0.35) = 2,
 * HEAVY none. Popular: a, p, q, r.
 */
class ListAssemblerTest {

  private static final Map<String, Double> SHARES =
      Map.of("HEAVY", 0.0, "REGULAR_CONSISTENT", 0.35, "REGULAR_EXPLORATORY", 0.5, "LIGHT", 0.6);
  private static final List<ListAssembler.Candidate> POPULAR = List.of(c("a", 1.0), c("p", 0.8), c("q", 0.5), c("r", 0.25));
  private static final List<ListAssembler.Candidate> REP = List.of(c("a", 4), c("b", 2), c("c", 1));

  private final ListAssembler assembler = new ListAssembler(5, SHARES, POPULAR);

  @Test
  void lightCustomerGetsTheDiscoveryShare() {
    List<Item> items = assembler.assemble("LIGHT", REP, List.of(c("x", 0.5), c("y", 0.25), c("z", 0.1)), Set.of("a", "b", "c"));
    assertEquals(List.of(
        new Item("a", 1.0, 1, "repurchase", "{}"),
        new Item("b", 0.5, 2, "repurchase", "{}"),
        new Item("x", 1.0, 3, "discovery", "{}"),
        new Item("y", 0.5, 4, "discovery", "{}"),
        new Item("z", 0.2, 5, "discovery", "{}")), items);
    assertEquals(3, assembler.discoverySlots("LIGHT"));
    assertEquals(2, assembler.discoverySlots("REGULAR_CONSISTENT"));
  }

  @Test
  void repurchaseFillsWhatDiscoveryLacksThenPopularNotBought() {
    List<Item> items = assembler.assemble("LIGHT", REP, List.of(c("x", 0.5)), Set.of("a", "b", "c"));
    assertEquals(List.of("a", "b", "c", "x", "p"), items.stream().map(Item::id).toList());
    assertEquals("popular", items.get(4).source());
    assertEquals("{\"popular_rank\":2}", items.get(4).reasonJson());
    assertEquals(0.8, items.get(4).score());
  }

  @Test
  void heavyCustomerGetsDiscoveryOnlyWhereRepurchaseRunsShort() {
    List<ListAssembler.Candidate> many = List.of(c("a", 5), c("b", 4), c("c", 3), c("d", 2), c("e", 1), c("f", 0.5));
    List<Item> full = assembler.assemble("HEAVY", many, List.of(c("x", 0.5)), Set.of("a", "b", "c", "d", "e", "f"));
    assertEquals(List.of("a", "b", "c", "d", "e"), full.stream().map(Item::id).toList());

    List<Item> shortOfRepurchase = assembler.assemble("HEAVY", REP, List.of(c("x", 0.5)), Set.of("a", "b", "c"));
    assertEquals(List.of("a", "b", "c", "x", "p"), shortOfRepurchase.stream().map(Item::id).toList());
  }

  @Test
  void aListIsShortOnlyWhenEverySourceRunsOut() {
    List<Item> items = assembler.assemble("HEAVY", List.of(), List.of(), Set.of());
    assertEquals(List.of("a", "p", "q", "r"), items.stream().map(Item::id).toList());
    assertEquals(List.of(1, 2, 3, 4), items.stream().map(Item::rank).toList());
  }

  private static ListAssembler.Candidate c(String id, double score) {
    return new ListAssembler.Candidate(id, score, "{}");
  }
}

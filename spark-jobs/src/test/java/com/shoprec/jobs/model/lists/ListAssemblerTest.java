package com.shoprec.jobs.model.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        new Item("a", 1.0, 1, "repurchase", "{\"source_score\":1.0}"),
        new Item("b", 0.8, 2, "repurchase", "{\"source_score\":0.5}"),
        new Item("x", 0.6, 3, "discovery", "{\"source_score\":1.0}"),
        new Item("y", 0.4, 4, "discovery", "{\"source_score\":0.5}"),
        new Item("z", 0.2, 5, "discovery", "{\"source_score\":0.2}")), items);
    assertEquals(3, assembler.discoverySlots("LIGHT"));
    assertEquals(2, assembler.discoverySlots("REGULAR_CONSISTENT"));
  }

  @Test
  void repurchaseFillsWhatDiscoveryLacksThenPopularNotBought() {
    List<Item> items = assembler.assemble("LIGHT", REP, List.of(c("x", 0.5)), Set.of("a", "b", "c"));
    assertEquals(List.of("a", "b", "c", "x", "p"), items.stream().map(Item::id).toList());
    assertEquals("popular", items.get(4).source());
    assertEquals("{\"source_score\":0.8,\"popular_rank\":2}", items.get(4).reasonJson());
    assertEquals(0.2, items.get(4).score(), "the last of 5");
  }

  @Test
  void scoresDecreaseWithRankWhateverTheSources() {
    ListAssembler deep = new ListAssembler(100, SHARES, POPULAR);
    List<Item> items = deep.assemble("LIGHT", REP, List.of(c("x", 9), c("y", 0.001)), Set.of("a", "b", "c"));
    for (int i = 1; i < items.size(); i++) {
      assertTrue(items.get(i).score() < items.get(i - 1).score(), items.toString());
    }
    assertEquals(1.0, items.get(0).score());
    assertEquals(0.01, ListAssembler.rankScore(100, 100), "the last of 100");
  }

  @Test
  void theSourceScoreLeadsTheReason() {
    assertEquals("{\"source_score\":0.5}", ListAssembler.withSourceScore(null, 0.5));
    assertEquals("{\"source_score\":0.5}", ListAssembler.withSourceScore(" { } ", 0.5));
    assertEquals("{\"source_score\":0.5,\"times_bought\":3}", ListAssembler.withSourceScore("{\"times_bought\":3}", 0.5));
    assertThrows(IllegalArgumentException.class, () -> ListAssembler.withSourceScore("[1]", 0.5));
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

package com.shoprec.jobs.model.lists;

import com.shoprec.common.PayloadWriter;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one customer's list from ranked candidates: the segment's discovery share of the slots goes to
 * discovery, the rest to repurchase; when one side runs short the other fills, then popular products the
 * customer has not bought. Order: repurchase, discovery, popular, each by its own score.
 *
 * <p>An item's {@code score} is its place in the list, (list size − rank + 1) / list size: 1 for the first,
 * strictly decreasing, so that a client sorting by score keeps the list's order. The sources' scores are not
 * comparable with each other (each is scaled so its best candidate scores 1; popularity has its own scale); the
 * item's own one stays in its reason as {@code source_score}.
 */
public final class ListAssembler implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A ranked candidate: product, score (higher is better) and a JSON reason. */
  public record Candidate(String productId, double score, String reason) implements Serializable {}

  private final int listSize;
  private final Map<String, Double> discoveryShare;
  private final List<Candidate> popular;

  /** {@code popular}: the overall popular list, best first. */
  public ListAssembler(int listSize, Map<String, Double> discoveryShare, List<Candidate> popular) {
    this.listSize = listSize;
    this.discoveryShare = Map.copyOf(discoveryShare);
    this.popular = List.copyOf(popular);
  }

  /** Discovery slots of a full list for this segment. */
  public int discoverySlots(String segment) {
    return (int) Math.round(listSize * discoveryShare.getOrDefault(segment, 0.0));
  }

  /**
   * @param repurchase the customer's repurchase candidates, best first
   * @param discovery the customer's discovery candidates, best first, none of them bought before
   * @param bought every product the customer has bought (popular fill skips them)
   */
  public List<PayloadWriter.Item> assemble(String segment, List<Candidate> repurchase, List<Candidate> discovery,
      Set<String> bought) {
    int discoveryWanted = discoverySlots(segment);
    int takeDiscovery = Math.min(discoveryWanted, discovery.size());
    int takeRepurchase = Math.min(listSize - takeDiscovery, repurchase.size());
    takeDiscovery = Math.min(listSize - takeRepurchase, discovery.size());

    List<PayloadWriter.Item> items = new ArrayList<>(listSize);
    Set<String> chosen = new HashSet<>();
    addScaled(items, chosen, repurchase.subList(0, takeRepurchase), PayloadWriter.SOURCE_REPURCHASE, null);
    addScaled(items, chosen, discovery.subList(0, takeDiscovery), PayloadWriter.SOURCE_DISCOVERY, bought);
    for (int i = 0; i < popular.size() && items.size() < listSize; i++) {
      Candidate c = popular.get(i);
      if (!bought.contains(c.productId()) && chosen.add(c.productId())) {
        items.add(new PayloadWriter.Item(c.productId(), round(c.score()), items.size() + 1,
            PayloadWriter.SOURCE_POPULAR, "{\"popular_rank\":" + (i + 1) + "}"));
      }
    }
    List<PayloadWriter.Item> ranked = new ArrayList<>(items.size());
    for (PayloadWriter.Item i : items) {
      ranked.add(new PayloadWriter.Item(i.id(), rankScore(i.rank(), listSize), i.rank(), i.source(),
          withSourceScore(i.reasonJson(), i.score())));
    }
    return ranked;
  }

  /** The score of rank {@code rank} of a list of {@code listSize}: 1 for the first, 1 / listSize for the last. */
  static double rankScore(int rank, int listSize) {
    return round((listSize - rank + 1) / (double) listSize);
  }

  /** {@code reason} (a JSON object, or null) with {@code source_score} as its first field. */
  static String withSourceScore(String reason, double score) {
    String field = "\"source_score\":" + score;
    if (reason == null || reason.isBlank()) {
      return "{" + field + "}";
    }
    String r = reason.strip();
    if (r.length() < 2 || r.charAt(0) != '{') {
      throw new IllegalArgumentException("a reason is a JSON object: " + reason);
    }
    String rest = r.substring(1).strip();
    return "{" + field + (rest.startsWith("}") ? "" : ",") + rest;
  }

  /** Scores scaled so the best candidate of the source scores 1, rounded to 4 decimals. */
  private static void addScaled(List<PayloadWriter.Item> items, Set<String> chosen, List<Candidate> candidates,
      String source, Set<String> excluded) {
    double best = candidates.isEmpty() ? 1 : candidates.get(0).score();
    for (Candidate c : candidates) {
      if ((excluded != null && excluded.contains(c.productId())) || !chosen.add(c.productId())) {
        continue;
      }
      double scaled = best > 0 ? c.score() / best : 0;
      items.add(new PayloadWriter.Item(c.productId(), round(scaled), items.size() + 1, source, c.reason()));
    }
  }

  static double round(double score) {
    return Math.round(score * 10_000) / 10_000.0;
  }
}

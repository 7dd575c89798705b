package com.shoprec.common;

import java.io.Serializable;
import java.time.Instant;
import java.util.Map;

/**
 * The document the batch stores beside a run's keys ({@link RedisKeys#runInfo}) when it switches the run live,
 * and the server reports in {@code /health} and {@code /stats}:
 * <pre>{@code
 * {"run_id":"2011_W49_1","week":"2011_W49","generated_at":"…","published_at":"…",
 *  "keys":{"weekly_recs":504,…},"customers":737,"customers_with_lists":504,
 *  "lists_by_segment":{"LIGHT":240,…},"products":2907,"recommended_products":1043,
 *  "items_by_source":{"discovery":4825,"popular":0,"repurchase":7775}}
 * }</pre>
 *
 * @param keys payload keys per kind
 */
public record RunInfo(String runId, String week, Instant generatedAt, Instant publishedAt, Map<String, Long> keys,
    Summary summary) {

  /**
   * What a run made: customers in the history, customers with a list per segment, products in the history and
   * in some list, list items per source.
   */
  public record Summary(long customers, Map<String, Long> listsBySegment, long products, long recommendedProducts,
      Map<String, Long> itemsBySource) implements Serializable {

    public long customersWithLists() {
      return listsBySegment.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** The stored JSON. Map keys are the job's own names (kinds, segments, sources), never input text. */
  public String json() {
    StringBuilder json = new StringBuilder(512);
    json.append("{\"run_id\":\"").append(RedisKeys.checkRunId(runId)).append("\",\"week\":\"").append(week)
        .append("\",\"generated_at\":\"").append(PayloadWriter.timestamp(generatedAt))
        .append("\",\"published_at\":\"").append(PayloadWriter.timestamp(publishedAt)).append("\",\"keys\":");
    object(json, keys);
    json.append(",\"customers\":").append(summary.customers())
        .append(",\"customers_with_lists\":").append(summary.customersWithLists())
        .append(",\"lists_by_segment\":");
    object(json, summary.listsBySegment());
    json.append(",\"products\":").append(summary.products())
        .append(",\"recommended_products\":").append(summary.recommendedProducts())
        .append(",\"items_by_source\":");
    object(json, summary.itemsBySource());
    return json.append('}').toString();
  }

  private static void object(StringBuilder json, Map<String, Long> counts) {
    json.append('{');
    boolean first = true;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (!e.getKey().chars().allMatch(c -> c >= 0x20 && c != '"' && c != '\\' && c < 0x7f)) {
        throw new IllegalArgumentException("not a plain name: " + e.getKey());
      }
      json.append(first ? "" : ",").append('"').append(e.getKey()).append("\":").append(e.getValue());
      first = false;
    }
    json.append('}');
  }
}

package com.shoprec.serving;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.shoprec.common.PayloadKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Products that complete a basket: the bought-together lists of the basket's products, merged.
 *
 * <p>A candidate's score is the sum of its scores in the lists it appears in, so a product bought with
 * several basket items ranks above one bought with a single item. Products already in the basket are never
 * proposed. Ties break by product id, so the answer is deterministic.
 */
final class BasketMerge {

  private static final JsonFactory JSON = new JsonFactory();
  private static final PayloadKind KIND = PayloadKind.SIMILAR_PRODUCTS;
  /** Summed scores are written rounded to 1 / SCORE_SCALE. */
  private static final double SCORE_SCALE = 1e6;

  /** One proposed product, with the basket items it was bought with. */
  record Candidate(String productId, double score, Set<String> boughtWith) {}

  private BasketMerge() {}

  /**
   * @param basket the basket's distinct product ids, in the client's order
   * @param lists the stored similar-products payload of each basket item (same order), null when absent
   * @param limit most candidates returned
   */
  static List<Candidate> merge(List<String> basket, List<byte[]> lists, int limit) {
    Set<String> inBasket = Set.copyOf(basket);
    Map<String, double[]> scores = new LinkedHashMap<>();
    Map<String, Set<String>> with = new LinkedHashMap<>();
    for (int i = 0; i < basket.size(); i++) {
      byte[] list = lists.get(i);
      if (list == null) {
        continue;
      }
      String from = basket.get(i);
      readItems(list, (id, score) -> {
        if (!inBasket.contains(id)) {
          scores.computeIfAbsent(id, k -> new double[1])[0] += score;
          with.computeIfAbsent(id, k -> new LinkedHashSet<>()).add(from);
        }
      });
    }
    List<Candidate> all = new ArrayList<>(scores.size());
    scores.forEach((id, s) -> all.add(new Candidate(id, s[0], with.get(id))));
    all.sort(Comparator.comparingDouble(Candidate::score).reversed().thenComparing(Candidate::productId));
    return all.size() > limit ? all.subList(0, limit) : all;
  }

  /**
   * {@code {"items":[basket…],"recommendations":[{"product_id":…,"score":…,"rank":1,
   * "reason":{"bought_with":[…]}}],"count":n,"run_id":…}}.
   */
  static byte[] write(String run, List<String> basket, List<Candidate> candidates) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 96 * candidates.size());
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("items");
      for (String id : basket) {
        g.writeString(id);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("recommendations");
      int rank = 0;
      for (Candidate c : candidates) {
        g.writeStartObject();
        g.writeStringField("product_id", c.productId());
        g.writeNumberField("score", round(c.score()));
        g.writeNumberField("rank", ++rank);
        g.writeObjectFieldStart("reason");
        g.writeArrayFieldStart("bought_with");
        for (String id : c.boughtWith()) {
          g.writeString(id);
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNumberField("count", candidates.size());
      g.writeStringField("run_id", run);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Sums of doubles print as 0.7000000000000001: six decimals are more than any score means. */
  static double round(double score) {
    return Math.round(score * SCORE_SCALE) / SCORE_SCALE;
  }

  private interface ItemSink {
    void accept(String id, double score);
  }

  /** Streams the id and score of each item of a stored list; a malformed list is a shape error. */
  private static void readItems(byte[] payload, ItemSink sink) {
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new PayloadRewriter.ShapeException("stored similar-products list is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (!field.equals(KIND.arrayField()) || value != JsonToken.START_ARRAY) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.START_OBJECT) {
          String id = null;
          double score = 0;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_STRING && name.equals(KIND.itemIdField())) {
              id = p.getText();
            } else if (v.isNumeric() && name.equals("score")) {
              score = p.getDoubleValue();
            } else {
              p.skipChildren();
            }
          }
          if (id != null) {
            sink.accept(id, score);
          }
        }
      }
    } catch (IOException e) {
      throw new PayloadRewriter.ShapeException("stored similar-products list is not valid JSON");
    }
  }
}

package com.shoprec.serving;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.shoprec.common.PayloadKind;
import com.shoprec.common.PayloadWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Cuts a page out of a stored payload ({@code ?offset=}, {@code ?limit=}, {@code ?exclude=}) without mapping it
 * to objects.
 *
 * <p>One streaming {@link JsonParser} pass locates, by byte offset, each item of the array named by
 * {@link PayloadKind#arrayField()} and the values of {@code count}, {@code total}, {@code has_next},
 * {@code has_previous} and (for customer lists) {@code discovery_count}. The answer is then spliced from the
 * stored bytes: excluded items are dropped, of the rest the page {@code [offset, offset + limit)} is kept, every
 * kept item copied byte for byte (scores keep their exact spelling), and the page fields are rewritten:
 * {@code count} items on this page, {@code total} after exclusion, {@code has_next}, {@code has_previous}. A
 * payload written before the page fields existed gets them after {@code count}. Everything else is copied
 * unchanged, in place. When the page is the whole stored list, the stored array itself is returned.
 */
public final class PayloadRewriter {

  private static final JsonFactory JSON = new JsonFactory();

  private PayloadRewriter() {}

  /** A payload that does not have the shape {@link PayloadWriter} writes. */
  public static final class ShapeException extends RuntimeException {
    ShapeException(String message) {
      super(message);
    }
  }

  /** A byte range {@code [start, end)} of the input to replace with {@code with}. */
  private record Splice(int start, int end, byte[] with) {}

  /** {@link #rewrite(byte[], PayloadKind, int, int, Set)} from the first item. */
  public static byte[] rewrite(byte[] payload, PayloadKind kind, int limit, Set<String> exclude) {
    return rewrite(payload, kind, 0, limit, exclude);
  }

  /**
   * @param payload the stored JSON object
   * @param kind which array to cut, and which id field {@code exclude} refers to
   * @param offset items (after exclusion) skipped before the page
   * @param limit at most this many items are kept (after exclusion and offset)
   * @param exclude ids of items to drop
   * @throws ShapeException when the payload is not a JSON object with that array of objects
   */
  public static byte[] rewrite(byte[] payload, PayloadKind kind, int offset, int limit, Set<String> exclude) {
    try (JsonParser p = JSON.createParser(payload)) {
      return rewrite(payload, p, kind, offset, limit, exclude);
    } catch (IOException e) {
      throw new ShapeException("stored payload is not valid JSON: " + e.getMessage());
    }
  }

  private static byte[] rewrite(byte[] src, JsonParser p, PayloadKind kind, int offset, int limit,
      Set<String> exclude) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new ShapeException("stored payload is not a JSON object");
    }
    boolean countDiscovery = kind == PayloadKind.CUSTOMER_RECS;
    int arrayContentStart = -1;
    int arrayContentEnd = -1;
    List<int[]> keptSpans = new ArrayList<>();
    int stored = 0;
    int total = 0;
    int keptDiscovery = 0;
    int[] countSpan = null;
    int[] totalSpan = null;
    int[] nextSpan = null;
    int[] previousSpan = null;
    int[] discoverySpan = null;
    long end = (long) offset + limit;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (field.equals(kind.arrayField()) && value == JsonToken.START_ARRAY && arrayContentStart < 0) {
        arrayContentStart = offset(p) + 1;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          if (t != JsonToken.START_OBJECT) {
            throw new ShapeException("items of \"" + kind.arrayField() + "\" must be objects");
          }
          int itemStart = offset(p);
          String id = null;
          boolean discovery = false;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_STRING && name.equals(kind.itemIdField())) {
              id = p.getText();
            } else if (v == JsonToken.VALUE_STRING && name.equals("source")) {
              discovery = PayloadWriter.SOURCE_DISCOVERY.equals(p.getText());
            } else {
              p.skipChildren();
            }
          }
          int itemEnd = offset(p) + 1;
          stored++;
          if (id != null && exclude.contains(id)) {
            continue;
          }
          if (total >= offset && total < end) {
            keptSpans.add(new int[] {itemStart, itemEnd});
            if (discovery) {
              keptDiscovery++;
            }
          }
          total++;
        }
        arrayContentEnd = offset(p);
      } else if (field.equals("count") && value == JsonToken.VALUE_NUMBER_INT) {
        countSpan = span(p);
      } else if (field.equals("total") && value == JsonToken.VALUE_NUMBER_INT) {
        totalSpan = span(p);
      } else if (field.equals("has_next") && value.isBoolean()) {
        nextSpan = span(p);
      } else if (field.equals("has_previous") && value.isBoolean()) {
        previousSpan = span(p);
      } else if (countDiscovery && field.equals("discovery_count") && value == JsonToken.VALUE_NUMBER_INT) {
        discoverySpan = span(p);
      } else {
        p.skipChildren();
      }
    }
    if (t != JsonToken.END_OBJECT) {
      throw new ShapeException("stored payload is not a JSON object");
    }
    if (arrayContentStart < 0) {
      throw new ShapeException("stored payload has no \"" + kind.arrayField() + "\" array");
    }
    int kept = keptSpans.size();
    if (kept == stored && totalSpan != null && nextSpan != null && previousSpan != null) {
      return src; // the whole stored list, which says so itself
    }
    boolean hasNext = offset + kept < total;
    boolean hasPrevious = offset > 0 && total > 0;

    ByteArrayOutputStream items = new ByteArrayOutputStream(src.length);
    for (int i = 0; i < keptSpans.size(); i++) {
      if (i > 0) {
        items.write(',');
      }
      int[] span = keptSpans.get(i);
      items.write(src, span[0], span[1] - span[0]);
    }
    List<Splice> splices = new ArrayList<>(6);
    splices.add(new Splice(arrayContentStart, arrayContentEnd, items.toByteArray()));
    if (countSpan != null) {
      splices.add(new Splice(countSpan[0], countSpan[1], ascii(Integer.toString(kept))));
    }
    // Each page field is rewritten where it stands; one a payload lacks (an older job's) is added after count,
    // or after the array when there is no count.
    StringBuilder missing = new StringBuilder();
    pageField(splices, missing, "total", totalSpan, Integer.toString(total));
    pageField(splices, missing, "has_next", nextSpan, Boolean.toString(hasNext));
    pageField(splices, missing, "has_previous", previousSpan, Boolean.toString(hasPrevious));
    if (!missing.isEmpty()) {
      int at = countSpan != null ? countSpan[1] : arrayContentEnd + 1;
      splices.add(new Splice(at, at, ascii(missing.toString())));
    }
    if (discoverySpan != null) {
      splices.add(new Splice(discoverySpan[0], discoverySpan[1], ascii(Integer.toString(keptDiscovery))));
    }
    splices.sort(Comparator.comparingInt(Splice::start));
    ByteArrayOutputStream out = new ByteArrayOutputStream(src.length + 64);
    int at = 0;
    for (Splice s : splices) {
      out.write(src, at, s.start - at);
      out.write(s.with, 0, s.with.length);
      at = s.end;
    }
    out.write(src, at, src.length - at);
    return out.toByteArray();
  }

  /** Replaces the value at {@code span} with {@code value}, or, without a span, appends the field to {@code missing}. */
  private static void pageField(List<Splice> splices, StringBuilder missing, String field, int[] span, String value) {
    if (span != null) {
      splices.add(new Splice(span[0], span[1], ascii(value)));
    } else {
      missing.append(",\"").append(field).append("\":").append(value);
    }
  }

  /** Byte offset where the current token starts. */
  private static int offset(JsonParser p) {
    return (int) p.currentTokenLocation().getByteOffset();
  }

  /** Byte range of the current number or boolean token (its text is ASCII, so characters = bytes). */
  private static int[] span(JsonParser p) throws IOException {
    int start = offset(p);
    return new int[] {start, start + p.getTextLength()};
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}

package com.shoprec.common;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * Writes the pre-serialized UTF-8 JSON payloads the batch stores in Redis and the server sends unchanged.
 *
 * <p>Not thread-safe: one instance per partition (or per thread) reuses its buffer. The customer payload
 * keeps the shape existing clients read:
 * <pre>{@code
 * {"customer_id":"410169","week":"2025_W45","segment":"LIGHT",
 *  "recommendations":[{"product_id":"25432060","score":0.8,"rank":1,"source":"repurchase",
 *                      "reason":{"times_bought":12,"last_bought":"2025-10-30"}}],
 *  "count":25,"total":25,"has_next":false,"has_previous":false,"discovery_count":15,
 *  "generated_at":"2025-11-09T06:00:00Z"}
 * }</pre>
 *
 * <p>Every list states the page it is: {@code count} items here, {@code total} in the whole list, and whether
 * items come after ({@code has_next}) or before ({@code has_previous}) them. Stored, a list is its own first and
 * only page; the server rewrites these fields when it cuts a page out of it ({@code offset}, {@code limit}).
 */
public final class PayloadWriter {

  /** {@code source} of items the customer has bought before. */
  public static final String SOURCE_REPURCHASE = "repurchase";
  /** {@code source} of items new to the customer, from neighbours, ALS or co-occurrence. */
  public static final String SOURCE_DISCOVERY = "discovery";
  /** {@code source} of items filled in from popularity. */
  public static final String SOURCE_POPULAR = "popular";

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] FALLBACK_MARK = ",\"fallback\":true,".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CUSTOMER_ID_OPEN = "{\"customer_id\":".getBytes(StandardCharsets.UTF_8);

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(2048);

  /**
   * One entry of a list.
   *
   * @param id the product id, or the customer id in audience and neighbour lists
   * @param score higher is better; written as given
   * @param rank 1-based position
   * @param source {@code repurchase}, {@code discovery} or {@code popular}; null to omit
   * @param reasonJson a JSON object saying why, written verbatim; null to omit
   */
  public record Item(String id, double score, int rank, String source, String reasonJson)
      implements Serializable {
    public Item {
      Objects.requireNonNull(id, "id");
    }
  }

  /** One of a customer's top categories: distinct products bought in it and orders of them. */
  public record CategoryShare(String category, int products, int orders) implements Serializable {}

  /**
   * Who a customer is, as of the run.
   *
   * @param segment null for a customer the segments do not cover
   * @param averageBasketValue quantity × price per order with a price, rounded to cents; null without prices
   * @param topCategories best first; empty without a catalog
   * @param hasList whether the run made the customer a personal list (else the fallback answers)
   */
  public record Profile(String customerId, String segment, int orders, int products, Instant firstOrderAt,
      Instant lastOrderAt, int daysSinceLastOrder, Double averageBasketValue, List<CategoryShare> topCategories,
      boolean hasList) implements Serializable {}

  /**
   * A customer's profile: {@code {"customer_id":…,"week":…,"segment":…,"orders":n,"distinct_products":n,
   * "first_order_at":…,"last_order_at":…,"days_since_last_order":n,"average_basket_value":x,
   * "top_categories":[{"category":…,"products":n,"orders":n,"rank":1}],"has_personal_list":true,
   * "list_generated_at":…,"generated_at":…}}}; {@code list_generated_at} is null without a personal list.
   */
  public byte[] customerProfile(Profile p, String week, Instant generatedAt) {
    return write(g -> {
      g.writeStringField("customer_id", p.customerId());
      g.writeStringField("week", week);
      if (p.segment() == null) {
        g.writeNullField("segment");
      } else {
        g.writeStringField("segment", p.segment());
      }
      g.writeNumberField("orders", p.orders());
      g.writeNumberField("distinct_products", p.products());
      g.writeStringField("first_order_at", timestamp(p.firstOrderAt()));
      g.writeStringField("last_order_at", timestamp(p.lastOrderAt()));
      g.writeNumberField("days_since_last_order", p.daysSinceLastOrder());
      if (p.averageBasketValue() == null) {
        g.writeNullField("average_basket_value");
      } else {
        g.writeNumberField("average_basket_value", p.averageBasketValue());
      }
      g.writeArrayFieldStart(PayloadKind.CUSTOMER_PROFILE.arrayField());
      int rank = 1;
      for (CategoryShare c : p.topCategories()) {
        g.writeStartObject();
        g.writeStringField(PayloadKind.CUSTOMER_PROFILE.itemIdField(), c.category());
        g.writeNumberField("products", c.products());
        g.writeNumberField("orders", c.orders());
        g.writeNumberField("rank", rank++);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeBooleanField("has_personal_list", p.hasList());
      if (p.hasList()) {
        g.writeStringField("list_generated_at", timestamp(generatedAt));
      } else {
        g.writeNullField("list_generated_at");
      }
      g.writeStringField("generated_at", timestamp(generatedAt));
    });
  }

  /** A customer's weekly list. {@code discovery_count} counts items whose source is discovery. */
  public byte[] customerList(
      String customerId, String week, String segment, List<Item> items, Instant generatedAt) {
    return write(g -> {
      g.writeStringField("customer_id", customerId);
      writeCustomerBody(g, week, segment, items, generatedAt);
    });
  }

  /**
   * The popular list in the customer shape, without a customer id: the server answers an unknown
   * customer with {@link #fallbackFor(String, byte[])} of these bytes.
   */
  public byte[] fallbackBody(String week, List<Item> items, Instant generatedAt) {
    return write(g -> writeCustomerBody(g, week, null, items, generatedAt));
  }

  /** Any other list: {@code {"<subject>":"id","week":…,"<array>":[…],"count":n,"generated_at":…}}. */
  public byte[] list(PayloadKind kind, String subject, String week, List<Item> items, Instant generatedAt) {
    if (kind == PayloadKind.CUSTOMER_RECS || kind == PayloadKind.CUSTOMER_PROFILE) {
      throw new IllegalArgumentException(kind + " has its own shape: use customerList or customerProfile");
    }
    return write(g -> {
      g.writeStringField(kind.subjectField(), subject);
      g.writeStringField("week", week);
      writeItems(g, kind.arrayField(), kind.itemIdField(), items);
      writePage(g, items.size());
      g.writeStringField("generated_at", timestamp(generatedAt));
    });
  }

  /**
   * The answer to a customer without a list: {@code {"customer_id":"<id>","fallback":true,} followed by the
   * stored fallback body after its opening brace. The stored bytes are copied, never parsed.
   */
  public static byte[] fallbackFor(String customerId, byte[] fallbackBody) {
    if (fallbackBody.length < 2 || fallbackBody[0] != '{') {
      throw new IllegalArgumentException("fallback body is not a JSON object");
    }
    byte[] quoted = JsonStringEncoder.getInstance().quoteAsUTF8(customerId);
    int length = CUSTOMER_ID_OPEN.length + quoted.length + 2 + FALLBACK_MARK.length + fallbackBody.length - 1;
    byte[] out = new byte[length];
    int at = 0;
    System.arraycopy(CUSTOMER_ID_OPEN, 0, out, at, CUSTOMER_ID_OPEN.length);
    at += CUSTOMER_ID_OPEN.length;
    out[at++] = '"';
    System.arraycopy(quoted, 0, out, at, quoted.length);
    at += quoted.length;
    out[at++] = '"';
    System.arraycopy(FALLBACK_MARK, 0, out, at, FALLBACK_MARK.length);
    at += FALLBACK_MARK.length;
    System.arraycopy(fallbackBody, 1, out, at, fallbackBody.length - 1);
    return out;
  }

  /** {@code 2025-11-09T06:00:00Z}: UTC, whole seconds. */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static void writeCustomerBody(
      JsonGenerator g, String week, String segment, List<Item> items, Instant generatedAt)
      throws IOException {
    g.writeStringField("week", week);
    if (segment == null) {
      g.writeNullField("segment");
    } else {
      g.writeStringField("segment", segment);
    }
    PayloadKind kind = PayloadKind.CUSTOMER_RECS;
    writeItems(g, kind.arrayField(), kind.itemIdField(), items);
    writePage(g, items.size());
    int discovery = 0;
    for (Item item : items) {
      if (SOURCE_DISCOVERY.equals(item.source())) {
        discovery++;
      }
    }
    g.writeNumberField("discovery_count", discovery);
    g.writeStringField("generated_at", timestamp(generatedAt));
  }

  /** The whole list as one page: {@code "count":n,"total":n,"has_next":false,"has_previous":false}. */
  private static void writePage(JsonGenerator g, int n) throws IOException {
    g.writeNumberField("count", n);
    g.writeNumberField("total", n);
    g.writeBooleanField("has_next", false);
    g.writeBooleanField("has_previous", false);
  }

  private static void writeItems(JsonGenerator g, String arrayField, String idField, List<Item> items)
      throws IOException {
    g.writeArrayFieldStart(arrayField);
    for (Item item : items) {
      g.writeStartObject();
      g.writeStringField(idField, item.id());
      g.writeNumberField("score", item.score());
      g.writeNumberField("rank", item.rank());
      if (item.source() != null) {
        g.writeStringField("source", item.source());
      }
      if (item.reasonJson() != null) {
        g.writeFieldName("reason");
        g.writeRawValue(item.reasonJson());
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private byte[] write(Body body) {
    buffer.reset();
    try (JsonGenerator g = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing a payload to memory failed", e);
    }
    return buffer.toByteArray();
  }
}

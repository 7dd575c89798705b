package com.shoprec.common;

/**
 * The kinds of pre-serialized list the batch writes, with the JSON field names of each.
 *
 * <p>Every list payload has the same shape: a subject field, the week, one array of items, {@code count} and
 * {@code generated_at}; the customer profile is the one kind that is not a list. Items carry an id field, {@code score}, {@code rank} and optionally {@code source}
 * and a machine-readable {@code reason} object. The server relies on {@link #arrayField()} and
 * {@link #itemIdField()} to apply {@code ?limit=} and {@code ?exclude=} without mapping payloads to objects.
 */
public enum PayloadKind {
  /** A customer's weekly list: the shape existing clients already read. */
  CUSTOMER_RECS("weekly_recs", "customer_id", "recommendations", "product_id"),
  /** Products bought together with a product. */
  SIMILAR_PRODUCTS("similar_products", "product_id", "similar", "product_id"),
  /** Customers most likely to buy a product next. */
  PRODUCT_AUDIENCE("product_audience", "product_id", "audience", "customer_id"),
  /** A customer's Jaccard neighbours. */
  SIMILAR_CUSTOMERS("similar_customers", "customer_id", "similar", "customer_id"),
  /** Popular products, overall ({@code all}), per category or per segment. */
  POPULAR("popular", "scope", "products", "product_id"),
  /**
   * Who a customer is ({@link PayloadWriter#customerProfile}): not a ranked list, its one array being the
   * customer's top categories. Served whole, never paged.
   */
  CUSTOMER_PROFILE("customer_profile", "customer_id", "top_categories", "category");

  private final String keyPrefix;
  private final String subjectField;
  private final String arrayField;
  private final String itemIdField;

  PayloadKind(String keyPrefix, String subjectField, String arrayField, String itemIdField) {
    this.keyPrefix = keyPrefix;
    this.subjectField = subjectField;
    this.arrayField = arrayField;
    this.itemIdField = itemIdField;
  }

  public String keyPrefix() {
    return keyPrefix;
  }

  public String subjectField() {
    return subjectField;
  }

  public String arrayField() {
    return arrayField;
  }

  public String itemIdField() {
    return itemIdField;
  }
}

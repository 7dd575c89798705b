package com.shoprec.common;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The Redis key layout, the one place where the batch job and the server agree on names.
 *
 * <p>Every payload key is scoped by run ({@code weekly_recs:{run}:{customer_id}}), so a run's keys never
 * change once written. A single pointer key names the live run; the job switches it only after every key
 * of the run is written and counted, and the server reads it (and caches it briefly) to build the keys it
 * looks up. A list of published runs, newest first, makes rollback a pointer switch.
 *
 * <p>An optional namespace (e.g. {@code "shop-eu:"}) prefixes every key so that several shops can share
 * one Redis; both sides must be configured with the same one.
 */
public final class RedisKeys {

  /** What a run may be called: it becomes part of every key, so no separators or spaces. */
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final String namespace;

  public RedisKeys(String namespace) {
    this.namespace = Objects.requireNonNull(namespace, "namespace");
  }

  public static RedisKeys withoutNamespace() {
    return new RedisKeys("");
  }

  public String namespace() {
    return namespace;
  }

  /** The pointer: its value is the id of the run the server answers from. */
  public String liveRunPointer() {
    return namespace + "shoprec:live_run";
  }

  /** Published runs, newest first (LPUSH on every switch); the second entry is where a rollback goes. */
  public String publishedRuns() {
    return namespace + "shoprec:published_runs";
  }

  /** A small JSON document describing a run: week, generated_at, key counts per kind. */
  public String runInfo(String runId) {
    return namespace + "shoprec:run:" + checkRunId(runId);
  }

  /** The key of one payload, e.g. {@code weekly_recs:2011_W49_1:12347}. */
  public String payload(PayloadKind kind, String runId, String subject) {
    return namespace + kind.keyPrefix() + ':' + checkRunId(runId) + ':' + subject;
  }

  /** Popular products over all customers. */
  public String popularAll(String runId) {
    return payload(PayloadKind.POPULAR, runId, PopularScope.all());
  }

  /** The popular list served, marked as a fallback, to customers without a list of their own. */
  public String fallback(String runId) {
    return namespace + "weekly_recs_fallback:" + checkRunId(runId);
  }

  /** A glob that matches every key of a run, for retention and for counting. */
  public String runPattern(PayloadKind kind, String runId) {
    return namespace + kind.keyPrefix() + ':' + checkRunId(runId) + ":*";
  }

  public static boolean isValidRunId(String runId) {
    return runId != null && RUN_ID.matcher(runId).matches();
  }

  public static String checkRunId(String runId) {
    if (!isValidRunId(runId)) {
      throw new IllegalArgumentException("run id must match " + RUN_ID.pattern() + ": " + runId);
    }
    return runId;
  }

  /** Subjects of {@link PayloadKind#POPULAR} keys. */
  public static final class PopularScope {
    private PopularScope() {}

    public static String all() {
      return "all";
    }

    public static String category(String category) {
      return "category:" + category;
    }

    public static String segment(String segment) {
      return "segment:" + segment;
    }

    /** Customers with {@code value} of attribute {@code name} ({@code gender}, {@code age_band}, {@code region}). */
    public static String attribute(String name, String value) {
      return name + ":" + value;
    }
  }
}

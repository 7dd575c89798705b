package com.shoprec.jobs.model;

import java.io.Serializable;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.IsoFields;

/**
 * The time frame of a run: history is everything before the start of {@code asOf} (in the input's time
 * zone); a customer is active with an order in the {@code activeDays} before it; the week id is the ISO
 * week of {@code asOf}, e.g. {@code 2011_W49}.
 */
public record RunWindow(LocalDate asOf, ZoneId zone, int activeDays) implements Serializable {

  public Timestamp asOfStart() {
    return Timestamp.from(asOf.atStartOfDay(zone).toInstant());
  }

  /** The start of the day {@code days} before as-of. */
  public Timestamp daysBefore(int days) {
    return Timestamp.from(asOf.minusDays(days).atStartOfDay(zone).toInstant());
  }

  public Timestamp activeSince() {
    return daysBefore(activeDays);
  }

  public String week() {
    return week(asOf);
  }

  static String week(LocalDate day) {
    return String.format("%d_W%02d", day.get(IsoFields.WEEK_BASED_YEAR), day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
  }
}

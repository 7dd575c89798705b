package com.shoprec.jobs.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class RunWindowTest {

  @Test
  void weekIsTheIsoWeekOfAsOf() {
    assertEquals("2011_W49", RunWindow.week(LocalDate.of(2011, 12, 10)));
    assertEquals("2025_W45", RunWindow.week(LocalDate.of(2025, 11, 9)));
    // 2021-01-03 belongs to ISO week 53 of 2020
    assertEquals("2020_W53", RunWindow.week(LocalDate.of(2021, 1, 3)));
  }

  @Test
  void activeWindowStartsAtMidnightInTheInputZone() {
    RunWindow w = new RunWindow(LocalDate.of(2011, 12, 10), ZoneId.of("UTC"), 90);
    assertEquals("2011-09-11T00:00:00Z", w.activeSince().toInstant().toString());
  }
}

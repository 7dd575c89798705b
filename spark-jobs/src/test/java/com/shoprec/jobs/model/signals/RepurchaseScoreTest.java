package com.shoprec.jobs.model.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shoprec.jobs.config.JobSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Defaults: half-life 90 days, due weight 0.5, single purchase due 0.5, overdue decay over 3 intervals. */
class RepurchaseScoreTest {

  private final RepurchaseScore.Settings s = JobSettings.of(Map.of("shoprec.job.input.path", "x")).repurchase();

  @Test
  void halfwayToTheUsualIntervalIsHalfDue() {
    assertEquals(0.5, RepurchaseScore.due(3, 10, 20.0, s), 1e-12);
    assertEquals(2.0 * (0.5 + 0.5 * 0.5), RepurchaseScore.score(2.0, 3, 10, 20.0, s), 1e-12);
  }

  @Test
  void dueNowKeepsTheWholeFrequency() {
    assertEquals(1.0, RepurchaseScore.due(3, 20, 20.0, s), 1e-12);
    assertEquals(2.0, RepurchaseScore.score(2.0, 3, 20, 20.0, s), 1e-12);
  }

  @Test
  void overdueFadesOverThreeIntervals() {
    // 80 days since, usual interval 20: ratio 4, three intervals overdue -> e^-1
    assertEquals(Math.exp(-1), RepurchaseScore.due(2, 80, 20.0, s), 1e-12);
    assertEquals(0.5 + 0.5 * Math.exp(-1), RepurchaseScore.score(1.0, 2, 80, 20.0, s), 1e-12);
  }

  @Test
  void boughtOnceHasTheFixedDue() {
    assertEquals(0.5, RepurchaseScore.due(1, 5, null, s), 1e-12);
    assertEquals(0.5, RepurchaseScore.due(2, 5, 0.0, s), 1e-12); // two orders the same moment: no interval
  }

  @Test
  void dueAgainRanksAboveJustBoughtAtEqualFrequency() {
    double justBought = RepurchaseScore.score(1.0, 4, 0, 14.0, s);
    double dueAgain = RepurchaseScore.score(1.0, 4, 14, 14.0, s);
    assertEquals(0.5, justBought, 1e-12);
    assertTrue(dueAgain > justBought);
  }
}

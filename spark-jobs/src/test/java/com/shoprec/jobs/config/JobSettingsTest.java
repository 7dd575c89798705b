package com.shoprec.jobs.config;

import com.shoprec.jobs.model.signals.AlsFactors;
import com.shoprec.jobs.model.signals.NextNew;
import com.shoprec.jobs.model.signals.Ease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JobSettingsTest {

  @Test
  void defaultsFromTheDesign() {
    JobSettings s = JobSettings.of(Map.of("shoprec.job.input.path", "orders.csv"));
    assertEquals(25, s.listSize());
    assertEquals(90, s.activeDays());
    assertEquals(500, s.segments().heavyMinOrders());
    assertEquals(100, s.segments().lightMaxOrders());
    assertEquals(0.35, s.segments().discoveryShare().get("LIGHT"));
    assertEquals(0.0, s.segments().discoveryShare().get("HEAVY"));
    assertEquals(new Ease.Settings(3000, 100, 30, 100), s.ease());
    assertEquals(0.4, s.discovery().easeWeight());
    assertEquals(new NextNew.Settings(3000, 1000, 30, 100), s.nextNew());
    assertEquals(0.3, s.discovery().nextNewWeight());
    assertEquals(8, s.redis().ttlDays());
    assertEquals("customer_id", s.input().columns().customerId());
  }

  @Test
  void badValuesNameTheirKey() {
    SettingsException e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.segments.discovery-share.LIGHT", "1.5")));
    assertTrue(e.getMessage().contains("shoprec.job.segments.discovery-share.LIGHT"), e.getMessage());

    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.input.format", "parquet")));
    assertTrue(e.getMessage().contains("shoprec.job.input.format"), e.getMessage());

    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.as-of", "10/12/2011")));
    assertTrue(e.getMessage().contains("--as-of"), e.getMessage());

    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.active-days", "often")));
    assertTrue(e.getMessage().contains("active-days"), e.getMessage());

    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of()));
    assertTrue(e.getMessage().contains("--input"), e.getMessage());

    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.ease.max-products", "50000")));
    assertEquals("shoprec.job.ease.max-products must be between 2 and 20000, got 50000", e.getMessage());
    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.ease.lambda", "0")));
    assertTrue(e.getMessage().contains("shoprec.job.ease.lambda must be positive"), e.getMessage());
    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.discovery.ease-weight", "-0.1")));
    assertTrue(e.getMessage().contains("shoprec.job.discovery.ease-weight"), e.getMessage());
    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.next-new.max-products", "12000")));
    assertEquals("shoprec.job.next-new.max-products must be between 2 and 10000, got 12000", e.getMessage());
    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.next-new.basket-half-life-days", "-1")));
    assertTrue(e.getMessage().contains("shoprec.job.next-new.basket-half-life-days"), e.getMessage());
    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.discovery.next-new-weight", "-0.1")));
    assertTrue(e.getMessage().contains("shoprec.job.discovery.next-new-weight"), e.getMessage());
  }

  @Test
  void alsBlocksAreSizedFromTheRatingsUnlessSet() {
    AlsFactors.Settings auto = JobSettings.of(Map.of("shoprec.job.input.path", "x")).als();
    assertEquals(AlsFactors.Settings.AUTO_BLOCKS, auto.blocks());
    assertEquals(25_000, auto.ratingsPerBlock());
    assertEquals(2, auto.blocksFor(43_447), "the bundled sample's ratings");
    assertEquals(10, auto.blocksFor(266_000), "about the shared file's: as many as the fixed default");
    assertEquals(10, auto.blocksFor(167_009), "the evaluation's last-basket training set on the shared file");
    assertEquals(4, auto.blocksFor(99_999), "the largest small input");
    assertEquals(10, auto.blocksFor(100_000));
    assertEquals(10, auto.blocksFor(7_000_000), "at most the fixed default it replaced");
    assertEquals(1, auto.blocksFor(0));
    AlsFactors.Settings two = JobSettings.of(Map.of("shoprec.job.input.path", "x", "shoprec.job.als.blocks", "2")).als();
    assertEquals(2, two.blocksFor(43_447), "a number is used as it is");
    assertEquals(2, two.blocksFor(7_000_000));
    assertEquals(4, JobSettings.of(Map.of("shoprec.job.input.path", "x", "shoprec.job.als.ratings-per-block", "2000"))
        .als().blocksFor(7_999));
    SettingsException e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.als.blocks", "many")));
    assertTrue(e.getMessage().contains("shoprec.job.als.blocks must be auto or a positive number"), e.getMessage());
    e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.path", "x", "shoprec.job.als.blocks", "0")));
    assertTrue(e.getMessage().contains("shoprec.job.als.blocks must be at least 1"), e.getMessage());
    assertEquals(100_000, JobSettings.of(Map.of("shoprec.job.input.path", "x")).linesPerShufflePartition());
  }

  @Test
  void jdbcNeedsExactlyOneOfTableAndQuery() {
    SettingsException e = assertThrows(SettingsException.class, () -> JobSettings.of(Map.of(
        "shoprec.job.input.format", "jdbc", "shoprec.job.input.jdbc.url", "jdbc:postgresql://h/db")));
    assertTrue(e.getMessage().contains("table"), e.getMessage());
  }

  @Test
  void passwordsAreMaskedInWhatIsLogged() {
    JobSettings s = JobSettings.of(Map.of("shoprec.job.input.path", "x",
        "shoprec.redis.url", "redis://app:s3cret@cache:6379/0",
        "shoprec.postgres.url", "jdbc:postgresql://db:5432/recs?user=app&password=hunter2"));
    String described = s.describe();
    assertFalse(described.contains("s3cret"), described);
    assertFalse(described.contains("hunter2"), described);
    assertTrue(described.contains("redis://app:***@cache:6379/0"), described);
  }
}

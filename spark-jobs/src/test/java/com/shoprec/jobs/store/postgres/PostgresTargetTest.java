package com.shoprec.jobs.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The password never shows in toString or messages. */
class PostgresTargetTest {

  @Test
  void masksThePassword() {
    PostgresTarget t = new PostgresTarget("jdbc:postgresql://db.example:6543/shop?sslmode=require", "shoprec", "s3cret");
    assertEquals("PostgresTarget[jdbc:postgresql://db.example:6543/shop?sslmode=require, user=shoprec, password=***]",
        t.toString());
    assertEquals("db.example:6543", t.address());
  }

  @Test
  void masksAPasswordInsideTheUrl() {
    PostgresTarget t = new PostgresTarget("jdbc:postgresql://h/db?user=u&password=s3cret&ssl=true", null, null);
    assertEquals("jdbc:postgresql://h/db?user=u&password=***&ssl=true", t.redactedUrl());
    assertFalse(t.toString().contains("s3cret"));
    assertEquals("h", t.address());
  }

  @Test
  void refusesOtherUrls() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new PostgresTarget("jdbc:mysql://h/db?password=s3cret", "u", null));
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
  }
}

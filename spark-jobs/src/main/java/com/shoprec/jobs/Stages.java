package com.shoprec.jobs;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times the job's stages, logs each start and end, and tells a listener (the job log) how long each took.
 * Stages may run on several threads at once (the models); the listener is called by one thread at a time.
 */
final class Stages {
  private static final Logger LOG = LoggerFactory.getLogger("shoprec.stage");

  private final Map<String, Long> millis = Collections.synchronizedMap(new LinkedHashMap<>());
  private BiConsumer<String, Long> listener = (stage, ms) -> { };

  synchronized void onEnd(BiConsumer<String, Long> listener) {
    this.listener = listener;
    Map<String, Long> sofar;
    synchronized (millis) {
      sofar = Map.copyOf(millis);
    }
    sofar.forEach(listener);
  }

  <T> T run(String stage, Supplier<T> body) {
    LOG.info("{}: started", stage);
    long start = System.nanoTime();
    T result = body.get();
    long ms = (System.nanoTime() - start) / 1_000_000;
    millis.put(stage, ms);
    LOG.info("{}: done in {} ms", stage, ms);
    synchronized (this) {
      listener.accept(stage, ms);
    }
    return result;
  }

  void run(String stage, Runnable body) {
    run(stage, () -> {
      body.run();
      return null;
    });
  }

  Map<String, Long> timings() {
    synchronized (millis) {
      return new LinkedHashMap<>(millis);
    }
  }
}

package com.shoprec.jobs;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;

/**
 * Runs the models that do not depend on each other at the same time on one SparkSession: a thread per
 * model, each in its own FAIR scheduler pool so that a long model does not starve the others. A model that
 * needs another calls {@link #get} on its future. With {@code parallel = false} each model runs as it is
 * submitted, one after another (submission order respects the dependencies), for comparison and debugging.
 */
final class ModelRunner implements AutoCloseable {

  private final SparkSession spark;
  private final Stages stages;
  private final ExecutorService threads;

  ModelRunner(SparkSession spark, Stages stages, boolean parallel) {
    this.spark = spark;
    this.stages = stages;
    this.threads = parallel ? Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "shoprec-model");
      t.setDaemon(true);
      return t;
    }) : null;
  }

  <T> Future<T> submit(String model, Supplier<T> body) {
    Supplier<T> inPool = () -> {
      spark.sparkContext().setLocalProperty("spark.scheduler.pool", model);
      spark.sparkContext().setJobGroup(model, "shoprec " + model, false);
      try {
        return stages.run(model, body);
      } finally {
        spark.sparkContext().setLocalProperty("spark.scheduler.pool", null);
        spark.sparkContext().clearJobGroup();
      }
    };
    if (threads == null) {
      try {
        return CompletableFuture.completedFuture(inPool.get());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return CompletableFuture.supplyAsync(inPool, threads);
  }

  /** The model's result, or its failure rethrown as it was. */
  static <T> T get(Future<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a model", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }

  @Override
  public void close() {
    if (threads != null) {
      threads.shutdownNow();
    }
  }
}

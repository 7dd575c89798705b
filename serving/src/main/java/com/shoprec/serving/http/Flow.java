package com.shoprec.serving.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.xnio.XnioIoThread;

/**
 * Continues a request when a future completes, without ever blocking the thread it runs on.
 *
 * <p>A completed future (a cache hit, the cached live run) continues at once, on the IO thread, with no
 * dispatch at all. Otherwise the exchange is marked dispatched (so Undertow keeps it open after the
 * handler returns) and continues on the exchange's own IO thread once the future completes: the thread
 * that completes it (typically the Redis reader) only queues the continuation there, so it can get on
 * with the next reply while the IO threads, one per core, build and write the responses. XNIO wakes an
 * IO thread only when it is waiting in its selector, and a busy one runs all queued continuations in its
 * next loop, so under load the hand-over costs no system call. Any failure, thrown or carried by the
 * future, ends in {@link Responses#error}.
 */
public final class Flow {

  /** A request body read by {@link Bodies#receive}, and the flow that continues with it. */
  public record WithBody(Flow flow, byte[] body) {}

  /** A step that may throw; failures become error responses. */
  public interface Step<T> {
    void accept(T value) throws Exception;
  }

  private final HttpServerExchange exchange;
  private volatile boolean inHandlerCall = true;

  public Flow(HttpServerExchange exchange) {
    this.exchange = exchange;
  }

  /** Runs {@code first} as the handler's body; call from {@code handleRequest} only. */
  public void start(Step<Flow> first) {
    try {
      first.accept(this);
    } catch (Throwable t) {
      Responses.error(exchange, t);
    } finally {
      inHandlerCall = false;
    }
  }

  public HttpServerExchange exchange() {
    return exchange;
  }

  /** Calls {@code next} with the future's value once it is there. */
  public <T> void await(CompletableFuture<T> future, Step<T> next) {
    if (future.isDone()) {
      run(future, next);
    } else if (inHandlerCall) {
      exchange.dispatch(SameThreadExecutor.INSTANCE, () -> future.whenComplete((v, e) -> resume(future, next)));
    } else {
      future.whenComplete((v, e) -> resume(future, next));
    }
  }

  /** Continues on the exchange's IO thread: at once when already there, else queued to it. */
  private <T> void resume(CompletableFuture<T> future, Step<T> next) {
    XnioIoThread io = exchange.getIoThread();
    if (Thread.currentThread() == io) {
      run(future, next);
      return;
    }
    try {
      io.execute(() -> run(future, next));
    } catch (RejectedExecutionException e) {
      // The IO thread is shutting down: answer from here rather than not at all.
      run(future, next);
    }
  }

  /** Runs {@code step} now, turning a failure into an error response (e.g. in an Undertow callback). */
  public void run(Step<Void> step) {
    try {
      step.accept(null);
    } catch (Throwable t) {
      Responses.error(exchange, t);
    }
  }

  private <T> void run(CompletableFuture<T> future, Step<T> next) {
    try {
      next.accept(future.join());
    } catch (Throwable t) {
      Responses.error(exchange, t);
    }
  }
}

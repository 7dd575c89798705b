package com.shoprec.jobs.store.redis;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.RedisInputStream;
import redis.clients.jedis.util.RedisOutputStream;
import redis.clients.jedis.util.SafeEncoder;

/**
 * {@code SET key value EX ttl} commands streamed over one logged-in connection while a second thread reads
 * and checks their replies, so that Redis always has commands waiting and the writer never stops to wait for
 * replies. Jedis's pipeline writes a chunk, then waits for all of its replies before it sends more: Redis
 * then idles while the client reads, and the client idles while Redis catches up (with 2 cores and the job's
 * 6 KB values that kept a cold writer near 30,000 keys/s against about 100,000 for {@code redis-benchmark
 * -P 16}).
 *
 * <p>The commands and replies are Jedis's own encoding and parsing ({@link Protocol#sendCommand},
 * {@link Protocol#read}); only the two directions run on two threads, which a socket allows (one reader,
 * one writer, also for TLS). At most {@code window} commands are unanswered at any time: the keys in flight
 * wait in a bounded queue, in the order Redis answers them, so an error reply names its key.
 *
 * <p>Not thread-safe: one writing thread calls {@link #set} and then {@link #finish}. The connection is not
 * usable for anything else afterwards; the caller closes it.
 */
final class SetStream implements AutoCloseable {

  private static final byte[] OK = SafeEncoder.encode("OK");
  private static final byte[] EX = SafeEncoder.encode("EX");
  /** Marks the end of the commands in the queue of keys in flight. */
  private static final byte[] END = new byte[0];
  private static final int BUFFER = 1 << 16;

  private final Socket socket;
  private final String address;
  private final RedisOutputStream out;
  private final RedisInputStream in;
  private final byte[] ttl;
  private final BlockingQueue<byte[]> inFlight;
  private final Thread reader;
  private long sent;
  /** Written by the reader thread, read by the writer after {@link Thread#join}. */
  private long ok;
  private volatile RuntimeException failure;

  /**
   * @param socket a connected socket on which the login and database selection are done and whose replies
   *     were all read
   * @param address {@code host:port} for messages
   * @param window most SETs sent and not yet answered
   */
  SetStream(Socket socket, String address, int ttlSeconds, int window) throws IOException {
    if (window <= 0) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    this.socket = socket;
    this.address = address;
    this.out = new RedisOutputStream(socket.getOutputStream(), BUFFER);
    this.in = new RedisInputStream(socket.getInputStream(), BUFFER);
    this.ttl = Protocol.toByteArray(ttlSeconds);
    this.inFlight = new ArrayBlockingQueue<>(window + 1); // + END
    this.reader = new Thread(this::readReplies, "redis-set-replies-" + address);
    reader.setDaemon(true);
    reader.start();
  }

  /** Sends one SET; blocks while {@code window} SETs wait for their replies. */
  void set(byte[] key, byte[] value) {
    checkNotFailed();
    try {
      Protocol.sendCommand(out, Protocol.Command.SET, key, value, EX, ttl);
      enqueue(key);
    } catch (JedisConnectionException e) {
      throw connectionLost(e);
    }
    sent++;
  }

  /**
   * Sends what is buffered and waits for every reply.
   *
   * @return the number of SETs Redis answered OK, which is every SET sent
   * @throws RedisWriteException naming the key of the first SET Redis refused
   * @throws RedisUnavailableException when the connection broke or Redis stopped answering
   */
  long finish() {
    try {
      enqueue(END);
      out.flush();
    } catch (IOException | JedisConnectionException e) {
      throw connectionLost(e);
    }
    try {
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisUnavailableException("interrupted while waiting for Redis at " + address, e);
    }
    checkNotFailed();
    if (ok != sent) {
      throw new RedisWriteException("Redis at " + address + " answered " + ok + " of " + sent + " SETs");
    }
    return ok;
  }

  long sent() {
    return sent;
  }

  /** Stops the reader if it still runs; the caller closes the connection. */
  @Override
  public void close() {
    if (reader.isAlive()) {
      reader.interrupt();
      try {
        socket.shutdownInput(); // a reader blocked on the socket returns
      } catch (IOException ignored) {
        // the socket is closing anyway
      }
    }
  }

  /** Queues a key in flight; when the window is full, sends what is buffered so replies can come. */
  private void enqueue(byte[] key) {
    try {
      if (inFlight.offer(key)) {
        return;
      }
      out.flush();
      while (!inFlight.offer(key, 100, TimeUnit.MILLISECONDS)) {
        checkNotFailed();
      }
    } catch (IOException e) {
      throw connectionLost(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisUnavailableException("interrupted while writing to Redis at " + address, e);
    }
  }

  private void readReplies() {
    long answered = 0;
    try {
      while (true) {
        byte[] key = inFlight.take();
        if (key == END) {
          break;
        }
        Object reply;
        try {
          reply = Protocol.read(in);
        } catch (JedisDataException e) { // an error reply: the connection is still in step
          failure = new RedisWriteException("SET " + text(key) + " failed: " + e.getMessage(), e);
          return;
        }
        if (!(reply instanceof byte[] status) || !Arrays.equals(status, OK)) {
          failure = new RedisWriteException("SET " + text(key) + " failed: unexpected reply "
              + (reply instanceof byte[] b ? text(b) : String.valueOf(reply)));
          return;
        }
        answered++;
      }
      ok = answered;
    } catch (InterruptedException e) {
      failure = new RedisUnavailableException("interrupted while reading replies from Redis at " + address, e);
    } catch (JedisConnectionException e) {
      failure = connectionLost(e);
    } catch (RuntimeException e) {
      failure = new RedisUnavailableException("reading replies from Redis at " + address + " failed: " + e, e);
    }
  }

  private void checkNotFailed() {
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
  }

  private RuntimeException connectionLost(Exception e) {
    RuntimeException f = failure;
    if (f instanceof RedisWriteException) {
      return f; // the connection went down after Redis refused a SET: the refusal is the cause
    }
    return new RedisUnavailableException("writing to Redis at " + address + " failed after " + sent
        + " keys of this partition: " + e.getMessage(), e);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}

package com.shoprec.serving.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop HTTP load generator for {@code bench/open-loop.sh}: not a test.
 *
 * <p>Requests leave on a fixed schedule, request {@code i} at {@code start + i / rate}, whatever the answers
 * before it (the sender sleeps until the next one is due, then sends all that are due): over keep-alive connections, request {@code i} on connection {@code i mod connections}, pipelined
 * when that connection still waits for earlier answers. Each answer's latency is measured from its request's
 * intended send time, not from when it was actually written, so a server (or generator) stall counts fully for
 * every request it delayed (no coordinated omission). Latencies go to an HdrHistogram; the first
 * {@code warmup} seconds are sent but not recorded.
 *
 * <p>Usage: {@code OpenLoad HOST PORT RATE SECONDS WARMUP CONNECTIONS PATHS_FILE}: PATHS_FILE holds one request
 * path per line, each request takes one at random (seeded). Prints one line: {@code RESULT rate sent answered
 * errors late p50 p90 p99 p999 max}, latencies in microseconds; {@code errors}: answers other than 200 plus
 * requests never answered; {@code late}: requests written more than 1 ms after their time (the generator
 * falling behind: then the rate is more than this machine can send, and the figures say so).
 */
public final class OpenLoad {

  private static final long MAX_LATENCY_NANOS = 60_000_000_000L;

  private OpenLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println("usage: OpenLoad HOST PORT RATE SECONDS WARMUP CONNECTIONS PATHS_FILE");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    double rate = Double.parseDouble(args[2]);
    double seconds = Double.parseDouble(args[3]);
    double warmup = Double.parseDouble(args[4]);
    int connections = Integer.parseInt(args[5]);
    List<byte[]> requests = new ArrayList<>();
    for (String path : Files.readAllLines(Path.of(args[6]))) {
      if (!path.isBlank()) {
        requests.add(("GET " + path.strip() + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
      }
    }
    System.out.println(run(host, port, rate, seconds, warmup, connections, requests));
  }

  /** One connection: its channel, what it has read, and the intended send times of the requests it awaits. */
  private static final class Connection {
    final SocketChannel channel;
    final ByteBuffer in = ByteBuffer.allocate(1 << 20);
    final ConcurrentLinkedQueue<long[]> pending = new ConcurrentLinkedQueue<>();

    Connection(SocketChannel channel) {
      this.channel = channel;
    }
  }

  /**
   * Two threads whatever the rate, so that the generator takes as little of the machine as it can: this one
   * sends (sleeping until the next request is due, then sending every request due by then), one selector thread
   * reads every connection's answers.
   */
  static String run(String host, int port, double rate, double seconds, double warmup, int n,
      List<byte[]> requests) throws Exception {
    Recorder recorder = new Recorder(MAX_LATENCY_NANOS / 1000, 3);
    AtomicLong answered = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    List<Connection> connections = new ArrayList<>();
    Selector selector = Selector.open();
    for (int c = 0; c < n; c++) {
      SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.configureBlocking(false);
      Connection conn = new Connection(ch);
      ch.register(selector, SelectionKey.OP_READ, conn);
      connections.add(conn);
    }
    Thread reader = new Thread(() -> read(selector, recorder, answered, errors), "reader");
    reader.setDaemon(true);
    reader.start();

    long total = (long) ((warmup + seconds) * rate);
    long warmupRequests = (long) (warmup * rate);
    double intervalNanos = 1e9 / rate;
    SplittableRandom random = new SplittableRandom(42);
    long start = System.nanoTime() + 10_000_000L;
    long late = 0;
    long i = 0;
    while (i < total) {
      long now = System.nanoTime();
      long due = start + (long) (i * intervalNanos);
      if (due > now) {
        LockSupport.parkNanos(due - now);
        continue;
      }
      // every request due by now, each stamped with its own intended time
      for (; i < total && (due = start + (long) (i * intervalNanos)) <= now; i++) {
        if (now - due > 1_000_000L && i >= warmupRequests) {
          late++;
        }
        Connection conn = connections.get((int) (i % n));
        // {intended time, recorded?}: only requests after the warm-up are recorded.
        conn.pending.add(new long[] {due, i >= warmupRequests ? 1 : 0});
        ByteBuffer out = ByteBuffer.wrap(requests.get(random.nextInt(requests.size())));
        while (out.hasRemaining()) {
          if (conn.channel.write(out) == 0) {
            Thread.onSpinWait();
          }
        }
      }
    }
    long measured = total - warmupRequests;
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (answered.get() < total && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    long missing = total - answered.get();
    selector.close();
    for (Connection c : connections) {
      c.channel.close();
    }
    Histogram h = recorder.getIntervalHistogram();
    return String.format(Locale.ROOT, "RESULT %.0f %d %d %d %d %d %d %d %d %d", rate, measured,
        h.getTotalCount(), errors.get() + missing, late, h.getValueAtPercentile(50), h.getValueAtPercentile(90),
        h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
  }

  /** Reads every connection's answers in order; records each one's latency from its request's intended time. */
  private static void read(Selector selector, Recorder recorder, AtomicLong answered, AtomicLong errors) {
    try {
      while (selector.isOpen()) {
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          Connection conn = (Connection) key.attachment();
          int n = conn.channel.read(conn.in);
          if (n < 0) {
            key.cancel();
            continue;
          }
          long now = System.nanoTime();
          ByteBuffer in = conn.in;
          in.flip();
          int consumed;
          while ((consumed = parse(in)) != 0) {
            long[] request = conn.pending.poll();
            if (request == null || consumed < 0) {
              errors.incrementAndGet();
            }
            if (request == null) {
              continue; // an answer nobody asked for
            }
            if (request[1] == 1) {
              recorder.recordValue(Math.min(MAX_LATENCY_NANOS, now - request[0]) / 1000);
            }
            answered.incrementAndGet();
          }
          in.compact();
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException | java.nio.channels.ClosedSelectorException e) {
      // closed at the end of the run
    }
  }

  /**
   * Consumes one complete answer from {@code in} (positioned at its start): its length if its status is 200,
   * minus its length otherwise; 0, consuming nothing, when the answer is not complete yet.
   */
  static int parse(ByteBuffer in) {
    int start = in.position();
    int limit = in.limit();
    int headerEnd = -1;
    for (int i = start; i + 3 < limit; i++) {
      if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
        headerEnd = i + 4;
        break;
      }
    }
    if (headerEnd < 0) {
      return 0;
    }
    String head = StandardCharsets.ISO_8859_1.decode(in.duplicate().position(start).limit(headerEnd)).toString();
    int status = Integer.parseInt(head.substring(9, 12));
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    if (headerEnd + length > limit) {
      return 0;
    }
    in.position(headerEnd + length);
    int size = headerEnd + length - start;
    return status == 200 ? size : -size;
  }
}

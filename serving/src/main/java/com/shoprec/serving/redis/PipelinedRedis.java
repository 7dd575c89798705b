package com.shoprec.serving.redis;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.RedisInputStream;
import redis.clients.jedis.util.RedisOutputStream;

/**
 * A non-blocking Redis client that pipelines the commands of concurrent requests over a few connections.
 *
 * <p>Why: a pooled blocking client costs a thread hand-off and two system calls per request and a thread
 * parked per request in flight; on a small machine that caps throughput well below what Redis can answer.
 * Here a caller (an Undertow IO thread) only enqueues a command and gets a future. Per connection, one
 * writer thread takes everything queued, writes it with one flush, and one reader thread reads the replies
 * in order and completes the futures. Under load, batches grow by themselves; when idle, a command is
 * written at once. Jedis supplies the wire protocol ({@link Protocol}) and its exception types: a
 * {@link JedisConnectionException} means Redis could not be reached or did not answer in time (a 503),
 * a {@link JedisDataException} is an error reply (a 500).
 *
 * <p>Failure: a broken or silent connection (no reply within the command timeout) fails every command
 * in flight on it and is closed. The next command reconnects, but for {@code reconnectMillis} after a
 * failed attempt commands fail at once instead of queueing behind a dead server. So callers see errors
 * quickly while Redis is down and recover without a restart when it returns.
 */
public final class PipelinedRedis implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PipelinedRedis.class);

  /** Commands written per flush at most, so one burst cannot hold a connection's writer for long. */
  static final int MAX_BATCH = 512;

  private final RedisEndpoint endpoint;
  private final int timeoutMillis;
  private final int connectTimeoutMillis;
  private final int reconnectMillis;
  private final int maxPending;
  private final Lane[] lanes;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final ScheduledExecutorService watchdog;
  private volatile boolean closed;

  /**
   * @param connections connections (each with a writer and a reader thread); 1 is enough for one Redis
   * @param timeoutMillis a command without reply after this long fails and its connection is reopened
   * @param connectTimeoutMillis TCP connect plus login
   * @param reconnectMillis after a failed connect, commands fail at once for this long
   * @param maxPending commands queued or in flight per connection beyond which new ones fail at once
   */
  public PipelinedRedis(RedisEndpoint endpoint, int connections, int timeoutMillis, int connectTimeoutMillis,
      int reconnectMillis, int maxPending) {
    this.endpoint = endpoint;
    this.timeoutMillis = timeoutMillis;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.reconnectMillis = reconnectMillis;
    this.maxPending = maxPending;
    this.lanes = new Lane[connections];
    for (int i = 0; i < connections; i++) {
      lanes[i] = new Lane(i);
    }
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "redis-watchdog");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(10, Math.min(100, timeoutMillis / 4));
    watchdog.scheduleWithFixedDelay(this::expireSilentConnections, period, period, TimeUnit.MILLISECONDS);
  }

  public RedisEndpoint endpoint() {
    return endpoint;
  }

  /** {@code GET key}: the value, or null when the key does not exist. */
  public CompletableFuture<byte[]> get(String key) {
    return send(new CommandArguments(Protocol.Command.GET).add(utf8(key))).thenApply(PipelinedRedis::bytes);
  }

  /** {@code MGET k1 k2 …}: one value (or null) per key, in order. */
  public CompletableFuture<List<byte[]>> mget(List<String> keys) {
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    CommandArguments args = new CommandArguments(Protocol.Command.MGET);
    for (String key : keys) {
      args.add(utf8(key));
    }
    return send(args).thenApply(reply -> {
      List<?> values = (List<?>) reply;
      List<byte[]> out = new ArrayList<>(values.size());
      for (Object v : values) {
        out.add(bytes(v));
      }
      return out;
    });
  }

  /** Any command, e.g. for tests and health checks; the reply as {@link Protocol#read} returns it. */
  public CompletableFuture<Object> send(CommandArguments args) {
    Pending p = new Pending(args);
    if (closed) {
      p.completeExceptionally(new JedisConnectionException("the Redis client is closed"));
      return p;
    }
    Lane lane = lanes.length == 1 ? lanes[0] : lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)];
    lane.submit(p);
    return p;
  }

  @Override
  public void close() {
    closed = true;
    watchdog.shutdownNow();
    for (Lane lane : lanes) {
      lane.close();
    }
  }

  private void expireSilentConnections() {
    long now = System.nanoTime();
    long limit = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    for (Lane lane : lanes) {
      Link link = lane.link;
      if (link == null) {
        continue;
      }
      Pending head = link.inflight.peek();
      if (head != null && now - head.createdNanos > limit) {
        log.warn("Redis {} did not answer within {} ms; reconnecting", endpoint, timeoutMillis);
        link.fail(new JedisConnectionException("Redis did not answer within " + timeoutMillis + " ms"));
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(Object reply) {
    if (reply == null || reply instanceof byte[]) {
      return (byte[]) reply;
    }
    throw new JedisDataException("unexpected reply type " + reply.getClass().getSimpleName());
  }

  /** A command waiting for its reply. */
  private static final class Pending extends CompletableFuture<Object> {
    final CommandArguments args;
    final long createdNanos = System.nanoTime();
    Lane lane;

    Pending(CommandArguments args) {
      this.args = args;
    }

    void succeed(Object reply) {
      lane.pending.decrementAndGet();
      complete(reply);
    }

    void fail(Throwable cause) {
      lane.pending.decrementAndGet();
      completeExceptionally(cause);
    }
  }

  /** One open connection: its streams and the commands written to it, oldest first. */
  private final class Link {
    final Socket socket;
    final RedisInputStream in;
    final RedisOutputStream out;
    final ConcurrentLinkedQueue<Pending> inflight = new ConcurrentLinkedQueue<>();
    volatile boolean dead;

    Link(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new RedisInputStream(socket.getInputStream(), 64 * 1024);
      this.out = new RedisOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** Closes the connection and fails what is in flight; safe to call from any thread, repeatedly. */
    void fail(Throwable cause) {
      dead = true;
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
      Pending p;
      while ((p = inflight.poll()) != null) {
        p.fail(cause);
      }
    }

    void readLoop() {
      while (!dead) {
        Object reply;
        try {
          reply = Protocol.read(in);
        } catch (JedisDataException e) {
          // An error reply: the stream is still in step, only this command failed.
          Pending p = inflight.poll();
          if (p != null) {
            p.fail(e);
          }
          continue;
        } catch (RuntimeException e) {
          if (!dead) {
            log.warn("Redis connection to {} lost: {}", endpoint, e.getMessage());
          }
          fail(e instanceof JedisConnectionException ? e : new JedisConnectionException(e));
          return;
        }
        Pending p = inflight.poll();
        if (p == null) {
          fail(new JedisConnectionException("a reply arrived for no command"));
          return;
        }
        p.succeed(reply);
      }
    }
  }

  /** One connection slot: its queue, its writer thread, and the current link (replaced on failure). */
  private final class Lane {
    final int index;
    final ConcurrentLinkedQueue<Pending> outbox = new ConcurrentLinkedQueue<>();
    final AtomicInteger pending = new AtomicInteger();
    final Thread writer;
    volatile Link link;
    volatile long downUntilNanos;
    volatile String lastError = "not connected yet";

    Lane(int index) {
      this.index = index;
      this.writer = new Thread(this::writeLoop, "redis-writer-" + index);
      writer.setDaemon(true);
      writer.start();
    }

    void submit(Pending p) {
      p.lane = this;
      if (pending.incrementAndGet() > maxPending) {
        p.fail(new JedisConnectionException("more than " + maxPending + " commands waiting for Redis"));
        return;
      }
      Link l = link;
      if ((l == null || l.dead) && System.nanoTime() - downUntilNanos < 0) {
        p.fail(new JedisConnectionException("Redis is unreachable: " + lastError));
        return;
      }
      outbox.add(p);
      LockSupport.unpark(writer);
    }

    void close() {
      writer.interrupt();
      LockSupport.unpark(writer);
      Link l = link;
      if (l != null) {
        l.fail(new JedisConnectionException("the Redis client is closed"));
      }
      failQueued(new JedisConnectionException("the Redis client is closed"));
    }

    private void failQueued(Throwable cause) {
      Pending p;
      while ((p = outbox.poll()) != null) {
        p.fail(cause);
      }
    }

    private void writeLoop() {
      while (!closed) {
        Pending first = outbox.poll();
        if (first == null) {
          LockSupport.park(this);
          continue;
        }
        Link l = link;
        if (l == null || l.dead) {
          l = connect();
          if (l == null) {
            JedisConnectionException e = new JedisConnectionException("Redis is unreachable: " + lastError);
            first.fail(e);
            failQueued(e);
            continue;
          }
        }
        try {
          Pending p = first;
          int n = 0;
          do {
            l.inflight.add(p);
            Protocol.sendCommand(l.out, p.args);
          } while (++n < MAX_BATCH && (p = outbox.poll()) != null);
          l.out.flush();
        } catch (IOException | RuntimeException e) {
          if (!l.dead) {
            log.warn("writing to Redis {} failed: {}", endpoint, e.getMessage());
          }
          l.fail(e instanceof JedisConnectionException ? e : new JedisConnectionException(e));
        }
        if (l.dead) {
          // The reader may have failed the link while this batch was being queued on it.
          l.fail(new JedisConnectionException("Redis connection lost"));
        }
      }
      failQueued(new JedisConnectionException("the Redis client is closed"));
    }

    /** Opens and logs in a new connection, or returns null (and starts the back-off) when that fails. */
    private Link connect() {
      Socket socket = null;
      try {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setKeepAlive(true);
        socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), connectTimeoutMillis);
        if (endpoint.tls()) {
          SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
              .createSocket(socket, endpoint.host(), endpoint.port(), true);
          SSLParameters params = ssl.getSSLParameters();
          params.setEndpointIdentificationAlgorithm("HTTPS");
          ssl.setSSLParameters(params);
          socket = ssl;
        }
        socket.setSoTimeout(connectTimeoutMillis);
        Link l = new Link(socket);
        handshake(l);
        // From here on, silence is detected by the watchdog per command, not by the socket.
        socket.setSoTimeout(0);
        link = l;
        Thread reader = new Thread(l::readLoop, "redis-reader-" + index);
        reader.setDaemon(true);
        reader.start();
        if (!"not connected yet".equals(lastError)) {
          log.info("reconnected to Redis {}", endpoint);
        }
        lastError = "";
        return l;
      } catch (IOException | RuntimeException e) {
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException ignored) {
            // already failing
          }
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (!reason.equals(lastError)) {
          log.warn("cannot connect to Redis {}: {}", endpoint, reason);
        }
        lastError = reason;
        downUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(reconnectMillis);
        return null;
      }
    }

    private void handshake(Link l) throws IOException {
      if (endpoint.password() != null) {
        CommandArguments auth = new CommandArguments(Protocol.Command.AUTH);
        if (endpoint.user() != null) {
          auth.add(endpoint.user());
        }
        auth.add(endpoint.password());
        Protocol.sendCommand(l.out, auth);
      }
      if (endpoint.database() != 0) {
        Protocol.sendCommand(l.out, new CommandArguments(Protocol.Command.SELECT).add(endpoint.database()));
      }
      Protocol.sendCommand(l.out, new CommandArguments(Protocol.Command.PING));
      l.out.flush();
      if (endpoint.password() != null) {
        Protocol.read(l.in);
      }
      if (endpoint.database() != 0) {
        Protocol.read(l.in);
      }
      Protocol.read(l.in);
    }
  }
}

package com.shoprec.serving;

import static com.shoprec.serving.http.ApiException.check;
import static com.shoprec.serving.http.ApiException.checkArgument;

import com.shoprec.common.Ids;
import com.shoprec.common.PayloadKind;
import com.shoprec.serving.http.ApiException;
import com.shoprec.serving.http.Flow;
import com.shoprec.serving.http.Responses;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.ETag;
import io.undertow.util.ETagUtils;
import io.undertow.util.Headers;
import io.undertow.util.PathTemplateMatch;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;

/**
 * What every read endpoint does: resolve the live run, build the Redis key, answer {@code 304} when the
 * client's {@code If-None-Match} already names this answer, fetch the stored bytes (cache, else one
 * {@code GET}) and send them unchanged, or the page the parameters ask for ({@link PayloadRewriter}).
 *
 * <p>Common parameters: {@code exclude} (comma-separated ids, repeatable, at most {@value #MAX_EXCLUDE}), then
 * either {@code limit} (1 to {@value #MAX_LIMIT} items) and {@code offset} (0 to {@value #MAX_OFFSET}), or
 * {@code page} (from 1) and {@code page_size} (1 to {@value #MAX_LIMIT}, default {@value #DEFAULT_PAGE_SIZE}).
 * Any other parameter is a 400 that names it. Common answers: 200 with headers {@code X-Run-Id},
 * {@code ETag} and {@code Cache-Control}, the list stating {@code count}, {@code total} (after exclusion),
 * {@code has_next} and {@code has_previous}; 304; 400 for a bad id or parameter; 404 for an unknown subject;
 * 503 when Redis is unreachable or no run is live.
 */
abstract class PayloadEndpoint implements HttpHandler {

  /** Most items a client may ask for with {@code ?limit=}. */
  static final int MAX_LIMIT = 100;
  /** Most ids {@code ?exclude=} may name. */
  static final int MAX_EXCLUDE = 100;
  /** Largest {@code ?offset=}: far past the deepest stored list, small enough to stay an int with any limit. */
  static final int MAX_OFFSET = 10_000;
  /** Items per page when {@code ?page=} comes without {@code ?page_size=}. */
  static final int DEFAULT_PAGE_SIZE = 25;
  /** The parameters every list endpoint takes. */
  static final Set<String> PAGE_PARAMETERS = Set.of("limit", "offset", "page", "page_size", "exclude");

  /**
   * The page asked for: {@code offset} items (after exclusion) skipped, then at most {@code limit};
   * {@code limit} is {@link Integer#MAX_VALUE} when not given.
   */
  record Cut(int offset, int limit, Set<String> exclude) {
    /** No cut: the stored bytes as they are. */
    static final Cut NONE = new Cut(0, Integer.MAX_VALUE, Set.of());

    boolean none() {
      return offset == 0 && limit == Integer.MAX_VALUE && exclude.isEmpty();
    }
  }

  /** The key prefix of one run ({@code weekly_recs:{run}:}), kept so a request only appends its subject. */
  private record KeyPrefix(String run, String prefix) {}

  protected final Serving serving;
  protected final PayloadKind kind;
  /** What the payload is, for the 404 message ("similar products"). */
  private final String what;
  private volatile KeyPrefix keyPrefix;

  PayloadEndpoint(Serving serving, PayloadKind kind, String what) {
    this.serving = serving;
    this.kind = kind;
    this.what = what;
  }

  /** The key subject from the request (e.g. the customer id), checked. */
  abstract String subject(HttpServerExchange exchange);

  /** The query parameters this endpoint takes; by default {@link #PAGE_PARAMETERS}. */
  Set<String> parameters() {
    return PAGE_PARAMETERS;
  }

  /** What to answer when the key does not exist; by default 404. */
  void missing(Flow flow, String run, String subject, Cut cut, String etag) {
    throw new ApiException(404, "no " + what + " for " + subject);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    new Flow(exchange).start(flow -> {
      knownParameters(exchange, parameters());
      String subject = subject(exchange);
      Cut cut = cut(exchange);
      flow.await(serving.liveRun.current(), run -> answer(flow, run, subject, cut));
    });
  }

  private void answer(Flow flow, String run, String subject, Cut cut) {
    check(run != null, 503, "no run is live yet");
    String key = key(run, subject);
    String etag = etag(run, key, cut);
    if (notModified(flow.exchange(), run, etag)) {
      return;
    }
    flow.await(serving.payload(key), bytes -> {
      if (bytes == null) {
        missing(flow, run, subject, cut, etag);
      } else {
        send(flow.exchange(), run, etag, kind, bytes, cut);
      }
    });
  }

  /** {@code serving.keys.payload(kind, run, subject)}, without checking the run id again on every request. */
  final String key(String run, String subject) {
    KeyPrefix p = keyPrefix;
    if (p == null || !p.run.equals(run)) {
      p = new KeyPrefix(run, serving.keys.payload(kind, run, ""));
      keyPrefix = p;
    }
    return p.prefix.concat(subject);
  }

  /** 200 with the payload (cut when asked) and the caching headers. */
  final void send(HttpServerExchange exchange, String run, String etag, PayloadKind shape, byte[] body, Cut cut) {
    byte[] out = cut.none() ? body : PayloadRewriter.rewrite(body, shape, cut.offset, cut.limit, cut.exclude);
    caching(exchange, run, etag);
    Responses.json(exchange, 200, out);
  }

  private void caching(HttpServerExchange exchange, String run, String etag) {
    exchange.getResponseHeaders()
        .put(Responses.RUN_ID, run)
        .put(Headers.ETAG, etag)
        .put(Headers.CACHE_CONTROL, serving.cacheControl);
  }

  /** Answers 304 and returns true when the client already holds exactly this answer. */
  private boolean notModified(HttpServerExchange exchange, String run, String etag) {
    if (!exchange.getRequestHeaders().contains(Headers.IF_NONE_MATCH)) {
      return false;
    }
    if (ETagUtils.handleIfNoneMatch(exchange, new ETag(false, etag.substring(1, etag.length() - 1)), false)) {
      return false;
    }
    caching(exchange, run, etag);
    exchange.setStatusCode(304);
    exchange.endExchange();
    return true;
  }

  /**
   * A strong validator: the run id plus a hash of the key and the cut. Keys are immutable within a run,
   * so equal tags mean equal bytes, and no Redis command is needed to answer 304.
   */
  static String etag(String run, String key, Cut cut) {
    long h = 0xcbf29ce484222325L;
    h = fnv(h, key);
    h = fnv(h, '\n');
    h = fnvDecimal(h, cut.limit);
    if (cut.offset > 0) {
      h = fnv(h, '+');
      h = fnvDecimal(h, cut.offset);
    }
    for (String id : cut.exclude) {
      h = fnv(h, '\n');
      h = fnv(h, id);
    }
    return new StringBuilder(run.length() + 19).append('"').append(run).append('-')
        .append(Long.toHexString(h)).append('"').toString();
  }

  /** FNV-1a over the UTF-8 bytes of {@code s}; ASCII (the usual case) without encoding it first. */
  private static long fnv(long h, String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return fnvBytes(h, s.substring(i).getBytes(StandardCharsets.UTF_8));
      }
      h = fnv(h, c);
    }
    return h;
  }

  private static long fnvBytes(long h, byte[] bytes) {
    for (byte b : bytes) {
      h = fnv(h, b & 0xff);
    }
    return h;
  }

  private static long fnv(long h, int asciiOrByte) {
    return (h ^ asciiOrByte) * 0x100000001b3L;
  }

  /** FNV-1a over the decimal digits of a non-negative {@code v}. */
  private static long fnvDecimal(long h, int v) {
    int div = 1;
    while (v / div >= 10) {
      div *= 10;
    }
    for (; div > 0; div /= 10) {
      h = fnv(h, '0' + (v / div) % 10);
    }
    return h;
  }

  /** The path parameter {@code name}, decoded by Undertow, checked with {@link Ids#isValid}. */
  static String pathId(HttpServerExchange exchange, String name) {
    PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
    String id = match == null ? null : match.getParameters().get(name);
    checkArgument(Ids.isValid(id), "invalid " + name + ": 1 to " + Ids.MAX_LENGTH
        + " characters, no control characters, no leading or trailing space");
    return id;
  }

  /** The single value of query parameter {@code name}, or null. */
  static String queryParam(HttpServerExchange exchange, String name) {
    Deque<String> values = exchange.getQueryParameters().get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    checkArgument(values.size() == 1, "parameter " + name + " given more than once");
    return values.getFirst();
  }

  /** A 400 naming the first query parameter not in {@code known} (in the order given). */
  static void knownParameters(HttpServerExchange exchange, Set<String> known) {
    for (String name : exchange.getQueryParameters().keySet()) {
      if (!known.contains(name)) {
        throw new ApiException(400, "unknown parameter " + printable(name) + ": this endpoint takes "
            + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))));
      }
    }
  }

  /** A name the client sent, as an error message may repeat it: itself when short and printable. */
  static String printable(String name) {
    return Ids.isValid(name) && name.length() <= 40 ? name : "(unprintable)";
  }

  static Cut cut(HttpServerExchange exchange) {
    if (exchange.getQueryParameters().isEmpty()) {
      return Cut.NONE;
    }
    String limitText = queryParam(exchange, "limit");
    String offsetText = queryParam(exchange, "offset");
    String pageText = queryParam(exchange, "page");
    String pageSizeText = queryParam(exchange, "page_size");
    int limit = Integer.MAX_VALUE;
    int offset = 0;
    if (pageText != null || pageSizeText != null) {
      checkArgument(limitText == null && offsetText == null,
          "give limit and offset, or page and page_size, not both");
      int size = pageSizeText == null ? DEFAULT_PAGE_SIZE : integer("page_size", pageSizeText, 1, MAX_LIMIT);
      int page = pageText == null ? 1 : integer("page", pageText, 1, MAX_OFFSET / size + 1);
      limit = size;
      offset = (page - 1) * size;
    } else {
      if (limitText != null) {
        limit = parseLimit(limitText);
      }
      if (offsetText != null) {
        offset = integer("offset", offsetText, 0, MAX_OFFSET);
      }
    }
    Set<String> exclude = Set.of();
    Deque<String> values = exchange.getQueryParameters().get("exclude");
    if (values != null) {
      exclude = new TreeSet<>();
      for (String value : values) {
        for (String id : value.split(",", -1)) {
          if (id.isEmpty()) {
            continue;
          }
          checkArgument(Ids.isValid(id), "invalid id in exclude");
          exclude.add(id);
          checkArgument(exclude.size() <= MAX_EXCLUDE, "exclude names more than " + MAX_EXCLUDE + " ids");
        }
      }
    }
    return new Cut(offset, limit, exclude);
  }

  /** The decimal integer {@code text} from {@code min} to {@code max}, or a 400 naming {@code name}. */
  static int integer(String name, String text, int min, int max) {
    long value = -1;
    if (!text.isEmpty() && text.length() <= 9 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      value = Long.parseLong(text);
    }
    checkArgument(value >= min && value <= max, name + " must be an integer from " + min + " to " + max);
    return (int) value;
  }

  /** An integer from 1 to {@value #MAX_LIMIT}, or a 400. */
  static int parseLimit(String text) {
    return integer("limit", text, 1, MAX_LIMIT);
  }
}

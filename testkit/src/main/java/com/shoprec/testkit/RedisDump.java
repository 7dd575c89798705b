package com.shoprec.testkit;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.Jedis;

/**
 * The Redis half of a {@link PublishedOutput} dump: every key of the store, one file {@code redis.<kind>.tsv}
 * per kind, normalized as {@link PublishedOutput} documents.
 *
 * <p>A key scoped by the run ({@code <prefix>:<run>:<subject>} or {@code <prefix>:<run>}, e.g.
 * {@code weekly_recs:2011_W49_1:12347}, {@code weekly_recs_fallback:2011_W49_1}, {@code shoprec:run:2011_W49_1})
 * is of kind {@code <prefix>} (colons made underscores: {@code weekly_recs}, {@code shoprec_run}); every
 * other key (the live-run pointer, the list of published runs, and anything written outside the run's
 * scope) is of kind {@value #GLOBAL}. A line is {@code key<TAB>type<TAB>ttl<TAB>value}, the key with the run
 * id as {@code {run}}; ttl is {@code none} or the remaining time rounded up to whole hours ({@code 192h}),
 * so a dump taken within an hour of the write sees the TTL the job set; a string value is its UTF-8 text
 * (or {@code base64:…} if it is not UTF-8), a list its elements as a JSON array of strings.
 *
 * <p>Jedis: testkit compiles against Jedis 5 and runs in spark-jobs' tests with the Jedis 3 of
 * spark-redis, so only methods with the same signature in both are called here: {@code Jedis(URI)},
 * {@code keys(String)}, {@code type(String)}, {@code mget(byte[]...)}, {@code lrange(String, long, long)},
 * {@code eval(String, List, List)}.
 */
final class RedisDump {

  static final String GLOBAL = "global";
  static final String RUN = PostgresDump.RUN;
  static final String GENERATED_AT = "{generated_at}";
  static final String PUBLISHED_AT = "{published_at}";
  private static final int BATCH = 500;
  /** TYPE and PTTL of each key in KEYS, in one round trip per batch. */
  private static final String TYPES_AND_TTLS = "local out = {} for i, k in ipairs(KEYS) do "
      + "out[2 * i - 1] = redis.call('TYPE', k)['ok']; out[2 * i] = redis.call('PTTL', k) end return out";
  private static final Pattern GENERATED = Pattern.compile("\"generated_at\":\"([^\"]*)\"");

  private RedisDump() {}

  /** The live-run pointer of the key layout ({@code RedisKeys.liveRunPointer}). */
  static String liveRunPointer(String namespace) {
    return namespace + "shoprec:live_run";
  }

  /** The run info key ({@code RedisKeys.runInfo}). */
  static String runInfo(String namespace, String runId) {
    return namespace + "shoprec:run:" + runId;
  }

  /** Writes one file per key kind of the run {@code runId}; returns the parts by name. */
  static Map<String, DumpFormat.Part> dump(Jedis jedis, String namespace, String runId, Path dir) {
    List<String> keys = new ArrayList<>(jedis.keys("*"));
    keys.sort(null);
    String generatedAt = null;
    List<byte[]> info = jedis.mget(runInfo(namespace, runId).getBytes(StandardCharsets.UTF_8));
    if (info.get(0) != null) {
      Matcher m = GENERATED.matcher(new String(info.get(0), StandardCharsets.UTF_8));
      generatedAt = m.find() ? m.group(1) : null;
    }
    Map<String, List<String>> linesByKind = new TreeMap<>();
    for (int from = 0; from < keys.size(); from += BATCH) {
      List<String> batch = keys.subList(from, Math.min(keys.size(), from + BATCH));
      List<?> typesAndTtls = (List<?>) jedis.eval(TYPES_AND_TTLS, batch, List.of());
      List<byte[]> values = jedis.mget(batch.stream().map(k -> k.getBytes(StandardCharsets.UTF_8))
          .toArray(byte[][]::new));
      for (int i = 0; i < batch.size(); i++) {
        String key = batch.get(i);
        String type = String.valueOf(typesAndTtls.get(2 * i));
        long pttl = ((Number) typesAndTtls.get(2 * i + 1)).longValue();
        String value = switch (type) {
          case "string" -> normalizeValue(text(values.get(i)), runId, generatedAt,
              key.equals(runInfo(namespace, runId)));
          case "list" -> jsonList(jedis.lrange(key, 0, -1), runId);
          case "none" -> null; // expired or deleted meanwhile
          default -> "(" + type + ": content not dumped)";
        };
        if (value == null) {
          continue;
        }
        String[] kindAndKey = kindAndKey(key, namespace, runId);
        String ttl = pttl < 0 ? "none" : ((pttl + 3_599_999) / 3_600_000) + "h";
        linesByKind.computeIfAbsent(kindAndKey[0], k -> new ArrayList<>()).add(DumpFormat.escape(kindAndKey[1])
            + '\t' + type + '\t' + ttl + '\t' + DumpFormat.escape(value));
      }
    }
    Map<String, DumpFormat.Part> parts = new TreeMap<>();
    linesByKind.forEach((kind, lines) -> {
      DumpFormat.Part part = DumpFormat.writePart(dir, "redis." + kind, "#kind\t" + kind
          + "\tkey\ttype\tttl\tvalue", lines);
      parts.put(part.name(), part);
    });
    return parts;
  }

  /** {kind, key with the run id as {run}} of a key. */
  static String[] kindAndKey(String key, String namespace, String runId) {
    String scoped = ":" + runId;
    int at = key.indexOf(scoped + ":");
    if (at < 0 && key.endsWith(scoped)) {
      at = key.length() - scoped.length();
    }
    if (at < 0 || !key.startsWith(namespace)) {
      return new String[] {GLOBAL, key};
    }
    String prefix = key.substring(namespace.length(), at);
    String kind = prefix.replaceAll("[^A-Za-z0-9_.-]", "_");
    return new String[] {kind, key.substring(0, at) + ":" + RUN + key.substring(at + scoped.length())};
  }

  /**
   * A string value with what is run-specific replaced: the value itself when it is the run id (the live-run
   * pointer); {@code "run_id":"<run>"} and the run's generation time in {@code "generated_at":"…"} and a
   * profile's {@code "list_generated_at":"…"} (the exact
   * time the run info names, so a payload stamped with another time still shows as a difference); and in
   * the run info document ({@code runInfo}) its {@code "published_at":"…"}.
   */
  static String normalizeValue(String value, String runId, String generatedAt, boolean runInfo) {
    if (value.equals(runId)) {
      return RUN;
    }
    String out = value.replace("\"run_id\":\"" + runId + "\"", "\"run_id\":\"" + RUN + "\"");
    if (generatedAt != null) {
      out = out.replace("\"generated_at\":\"" + generatedAt + "\"", "\"generated_at\":\"" + GENERATED_AT + "\"")
          .replace("\"list_generated_at\":\"" + generatedAt + "\"", "\"list_generated_at\":\"" + GENERATED_AT + "\"");
    }
    if (runInfo) {
      out = out.replaceFirst("\"published_at\":\"[^\"]*\"", "\"published_at\":\"" + PUBLISHED_AT + "\"");
    }
    return out;
  }

  private static String jsonList(List<String> elements, String runId) {
    StringBuilder out = new StringBuilder("[");
    for (String e : elements) {
      out.append(out.length() == 1 ? "" : ",").append('"')
          .append((e.equals(runId) ? RUN : e).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return out.append(']').toString();
  }

  /** The bytes as UTF-8 text, or {@code base64:…} when they are not valid UTF-8. */
  private static String text(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return "base64:" + Base64.getEncoder().encodeToString(bytes);
    }
  }
}

package com.shoprec.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares two {@link PublishedOutput} dumps part by part (each a dump directory or a digests file alone).
 * A part is identical when its files have the same SHA-256, i.e. the same bytes: no tolerance, a double
 * that moved by one ulp is a difference.
 *
 * <p>When both sides have the part's file, a differing part is described: the rows (keys) only in A, only
 * in B, and changed (same key, other values; a table's key is its primary key without run_id, or when it
 * has none every column that is neither numeric nor JSON; a Redis key is its own key), the first few of
 * each, and per differing column the largest absolute difference between the numbers of the two values
 * where the values have the same shape (the same text once every number outside a JSON string is taken
 * out: a float column, a real[] of factors, a JSON reason or payload whose ids and order did not change).
 *
 * <p>With a rerun (a second dump of A's code on the same input and settings), a part that differs between
 * A and its rerun is nondeterministic run to run, and is reported as such rather than as a difference of B.
 */
final class DumpComparison {

  /** How a part compares. */
  enum Verdict { IDENTICAL, DIFFERENT, NONDETERMINISTIC }

  /** One part: lines on each side (null when absent), verdict, and the description of a difference. */
  record PartResult(String part, Long linesA, Long linesB, Verdict verdict, boolean rerunDiffers,
      List<String> details) {}

  private static final int EXAMPLES = 3;
  private static final int EXAMPLE_CHARS = 300;
  private static final Pattern NUMBER = Pattern.compile("-?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?");
  private static final Set<String> NUMERIC = Set.of("int2", "int4", "int8", "float4", "float8", "numeric",
      "_int2", "_int4", "_int8", "_float4", "_float8", "_numeric", "json", "jsonb");

  private DumpComparison() {}

  /** Compares {@code a} with {@code b}; {@code rerunOfA} (may be null) is a second dump of A's code. */
  static List<PartResult> compare(Path a, Path b, Path rerunOfA) {
    Map<String, DumpFormat.Part> da = digests(a);
    Map<String, DumpFormat.Part> db = digests(b);
    Map<String, DumpFormat.Part> dr = rerunOfA == null ? null : digests(rerunOfA);
    Set<String> names = new TreeSet<>(da.keySet());
    names.addAll(db.keySet());
    List<PartResult> results = new ArrayList<>();
    for (String name : names) {
      DumpFormat.Part pa = da.get(name);
      DumpFormat.Part pb = db.get(name);
      boolean same = pa != null && pb != null && pa.sha256().equals(pb.sha256());
      boolean rerunDiffers = dr != null && pa != null && (dr.get(name) == null
          || !dr.get(name).sha256().equals(pa.sha256()));
      Verdict verdict = same ? Verdict.IDENTICAL : rerunDiffers ? Verdict.NONDETERMINISTIC : Verdict.DIFFERENT;
      List<String> details = new ArrayList<>();
      if (!same) {
        if (pa == null || pb == null) {
          details.add("only in " + (pa == null ? "B" : "A"));
        } else {
          Path fa = file(a, name);
          Path fb = file(b, name);
          if (fa != null && fb != null) {
            details.addAll(describe(fa, fb));
          } else {
            details.add("(digests only: no rows to show)");
          }
        }
      }
      results.add(new PartResult(name, pa == null ? null : pa.lines(), pb == null ? null : pb.lines(), verdict,
          rerunDiffers, details));
    }
    return results;
  }

  /** The report: a line per part (and its details), then the verdict line {@code IDENTICAL} or {@code DIFFERENT: …}. */
  static String report(List<PartResult> results) {
    StringBuilder out = new StringBuilder(String.format("%-34s %10s %10s  %s%n", "part", "lines A", "lines B", "result"));
    List<String> differing = new ArrayList<>();
    for (PartResult r : results) {
      String result = switch (r.verdict()) {
        case IDENTICAL -> r.rerunDiffers() ? "identical (but differs between two runs of A)" : "identical";
        case DIFFERENT -> "DIFFERENT";
        case NONDETERMINISTIC -> "DIFFERENT, and nondeterministic run to run (two runs of A differ too)";
      };
      out.append(String.format("%-34s %10s %10s  %s%n", r.part(), r.linesA() == null ? "-" : r.linesA(),
          r.linesB() == null ? "-" : r.linesB(), result));
      r.details().forEach(d -> out.append("    ").append(d).append('\n'));
      if (r.verdict() != Verdict.IDENTICAL) {
        differing.add(r.part() + (r.verdict() == Verdict.NONDETERMINISTIC ? " (nondeterministic run to run)" : ""));
      }
    }
    List<String> nondeterministic = results.stream().filter(PartResult::rerunDiffers).map(PartResult::part).toList();
    if (!nondeterministic.isEmpty()) {
      out.append("nondeterministic run to run (two runs of A differ): ").append(String.join(", ", nondeterministic))
          .append('\n');
    }
    out.append(differing.isEmpty() ? "IDENTICAL" : "DIFFERENT: " + String.join(", ", differing)).append('\n');
    return out.toString();
  }

  static boolean allIdentical(List<PartResult> results) {
    return results.stream().allMatch(r -> r.verdict() == Verdict.IDENTICAL);
  }

  /** The digests of a dump directory or of a digests file. */
  static Map<String, DumpFormat.Part> digests(Path dumpOrDigests) {
    Path file = Files.isDirectory(dumpOrDigests) ? dumpOrDigests.resolve(DumpFormat.DIGESTS) : dumpOrDigests;
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no dump at " + dumpOrDigests + " (no " + file + ")");
    }
    return DumpFormat.readDigests(file);
  }

  private static Path file(Path dump, String part) {
    Path f = Files.isDirectory(dump) ? dump.resolve(part + DumpFormat.SUFFIX) : null;
    return f != null && Files.isRegularFile(f) ? f : null;
  }

  /** What differs between two files of a part. */
  static List<String> describe(Path fa, Path fb) {
    List<String> a = lines(fa);
    List<String> b = lines(fb);
    List<String> out = new ArrayList<>();
    String headerA = a.isEmpty() ? "" : a.remove(0);
    String headerB = b.isEmpty() ? "" : b.remove(0);
    if (!headerA.equals(headerB)) {
      out.add("header differs: A " + cut(headerA) + " | B " + cut(headerB));
    }
    String[] columns = headerA.split("\t");
    boolean redis = headerA.startsWith("#kind");
    // lines of A not in B and of B not in A (both files are sorted the same way)
    List<String> onlyA = new ArrayList<>();
    List<String> onlyB = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      int c = i == a.size() ? 1 : j == b.size() ? -1 : a.get(i).compareTo(b.get(j));
      if (c == 0) {
        i++;
        j++;
      } else if (c < 0) {
        onlyA.add(a.get(i++));
      } else {
        onlyB.add(b.get(j++));
      }
    }
    List<Integer> keyColumns = keyColumns(columns, redis);
    Map<String, String> byKeyA = byKey(onlyA, keyColumns);
    Map<String, String> byKeyB = byKey(onlyB, keyColumns);
    List<String[]> changed = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    byKeyA.forEach((k, line) -> {
      String other = byKeyB.remove(k);
      if (other == null) {
        removed.add(line);
      } else {
        changed.add(new String[] {line, other});
      }
    });
    List<String> added = new ArrayList<>(byKeyB.values());
    out.add((changed.size() + removed.size() + added.size()) + " " + (redis ? "keys" : "rows") + " differ: "
        + changed.size() + " changed, " + removed.size() + " only in A, " + added.size() + " only in B"
        + (onlyA.size() + onlyB.size() > 2 * changed.size() + removed.size() + added.size()
            ? " (some keys repeat: counted once)" : ""));
    out.addAll(columnDifferences(columns, redis, changed));
    changed.stream().limit(EXAMPLES).forEach(p -> out.addAll(changedExample(columns, redis, keyColumns, p[0], p[1])));
    removed.stream().limit(EXAMPLES).forEach(l -> out.add("only in A: " + cut(l)));
    added.stream().limit(EXAMPLES).forEach(l -> out.add("only in B: " + cut(l)));
    return out;
  }

  /** Per differing column of the changed rows: how many differ, and the largest |Δ| of their numbers. */
  private static List<String> columnDifferences(String[] header, boolean redis, List<String[]> changed) {
    Map<Integer, double[]> stats = new TreeMap<>(); // column -> {rows, max |Δ|, rows of another shape}
    for (String[] pair : changed) {
      String[] fa = pair[0].split("\t", -1);
      String[] fb = pair[1].split("\t", -1);
      for (int c = 0; c < Math.min(fa.length, fb.length); c++) {
        if (fa[c].equals(fb[c])) {
          continue;
        }
        double[] s = stats.computeIfAbsent(c, k -> new double[3]);
        s[0]++;
        double delta = numericDifference(fa[c], fb[c]);
        if (Double.isNaN(delta)) {
          s[2]++;
        } else {
          s[1] = Math.max(s[1], delta);
        }
      }
    }
    List<String> out = new ArrayList<>();
    stats.forEach((c, s) -> {
      String name = redis ? List.of("key", "type", "ttl", "value").get(Math.min(c, 3))
          : c + 1 < header.length ? header[c + 1] : "column " + (c + 1);
      boolean numeric = redis ? c == 3 : NUMERIC.contains(name.split(":").length > 1 ? name.split(":")[1] : "");
      out.add(String.format("column %s: %d changed%s", name, (long) s[0], !numeric ? ""
          : s[0] > s[2] ? String.format(", max |Δ| %.3g over %d of the same shape%s", s[1], (long) (s[0] - s[2]),
              s[2] > 0 ? ", " + (long) s[2] + " of another shape (ids, order or text changed)" : "")
          : " (ids, order or text changed: no number to compare)"));
    });
    return out;
  }

  /**
   * The largest |a − b| over the numbers of two values of the same shape (their text with every number
   * outside a double-quoted string replaced by a placeholder), or NaN when the shapes differ.
   */
  static double numericDifference(String a, String b) {
    List<Double> na = new ArrayList<>();
    List<Double> nb = new ArrayList<>();
    if (!shape(a, na).equals(shape(b, nb)) || na.size() != nb.size()) {
      return Double.NaN;
    }
    double max = 0;
    for (int k = 0; k < na.size(); k++) {
      max = Math.max(max, Math.abs(na.get(k) - nb.get(k)));
    }
    return max;
  }

  private static String shape(String value, List<Double> numbers) {
    StringBuilder out = new StringBuilder();
    Matcher m = NUMBER.matcher(value);
    int i = 0;
    while (i < value.length()) {
      char c = value.charAt(i);
      if (c == '"') { // a JSON string: ids, dates, sources are shape, never numbers
        int end = i + 1;
        while (end < value.length() && value.charAt(end) != '"') {
          end += value.charAt(end) == '\\' ? 2 : 1;
        }
        end = Math.min(end + 1, value.length());
        out.append(value, i, end);
        i = end;
      } else if (m.region(i, value.length()).lookingAt()) {
        numbers.add(Double.parseDouble(m.group()));
        out.append('#');
        i = m.end();
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** A changed row: its key, then each differing column around its first differing character. */
  private static List<String> changedExample(String[] header, boolean redis, List<Integer> keyColumns, String a,
      String b) {
    String[] fa = a.split("\t", -1);
    String[] fb = b.split("\t", -1);
    List<String> key = new ArrayList<>();
    keyColumns.forEach(c -> key.add(c < fa.length ? fa[c] : ""));
    List<String> out = new ArrayList<>();
    out.add("changed " + String.join(" ", key) + ":");
    for (int c = 0; c < Math.max(fa.length, fb.length); c++) {
      String va = c < fa.length ? fa[c] : "";
      String vb = c < fb.length ? fb[c] : "";
      if (va.equals(vb)) {
        continue;
      }
      int at = 0;
      while (at < Math.min(va.length(), vb.length()) && va.charAt(at) == vb.charAt(at)) {
        at++;
      }
      String name = redis ? List.of("key", "type", "ttl", "value").get(Math.min(c, 3))
          : c + 1 < header.length ? header[c + 1].split(":")[0] : "column " + (c + 1);
      out.add("    " + name + " A: " + window(va, at));
      out.add("    " + name + " B: " + window(vb, at));
    }
    return out;
  }

  /** Up to 60 characters before {@code at} and 120 from it, marked with … where cut. */
  private static String window(String value, int at) {
    int from = Math.max(0, at - 60);
    int to = Math.min(value.length(), at + 120);
    return (from > 0 ? "…" : "") + value.substring(from, to) + (to < value.length() ? "…" : "");
  }

  private static List<Integer> keyColumns(String[] header, boolean redis) {
    List<Integer> keys = new ArrayList<>();
    if (redis) {
      keys.add(0);
      return keys;
    }
    for (int c = 1; c < header.length; c++) {
      if (header[c].endsWith(":key")) {
        keys.add(c - 1);
      }
    }
    if (keys.isEmpty()) { // no primary key: every column that is not a number or JSON
      for (int c = 1; c < header.length; c++) {
        String[] f = header[c].split(":");
        if (f.length < 2 || !NUMERIC.contains(f[1])) {
          keys.add(c - 1);
        }
      }
    }
    return keys;
  }

  private static Map<String, String> byKey(List<String> lines, List<Integer> keyColumns) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : lines) {
      String[] f = line.split("\t", -1);
      StringBuilder key = new StringBuilder();
      for (int c : keyColumns) {
        key.append(c < f.length ? f[c] : "").append('\t');
      }
      out.putIfAbsent(key.toString(), line);
    }
    return out;
  }

  private static List<String> lines(Path file) {
    try {
      return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static String cut(String line) {
    return line.length() <= EXAMPLE_CHARS ? line : line.substring(0, EXAMPLE_CHARS) + "…";
  }
}

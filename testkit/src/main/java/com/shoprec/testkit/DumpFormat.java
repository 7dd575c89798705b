package com.shoprec.testkit;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files of a {@link PublishedOutput} dump. A dump is a directory with one UTF-8 text file per part (a
 * Postgres table {@code pg.<table>.tsv}, a Redis key kind {@code redis.<kind>.tsv}) and {@value #DIGESTS}.
 *
 * <p>A part file is one header line starting with {@code #}, then one line per row or key, sorted (by
 * {@link String#compareTo}), fields separated by tabs, each field {@link #escape escaped} so that a line is
 * one row. {@value #DIGESTS} lists each part as {@code name<TAB>lines<TAB>sha256 of the part file's bytes};
 * lines starting with {@code #} are comments (a reference digest file keeps there the commit, input and
 * settings it was recorded with). A digests file alone is enough to compare against.
 */
final class DumpFormat {

  static final String DIGESTS = "digests.txt";
  static final String SUFFIX = ".tsv";
  /** How a SQL NULL is written (as in COPY's text format). */
  static final String NULL = "\\N";

  private DumpFormat() {}

  /** A part of a dump: its name (the file name without {@link #SUFFIX}), line count and SHA-256. */
  record Part(String name, long lines, String sha256) {}

  /** {@code \\}, tab, newline and carriage return as backslash escapes; null as {@link #NULL}. */
  static String escape(String value) {
    if (value == null) {
      return NULL;
    }
    StringBuilder out = null;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      String e = switch (c) {
        case '\\' -> "\\\\";
        case '\t' -> "\\t";
        case '\n' -> "\\n";
        case '\r' -> "\\r";
        default -> null;
      };
      if (e != null && out == null) {
        out = new StringBuilder(value.length() + 16).append(value, 0, i);
      }
      if (out != null) {
        if (e != null) {
          out.append(e);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? value : out.toString();
  }

  /** Sorts {@code lines}, writes {@code header} and them to {@code dir/name.tsv}, and returns the part. */
  static Part writePart(Path dir, String name, String header, List<String> lines) {
    List<String> sorted = new ArrayList<>(lines);
    sorted.sort(null);
    Path file = dir.resolve(name + SUFFIX);
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(header);
      w.write('\n');
      for (String line : sorted) {
        w.write(line);
        w.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return new Part(name, sorted.size(), sha256(file));
  }

  static String sha256(Path file) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(Files.readAllBytes(file));
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@value #DIGESTS}: the comment lines (each prefixed with {@code # }), then the parts by name. */
  static void writeDigests(Path file, List<String> comments, Map<String, Part> parts) {
    StringBuilder out = new StringBuilder();
    for (String c : comments) {
      out.append("# ").append(c).append('\n');
    }
    new TreeMap<>(parts).values().forEach(p ->
        out.append(p.name()).append('\t').append(p.lines()).append('\t').append(p.sha256()).append('\n'));
    try {
      Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The parts listed in a digests file, by name. */
  static Map<String, Part> readDigests(Path file) {
    Map<String, Part> parts = new TreeMap<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        if (f.length != 3) {
          throw new IllegalArgumentException(file + ": not a digest line (name, lines, sha256): " + line);
        }
        parts.put(f[0], new Part(f[0], Long.parseLong(f[1]), f[2]));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return parts;
  }

  /** The comment lines of a digests file, without their {@code # }. */
  static List<String> readComments(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("#"))
          .map(l -> l.replaceFirst("^# ?", "")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}

package com.shoprec.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The job in a child JVM, as {@code spark-submit} or {@code run-local.sh} would run it: the test's
 * classpath, Spark's Java 17 flags from {@code conf/spark-java17.jvmopts}, its own environment, stdout and
 * stderr captured in files. For tests that kill the job, run two at once, or need JVM-wide settings (a
 * trust store) that must not leak into the test JVM.
 */
final class JobProcess {

  /**
   * The JIT of the JVMs tests start (job processes here, the loopback cluster's Master, Worker, driver and
   * executors): C1 only. They live a minute or two on small data, where C2's compiler threads take more of the
   * two cores than its faster code gives back (ClusterRunIT: 155 s to 98-112 s). The test JVM itself keeps C2:
   * it runs for many minutes, and with C1 only the whole suite took two minutes longer.
   */
  static final String C1_ONLY = "-XX:TieredStopAtLevel=1";

  final Process process;
  final Path stdout;
  final Path stderr;

  private JobProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts {@code RecommendationJob args}; {@code name} names the output files under {@code dir}.
   *
   * @param env variables added to (or, with a null value, removed from) the inherited environment
   * @param jvmFlags extra JVM flags, e.g. a trust store
   */
  static JobProcess start(Path dir, String name, Map<String, String> env, List<String> jvmFlags, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx768m");
    command.add("-XX:+UseSerialGC");
    command.add(C1_ONLY);
    for (String line : Files.readAllLines(jvmOpts())) {
      if (!line.isBlank() && !line.startsWith("#")) {
        command.add(line.trim());
      }
    }
    command.addAll(jvmFlags);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RecommendationJob.class.getName());
    command.addAll(args);
    Path out = dir.resolve(name + ".stdout");
    Path err = dir.resolve(name + ".stderr");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    return new JobProcess(pb.start(), out, err);
  }

  static Path jvmOpts() {
    for (Path p : List.of(Path.of("..", "conf", "spark-java17.jvmopts"), Path.of("conf", "spark-java17.jvmopts"))) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalStateException("conf/spark-java17.jvmopts not found from " + Path.of("").toAbsolutePath());
  }

  /** Waits for the exit code; kills the process and fails after {@code seconds}. */
  int exitCode(long seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("the job did not finish within " + seconds + " s; stderr:\n" + stderrTail());
    }
    return process.exitValue();
  }

  /** Sends a POSIX signal (STOP, CONT) to the process. */
  void signal(String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  String stdoutText() throws IOException {
    return Files.readString(stdout, StandardCharsets.UTF_8);
  }

  String stderrText() throws IOException {
    return Files.readString(stderr, StandardCharsets.UTF_8);
  }

  String stderrTail() throws IOException {
    String all = stderrText();
    return all.length() <= 4000 ? all : all.substring(all.length() - 4000);
  }
}

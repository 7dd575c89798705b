package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback, started from Spark's own jars as child JVMs: one Master and one
 * Worker, as {@code sbin/start-master.sh} and {@code sbin/start-worker.sh} would start them, and
 * {@code org.apache.spark.deploy.SparkSubmit} in a child JVM as {@code bin/spark-submit} runs it.
 *
 * <p>There is no Spark distribution on the build machines, so a {@code SPARK_HOME} is assembled in a temporary
 * folder: {@code jars/} holds links to the Spark runtime from the local Maven repository (the job's
 * {@code target/local-classpath.txt} minus the libraries the shaded job jar brings itself, which a
 * distribution does not have), and {@code conf/} a log4j2 configuration. The Worker needs that
 * {@code SPARK_HOME}: it builds each executor's command line from {@code $SPARK_HOME/jars/*} (Spark's launcher,
 * {@code AbstractCommandBuilder}).
 *
 * <p>{@link #close()} stops every process started here and their children (the executors), also after a
 * failure.
 */
final class LoopbackSparkCluster implements AutoCloseable {

  /**
   * Libraries of the job itself, bundled in the shaded jar, that a Spark distribution does not ship: left out of
   * {@code jars/} so that the executors find them only where a real cluster has them, in the job jar.
   */
  static final List<String> JOB_OWN_LIBRARIES = List.of("shoprec-common-", "spark-redis_", "jedis-", "commons-pool2-",
      "config-", "picocli-", "postgresql-", "commons-csv-");

  private static final Pattern MASTER_PORT = Pattern.compile("Successfully started service 'sparkMaster' on port (\\d+)");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final Path home;
  private final List<Process> processes = new ArrayList<>();
  private String masterUrl;
  private Path workerLog;
  private Path workDir;

  private LoopbackSparkCluster(Path home) {
    this.home = home;
  }

  /**
   * Builds {@code SPARK_HOME} under {@code dir} from the Spark classpath in {@code localClasspath}. Nothing is
   * started yet: {@link #submit} with a {@code local[…]} master works without {@link #startMasterAndWorker}.
   */
  static LoopbackSparkCluster prepare(Path dir, Path localClasspath) throws IOException {
    assertTrue(Files.isRegularFile(localClasspath), localClasspath + " is missing: it is written by `mvn package`");
    Path home = Files.createDirectories(dir.resolve("spark-home"));
    Path jars = Files.createDirectories(home.resolve("jars"));
    List<String> left = new ArrayList<>();
    for (String entry : Files.readString(localClasspath).trim().split(java.io.File.pathSeparator)) {
      Path jar = Path.of(entry);
      String name = jar.getFileName().toString();
      if (JOB_OWN_LIBRARIES.stream().anyMatch(name::startsWith)) {
        left.add(name);
      } else {
        Files.createSymbolicLink(jars.resolve(name), jar);
      }
    }
    assertTrue(left.size() >= JOB_OWN_LIBRARIES.size(), "the job's own libraries were expected on "
        + localClasspath + " (did a dependency change?): found only " + left);
    Path conf = Files.createDirectories(home.resolve("conf"));
    // Quiet, except what shows where the work ran: registrations, executors and their tasks, and the job.
    Files.writeString(conf.resolve("log4j2.properties"), String.join("\n",
        "rootLogger.level = warn",
        "rootLogger.appenderRef.stderr.ref = console",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex",
        "logger.ports.name = org.apache.spark.util.Utils",
        "logger.ports.level = info",
        "logger.deploy.name = org.apache.spark.deploy",
        "logger.deploy.level = info",
        "logger.backend.name = org.apache.spark.scheduler.cluster",
        "logger.backend.level = info",
        "logger.executor.name = org.apache.spark.executor.Executor",
        "logger.executor.level = info",
        "logger.shoprec.name = com.shoprec",
        "logger.shoprec.level = info",
        ""));
    return new LoopbackSparkCluster(home);
  }

  /** Starts a Master on a free loopback port and a Worker with {@code cores} and {@code memory}, and waits until the Worker registered. */
  void startMasterAndWorker(int cores, String memory) throws Exception {
    Path masterLog = home.resolve("master.log");
    Process master = start(masterLog, List.of("-Xmx256m"), Map.of(), "org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", "0", "--webui-port", "0");
    Matcher port = await(master, masterLog, MASTER_PORT);
    masterUrl = "spark://127.0.0.1:" + port.group(1);

    workDir = Files.createDirectories(home.resolve("work"));
    workerLog = home.resolve("worker.log");
    Process worker = start(workerLog, List.of("-Xmx256m"), Map.of(), "org.apache.spark.deploy.worker.Worker", masterUrl,
        "--host", "127.0.0.1", "--cores", Integer.toString(cores), "--memory", memory,
        "--work-dir", workDir.toString(), "--webui-port", "0");
    await(worker, workerLog, Pattern.compile(Pattern.quote("Successfully registered with master " + masterUrl)));
  }

  String masterUrl() {
    return masterUrl;
  }

  /** Where the Worker keeps each application's executors: {@code work/<app id>/<executor id>/stderr}. */
  Path workDir() {
    return workDir;
  }

  Path workerLog() {
    return workerLog;
  }

  /**
   * Runs {@code SparkSubmit} in a child JVM, as {@code bin/spark-submit} would, and returns its exit code.
   *
   * @param driverJvm options of the driver JVM (in client mode the driver is this JVM: heap and --add-opens)
   * @param submitArgs everything between {@code spark-submit} and the application's own arguments
   * @param driverEnv environment variables of the driver only (the Worker and its executors do not get them)
   */
  int submit(Path log, List<String> driverJvm, List<String> submitArgs, Map<String, String> driverEnv,
      Duration timeout) throws Exception {
    Process p = start(log, driverJvm, driverEnv, "org.apache.spark.deploy.SparkSubmit",
        submitArgs.toArray(String[]::new));
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      stop(p);
      fail("spark-submit did not finish within " + timeout + "; its log ends with:\n" + tail(log, 40));
    }
    return p.exitValue();
  }

  private Process start(Path log, List<String> jvmOptions, Map<String, String> extraEnv, String mainClass,
      String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(home.resolve("conf") + java.io.File.pathSeparator + home.resolve("jars") + java.io.File.separator + "*");
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_CONF_DIR", home.resolve("conf").toString());
    // The launcher asks for the Scala version when it looks for jars/ and there is no build tree to tell it.
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    // Inherited by the executors the Worker starts, so every JVM of the cluster runs C1 only (see JobProcess).
    env.put("JAVA_TOOL_OPTIONS", JobProcess.C1_ONLY);
    env.putAll(extraEnv);
    Process p = builder.start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  private static Matcher await(Process p, Path log, Pattern line) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = line.matcher(Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "");
      if (m.find()) {
        return m;
      }
      if (!p.isAlive()) {
        fail(log.getFileName() + ": the process exited with " + p.exitValue() + " before logging \"" + line
            + "\":\n" + tail(log, 40));
      }
      Thread.sleep(200);
    }
    fail(log.getFileName() + ": no \"" + line + "\" within " + START_TIMEOUT + ":\n" + tail(log, 40));
    return null;
  }

  static String tail(Path log, int lines) throws IOException {
    if (!Files.exists(log)) {
      return "(no log)";
    }
    List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** Stops the process and everything it started (a Worker's executors): politely, then by force. */
  private static void stop(Process p) {
    List<ProcessHandle> tree = Stream.concat(p.descendants(), Stream.of(p.toHandle())).toList();
    tree.forEach(ProcessHandle::destroy);
    for (ProcessHandle h : tree) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
  }

  @Override
  public void close() {
    List<Process> started;
    synchronized (processes) {
      started = new ArrayList<>(processes);
      processes.clear();
    }
    // The Worker before the Master, newest first, so that nothing reconnects to what is already gone.
    java.util.Collections.reverse(started);
    started.forEach(LoopbackSparkCluster::stop);
  }
}

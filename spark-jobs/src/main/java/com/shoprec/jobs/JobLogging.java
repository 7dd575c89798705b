package com.shoprec.jobs;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Where the job process logs, set when it starts (spark-submit's or {@code run-local.sh}'s JVM; never a test's, which
 * keeps its own configuration). Log4j 2 is Spark's logging backend; the job changes the configuration Spark uses
 * (spark-submit's {@code log4j2.properties}, or Spark's defaults, loaded here as Spark would load them).
 *
 * <p>By default the terminal shows warnings and errors only: Spark's, Hadoop's, Jetty's, Netty's INFO lines are
 * off (the root logger at WARN), and so are a few warnings the job causes on purpose ({@link #EXPECTED}). The job's
 * own INFO lines (loggers {@code com.shoprec.*} and {@code shoprec.*}: settings, counts, stage times, the metrics)
 * go to the log file when one is given. {@code --verbose}: the configuration as Spark set it (INFO) on the
 * terminal, and in the file too.
 */
final class JobLogging {

  static final String FILE_APPENDER = "shoprec-log-file";
  /** The job's own loggers: its classes, the stages ({@code shoprec.stage}), the metrics ({@code shoprec.metrics}). */
  static final List<String> JOB_LOGGERS = List.of("com.shoprec", "shoprec");
  /**
   * Warnings the job causes on purpose, off unless verbose: the dense ids (a window over all rows), the plans'
   * text cut at {@code spark.sql.maxPlanStringLength}, the models' FAIR pools (each created with the default
   * settings, as meant), the LAPACK netlib found (the job says when it is not a native one), no native Hadoop
   * library (not used).
   */
  static final Map<String, Level> EXPECTED = Map.of(
      "org.apache.spark.sql.execution.window.WindowExec", Level.ERROR,
      "org.apache.spark.sql.catalyst.util.StringUtils", Level.ERROR,
      "org.apache.spark.scheduler.FairSchedulableBuilder", Level.ERROR,
      "dev.ludovic.netlib", Level.ERROR,
      "org.apache.hadoop.util.NativeCodeLoader", Level.ERROR);
  static final String FILE_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5p %c{1}: %m%n%ex";

  private JobLogging() {}

  /**
   * Configures this process's logging; false (and nothing changed) when log4j 2's core is not the backend.
   *
   * @param logFile the job's log, appended to; null for none
   */
  static boolean configure(boolean verbose, Path logFile) {
    LoggerContext context;
    try {
      if (!(LogManager.getContext(false) instanceof LoggerContext c)) {
        return false;
      }
      context = c;
    } catch (LinkageError e) {
      return false;
    }
    if (context.getConfiguration() instanceof DefaultConfiguration) {
      // No configuration found (a plain java -cp, as run-local.sh): Spark's defaults, as Spark would load them at
      // its first log line, which would then replace what is set below.
      URL defaults = org.apache.spark.SparkConf.class.getClassLoader()
          .getResource("org/apache/spark/log4j2-defaults.properties");
      if (defaults != null) {
        try {
          context.setConfigLocation(defaults.toURI());
        } catch (URISyntaxException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    apply(context, verbose, logFile);
    return true;
  }

  /** Changes {@code context}'s configuration as {@link #configure} describes. */
  static void apply(LoggerContext context, boolean verbose, Path logFile) {
    Configuration config = context.getConfiguration();
    LoggerConfig root = config.getRootLogger();
    if (!verbose) {
      // The terminal: warnings and errors. Every appender the configuration gave the root (the console) now
      // passes WARN and above only, whichever logger an event comes from.
      for (Appender appender : List.copyOf(root.getAppenders().values())) {
        root.removeAppender(appender.getName());
        root.addAppender(appender, Level.WARN, null);
      }
      root.setLevel(Level.WARN);
      EXPECTED.forEach((name, level) -> setLevel(config, name, level));
      // The job's INFO lines only where they are read: the file.
      JOB_LOGGERS.forEach(name -> setLevel(config, name, logFile == null ? Level.WARN : Level.INFO));
    }
    if (logFile != null) {
      FileAppender file = FileAppender.newBuilder()
          .setName(FILE_APPENDER)
          .withFileName(logFile.toAbsolutePath().toString())
          .withAppend(true)
          .setLayout(PatternLayout.newBuilder().withConfiguration(config).withPattern(FILE_PATTERN).build())
          .setConfiguration(config)
          .build();
      file.start();
      config.addAppender(file);
      root.addAppender(file, null, null);
    }
    context.updateLoggers();
  }

  private static void setLevel(Configuration config, String name, Level level) {
    LoggerConfig logger = config.getLoggers().get(name);
    if (logger == null) {
      config.addLogger(name, new LoggerConfig(name, level, true));
    } else {
      logger.setLevel(level);
    }
  }
}

package com.shoprec.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's logging on a configuration like Spark's defaults (root at INFO, one console appender), in a logger
 * context of its own (the test JVM's is left alone): what reaches the terminal and what the log file.
 */
class JobLoggingTest {

  @TempDir Path dir;
  private LoggerContext context;
  private final List<String> console = new CopyOnWriteArrayList<>();

  /** Stands for the console appender: keeps "LEVEL logger: message". */
  private final class Captured extends AbstractAppender {
    Captured() {
      super("console", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      console.add(event.getLevel() + " " + event.getLoggerName() + ": " + event.getMessage().getFormattedMessage());
    }
  }

  @BeforeEach
  void sparkLikeConfiguration() {
    ConfigurationBuilder<BuiltConfiguration> builder = ConfigurationBuilderFactory.newConfigurationBuilder();
    builder.setStatusLevel(Level.ERROR);
    builder.add(builder.newRootLogger(Level.INFO));
    context = new LoggerContext("job-logging-test");
    Configuration config = builder.build(false);
    context.start(config);
    Captured appender = new Captured();
    appender.start();
    context.getConfiguration().addAppender(appender);
    context.getConfiguration().getRootLogger().addAppender(appender, null, null);
    context.updateLoggers();
  }

  @AfterEach
  void stop() {
    context.stop();
  }

  private void logOneOfEach() {
    context.getLogger("org.apache.spark.SparkContext").info("Running Spark version 3.5");
    context.getLogger("org.apache.spark.storage.BlockManager").warn("disk almost full");
    context.getLogger("org.apache.spark.sql.execution.window.WindowExec").warn("No Partition Defined");
    context.getLogger("com.shoprec.jobs.WeeklyRun").info("run 2011_W49_1: week 2011_W49");
    context.getLogger("shoprec.metrics").info("stage timings (ms): {read=1}");
    context.getLogger("com.shoprec.jobs.WeeklyRun").error("run failed");
  }

  @Test
  void byDefaultTheTerminalShowsWarningsAndTheFileTheJobsInfoLines() throws Exception {
    Path log = dir.resolve("job.log");
    JobLogging.apply(context, false, log);
    logOneOfEach();
    assertEquals(List.of("WARN org.apache.spark.storage.BlockManager: disk almost full",
        "ERROR com.shoprec.jobs.WeeklyRun: run failed"), console);
    List<String> file = Files.readAllLines(log, StandardCharsets.UTF_8);
    assertEquals(4, file.size(), String.join("\n", file));
    assertTrue(file.get(0).endsWith(" WARN  BlockManager: disk almost full"), file.get(0));
    assertTrue(file.get(1).endsWith(" INFO  WeeklyRun: run 2011_W49_1: week 2011_W49"), file.get(1));
    assertTrue(file.get(2).endsWith(" INFO  metrics: stage timings (ms): {read=1}"), file.get(2));
    assertTrue(file.get(3).endsWith(" ERROR WeeklyRun: run failed"), file.get(3));
  }

  @Test
  void withoutALogFileTheJobsInfoLinesAreNotShown() {
    JobLogging.apply(context, false, null);
    logOneOfEach();
    assertEquals(List.of("WARN org.apache.spark.storage.BlockManager: disk almost full",
        "ERROR com.shoprec.jobs.WeeklyRun: run failed"), console);
  }

  @Test
  void verboseShowsEverythingAsSparkConfiguredIt() throws Exception {
    Path log = dir.resolve("verbose.log");
    JobLogging.apply(context, true, log);
    logOneOfEach();
    assertEquals(6, console.size(), String.join("\n", console));
    assertEquals(6, Files.readAllLines(log, StandardCharsets.UTF_8).size());
  }
}

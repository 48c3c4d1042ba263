package dev.lineup.embedded;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker's own log lines go to a file beside its data, not to the console the services
 * share: a broker logs at ERROR what its clients retry by design (with transactions v2, a first
 * append after a producer's epoch bump with a sequence other than 0, KAFKA-18202), many times a
 * second under load. In production the broker is another team's process with its own log; the
 * devstack keeps that split. Only the broker's packages move: clients' lines, Lineup's and Kafka
 * Streams' stay on the console.
 *
 * <p>Done only when logback is the logging backend (every Lineup runtime); otherwise nothing moves.
 */
final class BrokerLog {

  /** Loggers of the broker and controller, not of the clients in the same JVM. */
  private static final List<String> BROKER_LOGGERS =
      List.of(
          "kafka",
          "state.change.logger",
          "org.apache.kafka.controller",
          "org.apache.kafka.coordinator",
          "org.apache.kafka.image",
          "org.apache.kafka.metadata",
          "org.apache.kafka.queue",
          "org.apache.kafka.raft",
          "org.apache.kafka.server",
          "org.apache.kafka.snapshot",
          "org.apache.kafka.storage");

  private BrokerLog() {}

  private static final String APPENDER = "embedded-broker";

  /**
   * The client class the broker's own channel to its controller logs under; at the broker's
   * shutdown it warns that the channel was closed twice (harmless, every time).
   */
  private static final String BROKER_CHANNEL = "org.apache.kafka.clients.NetworkClient";

  private static FileAppender<ILoggingEvent> current;

  /**
   * Sends the broker's lines to {@code file} (appended to), instead of the file of a broker this
   * JVM started before; answers whether they moved.
   */
  static synchronized boolean toFile(Path file) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return false;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName(APPENDER);
    appender.setFile(file.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.start();
    Logger channel = context.getLogger(BROKER_CHANNEL);
    if (channel.getAppender(APPENDER) != null) {
      // A broker started after another one stopped: the clients speak on the console again.
      channel.detachAppender(APPENDER);
      channel.setAdditive(true);
    }
    for (String name : BROKER_LOGGERS) {
      Logger logger = context.getLogger(name);
      var earlier = logger.getAppender(APPENDER);
      if (earlier != null) {
        logger.detachAppender(earlier);
        earlier.stop();
      }
      logger.addAppender(appender);
      logger.setAdditive(false);
    }
    current = appender;
    return true;
  }

  /**
   * The broker is down: every logger speaks on the console again, so the lines of clients that
   * outlive it (a test that stops the broker under running services) are not lost in its file.
   */
  static synchronized void stopped() {
    if (current == null || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    List<String> names = new java.util.ArrayList<>(BROKER_LOGGERS);
    names.add(BROKER_CHANNEL);
    for (String name : names) {
      Logger logger = context.getLogger(name);
      if (logger.getAppender(APPENDER) != null) {
        logger.detachAppender(APPENDER);
        logger.setAdditive(true);
      }
    }
    current.stop();
    current = null;
  }

  /**
   * From the broker's shutdown on, the network client's lines are the broker's too: Lineup's own
   * clients in this JVM have stopped before it (the devstack stops them first).
   */
  static synchronized void shuttingDown() {
    if (current != null && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      Logger logger = context.getLogger(BROKER_CHANNEL);
      if (logger.getAppender(APPENDER) == null) {
        logger.addAppender(current);
        logger.setAdditive(false);
      }
    }
  }
}

package dev.lineup.service.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * {@code logback_events_total{level}}: the log lines the service wrote, by level, so that an alert
 * can fire on warnings and errors without reading the logs.
 *
 * <p>Counted by an appender on the root logger, which sees only the lines that are written.
 * Micrometer's own binder (off in every service's configuration) counts from a logback turbo filter
 * instead, and logback asks a turbo filter about every level check in the JVM, written or not:
 * Kafka's producer checks its trace level on every send and the broker on every request, and that
 * was 2.4 % of the JVM's samples at 3,000 activities a second (docs/BENCHMARKS.md, finding 48).
 */
@Singleton
public final class LogEventCounts implements Instrumented {

  private static final Level[] LEVELS = {
    Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG, Level.TRACE
  };

  private Appender appender;

  @Override
  public synchronized void instrument(MeterRegistry registry) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another logging backend: nothing to count with
    }
    Counter[] counters = new Counter[LEVELS.length];
    for (int i = 0; i < LEVELS.length; i++) {
      counters[i] =
          Counter.builder("logback.events")
              .description("Log lines written, by level")
              .tag("level", LEVELS[i].levelStr.toLowerCase(Locale.ROOT))
              .baseUnit("events")
              .register(registry);
    }
    appender = new Appender(counters);
    appender.setContext(context);
    appender.setName("lineup-log-event-counts-" + System.identityHashCode(this));
    appender.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
  }

  /** Stops counting: a JVM that starts and stops services, as tests do, keeps no stale appender. */
  @PreDestroy
  synchronized void close() {
    if (appender != null) {
      if (appender.getContext() instanceof LoggerContext context) {
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(appender);
      }
      appender.stop();
      appender = null;
    }
  }

  private static final class Appender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    private final Counter[] counters;

    Appender(Counter[] counters) {
      this.counters = counters;
    }

    @Override
    protected void append(ILoggingEvent event) {
      int level = event.getLevel().toInt();
      for (int i = 0; i < LEVELS.length; i++) {
        if (LEVELS[i].toInt() == level) {
          counters[i].increment();
          return;
        }
      }
    }
  }
}

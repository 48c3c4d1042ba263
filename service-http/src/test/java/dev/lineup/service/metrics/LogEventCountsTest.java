package dev.lineup.service.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The log lines a service writes are counted by level; the lines it does not write are not. */
class LogEventCountsTest {

  private static final Logger LOG = LoggerFactory.getLogger("dev.lineup.counted");

  @Test
  void linesWrittenAreCountedByLevelAndNothingIsCountedOnceClosed() {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LOG;
    logger.setLevel(Level.INFO);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LogEventCounts counts = new LogEventCounts();
    counts.instrument(registry);
    try {
      LOG.warn("one warning");
      LOG.warn("and another");
      LOG.error("an error");
      LOG.debug("not written at INFO, so not counted");
      LOG.trace("nor this");

      assertThat(count(registry, "warn")).isEqualTo(2);
      assertThat(count(registry, "error")).isEqualTo(1);
      assertThat(count(registry, "debug")).isZero();
      assertThat(count(registry, "trace")).isZero();
    } finally {
      counts.close();
    }
    try {
      LOG.warn("after the service stopped");
      assertThat(count(registry, "warn")).isEqualTo(2);
    } finally {
      logger.setLevel(null);
    }
  }

  @Test
  void aServiceCountsFromItsStartAndLeavesNoAppenderBehindWhenItStops() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    try (EmbeddedServer server =
        ApplicationContext.run(
            EmbeddedServer.class,
            Map.of(
                "micronaut.server.port",
                -1,
                "micronaut.server.host",
                "127.0.0.1",
                "micronaut.metrics.binders.logback.enabled",
                false))) {
      assertThat(countingAppenders(root)).isEqualTo(1);
      LOG.warn("a warning while the service runs");
      assertThat(
              server
                  .getApplicationContext()
                  .getBean(MeterRegistry.class)
                  .get("logback.events")
                  .tag("level", "warn")
                  .counter()
                  .count())
          .isEqualTo(1);
    }
    assertThat(countingAppenders(root)).isZero();
  }

  private static long countingAppenders(ch.qos.logback.classic.Logger root) {
    long n = 0;
    for (var it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next().getName().startsWith("lineup-log-event-counts-")) {
        n++;
      }
    }
    return n;
  }

  private static double count(SimpleMeterRegistry registry, String level) {
    return registry.get("logback.events").tag("level", level).counter().count();
  }
}

package dev.lineup.service.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
    LOG.warn("after the service stopped");
    assertThat(count(registry, "warn")).isEqualTo(2);
    logger.setLevel(null);
  }

  private static double count(SimpleMeterRegistry registry, String level) {
    return registry.get("logback.events").tag("level", level).counter().count();
  }
}

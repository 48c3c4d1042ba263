package dev.lineup.service.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A service that stops while its scheduled tasks fire logs nothing: they stop before the beans they
 * run on are destroyed. Without {@link ScheduledTasksFirst}, a task firing during the context's
 * close asked for its bean again: built anew while the context closed, or, once the beans it needs
 * were gone, not built, and Micronaut logged an ERROR.
 */
class ScheduledTasksFirstTest {

  private static final String ENABLED = "scheduled-tasks-first-test.enabled";
  static final AtomicInteger TICKS = new AtomicInteger();

  static final AtomicInteger BUILT = new AtomicInteger();

  /**
   * What the ticking bean needs, as intake's ScheduleFiring needs its validator; slow to close, as
   * a connection pool is, so the tasks have time to fire while the context closes. It uses the
   * scheduled executor itself, so the context destroys that executor after it, as it did in intake.
   */
  @Singleton
  @Requires(property = ENABLED, value = "true")
  static class Needed {
    Needed(@Named(TaskExecutors.SCHEDULED) ExecutorService scheduled) {}

    @PreDestroy
    void close() throws InterruptedException {
      Thread.sleep(50);
    }
  }

  /** A task that fires every millisecond. */
  @Singleton
  @Requires(property = ENABLED, value = "true")
  static class Ticking {
    Ticking(Needed needed) {
      BUILT.incrementAndGet();
    }

    @Scheduled(fixedDelay = "1ms")
    void tick() {
      TICKS.incrementAndGet();
    }
  }

  @Test
  void aServiceStoppingWhileItsScheduledTasksFireLogsNoError() throws Exception {
    Logger scheduling = (Logger) LoggerFactory.getLogger("io.micronaut.scheduling");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    scheduling.addAppender(lines);
    try {
      for (int i = 0; i < 20; i++) {
        int before = TICKS.get();
        try (ApplicationContext context =
            ApplicationContext.builder()
                .properties(Map.of(ENABLED, "true", "micronaut.server.port", -1))
                .start()) {
          long deadline = System.nanoTime() + 10_000_000_000L;
          while (TICKS.get() <= before + 5 && System.nanoTime() < deadline) {
            Thread.sleep(1);
          }
          assertThat(TICKS.get()).as("ticks in context %d", i).isGreaterThan(before + 5);
        }
      }
    } finally {
      scheduling.detachAppender(lines);
    }
    assertThat(BUILT.get())
        .as("the task's bean, built once per context, never again while the context closed")
        .isEqualTo(20);
    assertThat(lines.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)))
        .as("warnings and errors of twenty stops while a task fired every millisecond")
        .isEmpty();
  }
}

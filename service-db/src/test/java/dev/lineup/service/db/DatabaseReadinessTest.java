package dev.lineup.service.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@code /health}'s database check against a real PostgreSQL that stops and starts again on the
 * same port: the first probe after the database went away already says so, though nobody asked in
 * between; no answer waits on the pool's connection attempts meanwhile; and it is up again soon
 * after the database is.
 */
class DatabaseReadinessTest {

  /** A probe's answer, at most; the pool's connection timeout is 3 s. */
  private static final long ANSWER_MILLIS = 200;

  @Test
  void theCheckFollowsTheDatabaseWhileEveryAnswerComesAtOnce() throws Exception {
    Path dir = Files.createTempDirectory("database-readiness-");
    int port = FreePorts.orFree(0);
    EmbeddedDatabase database = EmbeddedDatabase.start(dir, port);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(database.jdbcUrl("postgres"));
    config.setUsername(database.user());
    config.setConnectionTimeout(3_000);
    config.setMaximumPoolSize(2);
    try (HikariDataSource pool = new HikariDataSource(config);
        DatabaseReadiness readiness = new DatabaseReadiness(pool)) {
      assertThat(within(10_000, readiness::ready)).as("up with its database").isTrue();

      database.close();
      // Nobody asks for a while, as between two probes of an orchestrator.
      Thread.sleep(6_000);
      long start = System.nanoTime();
      boolean first = readiness.ready();
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(ANSWER_MILLIS);
      assertThat(first).as("the first probe after the database went away").isFalse();
      assertThat(answersAtOnceFor(4_000, readiness)).as("down all along").isFalse();

      database = EmbeddedDatabase.start(dir, port);
      assertThat(within(15_000, readiness::ready)).as("up again with its database").isTrue();
    } finally {
      database.close();
    }
  }

  /** Whether {@code condition} held within {@code millis}. */
  private static boolean within(long millis, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }

  /**
   * Asks every 100 ms for {@code millis}, each answer within {@link #ANSWER_MILLIS}; whether any
   * answer was up.
   */
  private static boolean answersAtOnceFor(long millis, DatabaseReadiness readiness)
      throws Exception {
    boolean anyUp = false;
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < deadline) {
      long start = System.nanoTime();
      anyUp |= readiness.ready();
      assertThat((System.nanoTime() - start) / 1_000_000)
          .as("ms an answer took while the database is away")
          .isLessThan(ANSWER_MILLIS);
      Thread.sleep(100);
    }
    return anyUp;
  }
}

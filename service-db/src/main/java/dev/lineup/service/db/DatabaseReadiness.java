package dev.lineup.service.db;

import dev.lineup.service.health.Readiness;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * {@code /health} is down while the service's PostgreSQL is unreachable: its API cannot answer
 * then, whether or not a consumer happens to have work that fails. A thread of its own asks for a
 * connection a second after its last answer, and {@code /health} reads that answer: a probe never
 * waits on a connection attempt (one waits out the pool's 5 s while the database is away), nor adds
 * load to a struggling database however often it asks, and the answer is at most about a second old
 * once the database answers, a few seconds while it does not.
 */
@Singleton
@Requires(beans = DataSource.class)
public final class DatabaseReadiness implements Readiness, AutoCloseable {

  private static final long RECHECK_MILLIS = 1_000;
  private static final int VALID_SECONDS = 2;

  private final DataSource db;
  private volatile boolean up = true;
  private final ScheduledExecutorService checker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "database-readiness");
            t.setDaemon(true);
            return t;
          });

  public DatabaseReadiness(DataSource db) {
    this.db = db;
    checker.scheduleWithFixedDelay(
        () -> up = reachable(), 0, RECHECK_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public String name() {
    return "database";
  }

  @Override
  public boolean ready() {
    return up;
  }

  @PreDestroy
  @Override
  public void close() {
    checker.shutdownNow();
  }

  private boolean reachable() {
    try (Connection c = db.getConnection()) {
      return c.isValid(VALID_SECONDS);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }
}

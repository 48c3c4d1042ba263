package dev.lineup.service.db;

import dev.lineup.service.health.Readiness;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;

/**
 * {@code /health} is down while the service's PostgreSQL is unreachable: its API cannot answer
 * then, whether or not a consumer happens to have work that fails. Checked at most once a second,
 * so a load balancer polling health never adds load to a struggling database, and on a thread of
 * its own: while the database is away a connection attempt waits out the pool's timeout, and {@code
 * /health} answers with the last result meanwhile instead of making its caller wait too.
 */
@Singleton
@Requires(beans = DataSource.class)
public final class DatabaseReadiness implements Readiness, AutoCloseable {

  private static final long RECHECK_MILLIS = 1_000;
  private static final int VALID_SECONDS = 2;

  private final DataSource db;
  private volatile long checkedAt;
  private volatile boolean up = true;
  private final java.util.concurrent.atomic.AtomicBoolean checking =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final ExecutorService checker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "database-readiness");
            t.setDaemon(true);
            return t;
          });

  public DatabaseReadiness(DataSource db) {
    this.db = db;
  }

  @Override
  public String name() {
    return "database";
  }

  @Override
  public boolean ready() {
    long now = System.currentTimeMillis();
    // One check at a time, off the caller's thread; every caller takes the last answer.
    if (now - checkedAt >= RECHECK_MILLIS && checking.compareAndSet(false, true)) {
      checkedAt = now;
      try {
        checker.execute(
            () -> {
              try {
                up = reachable();
              } finally {
                checking.set(false);
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        checking.set(false); // closing
      }
    }
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
    } catch (SQLException e) {
      return false;
    }
  }
}

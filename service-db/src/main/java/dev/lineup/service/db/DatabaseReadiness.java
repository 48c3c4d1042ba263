package dev.lineup.service.db;

import dev.lineup.service.health.Readiness;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * {@code /health} is down while the service's PostgreSQL is unreachable: its API cannot answer
 * then, whether or not a consumer happens to have work that fails. Checked at most once a second,
 * so a load balancer polling health never adds load to a struggling database.
 */
@Singleton
@Requires(beans = DataSource.class)
public final class DatabaseReadiness implements Readiness {

  private static final long RECHECK_MILLIS = 1_000;
  private static final int VALID_SECONDS = 2;

  private final DataSource db;
  private volatile long checkedAt;
  private volatile boolean up = true;
  private final java.util.concurrent.atomic.AtomicBoolean checking =
      new java.util.concurrent.atomic.AtomicBoolean();

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
    // One caller checks at a time; the others take the last answer rather than queue behind a
    // connection attempt that may wait its whole timeout while the database is away.
    if (now - checkedAt >= RECHECK_MILLIS && checking.compareAndSet(false, true)) {
      try {
        checkedAt = now;
        up = reachable();
      } finally {
        checking.set(false);
      }
    }
    return up;
  }

  private boolean reachable() {
    try (Connection c = db.getConnection()) {
      return c.isValid(VALID_SECONDS);
    } catch (SQLException e) {
      return false;
    }
  }
}

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
  private volatile boolean up;

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
    if (now - checkedAt >= RECHECK_MILLIS) {
      up = reachable();
      checkedAt = now;
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

package dev.lineup.service.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

/** A service's PostgreSQL pool, migrated to its current schema before anything uses it. */
public final class PostgresPool {

  private static final long CONNECTION_TIMEOUT_MILLIS = 5_000;

  private PostgresPool() {}

  /**
   * @param migrations the service's own Flyway location, e.g. {@code classpath:db/intake}: each
   *     service owns its database and its migrations
   */
  public static HikariDataSource open(
      String name, String url, String user, String password, int poolSize, String migrations) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName(name);
    // Fail fast while the database is away: an API call answers 503 within seconds, not after
    // Hikari's default 30 s, and health checks never pile up waiting.
    config.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
    HikariDataSource dataSource = new HikariDataSource(config);
    try {
      Flyway.configure().dataSource(dataSource).locations(migrations).load().migrate();
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
    return dataSource;
  }
}

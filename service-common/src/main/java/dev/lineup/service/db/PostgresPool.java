package dev.lineup.service.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

/** A service's PostgreSQL pool, migrated to its current schema before anything uses it. */
public final class PostgresPool {

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

package dev.lineup.intake.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The ledger's PostgreSQL pool, migrated to the current schema before anything uses it. */
@Factory
final class LedgerDatabase {

  @Singleton
  @Bean(preDestroy = "close")
  HikariDataSource ledgerDataSource(
      @Value("${lineup.intake.database.url}") String url,
      @Value("${lineup.intake.database.user}") String user,
      @Value("${lineup.intake.database.password:}") String password,
      @Value("${lineup.intake.database.pool-size}") int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("intake-ledger");
    HikariDataSource dataSource = new HikariDataSource(config);
    migrate(dataSource);
    return dataSource;
  }

  private static void migrate(DataSource dataSource) {
    Flyway.configure().dataSource(dataSource).locations("classpath:db/intake").load().migrate();
  }
}

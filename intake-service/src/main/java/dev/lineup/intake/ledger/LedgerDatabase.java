package dev.lineup.intake.ledger;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.service.db.PostgresPool;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;

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
    return PostgresPool.open("intake-ledger", url, user, password, poolSize, "classpath:db/intake");
  }
}

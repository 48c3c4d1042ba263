package dev.lineup.gateway.delivery;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import org.flywaydb.core.Flyway;

/** The gateway's PostgreSQL pool (deliveries, tokens), migrated before anything uses it. */
@Factory
final class GatewayDatabase {

  @Singleton
  @Bean(preDestroy = "close")
  HikariDataSource gatewayDataSource(
      @Value("${lineup.gateway.database.url}") String url,
      @Value("${lineup.gateway.database.user}") String user,
      @Value("${lineup.gateway.database.password:}") String password,
      @Value("${lineup.gateway.database.pool-size}") int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("gateway");
    HikariDataSource dataSource = new HikariDataSource(config);
    Flyway.configure().dataSource(dataSource).locations("classpath:db/gateway").load().migrate();
    return dataSource;
  }
}

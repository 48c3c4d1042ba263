package dev.lineup.gateway.delivery;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.service.db.PostgresPool;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;

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
    return PostgresPool.open("gateway", url, user, password, poolSize, "classpath:db/gateway");
  }
}

package dev.lineup.service.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * {@code /health} while the database is away: a real pool whose every connection attempt is refused
 * waits out its connection timeout, and the health answer does not wait with it.
 */
class DatabaseReadinessTest {

  @Test
  void healthAnswersAtOnceWhileAConnectionAttemptWaitsOutThePoolsTimeout() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/nowhere");
    config.setUsername("postgres");
    config.setConnectionTimeout(3_000);
    config.setInitializationFailTimeout(-1); // start without a database, as after an outage
    try (HikariDataSource pool = new HikariDataSource(config);
        DatabaseReadiness readiness = new DatabaseReadiness(pool)) {
      long deadline = System.nanoTime() + 20_000_000_000L;
      long slowest = 0;
      boolean ready = true;
      while (ready && System.nanoTime() < deadline) {
        long start = System.nanoTime();
        ready = readiness.ready();
        slowest = Math.max(slowest, System.nanoTime() - start);
        Thread.sleep(100);
      }
      assertThat(ready).as("down once the check finds no database").isFalse();
      assertThat(slowest / 1_000_000)
          .as("ms the slowest health answer took, with the pool's timeout at 3,000")
          .isLessThan(500);
    }
  }
}

package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A token that sends more than its rate gets 429s, and only that token. */
@ExtendWith(LineupInfrastructure.class)
class RateLimitTest {

  private static final String ADMIN = "rate-admin-token-0123456789";
  private static LineupServices services;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("rate-state"),
                ADMIN,
                "rate-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of("lineup.rate-limit.per-second", 1, "lineup.rate-limit.burst", 3)));
    services.awaitHealthy(Duration.ofMinutes(2));
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  @Test
  void aTokenOverItsRateGets429WithRetryAfter() throws Exception {
    LineupClient admin =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
    for (int i = 0; i < 3; i++) {
      assertThat(admin.get("/v1/summary").status()).isEqualTo(200);
    }

    var limited = admin.get("/v1/summary");

    assertThat(limited.status()).isEqualTo(429);
    assertThat(admin.contentType).isEqualTo("application/problem+json");
    Thread.sleep(1100);
    assertThat(admin.get("/v1/summary").status()).isEqualTo(200);
  }
}

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

/**
 * A token that sends more than its rate gets 429s, and only that token. Requests without a proven
 * credential (wrong tokens, wrong secrets, enrolls, webhooks) are charged to their address before
 * any lookup, on intake and on every agent path of the gateway.
 */
@ExtendWith(LineupInfrastructure.class)
class RateLimitTest {

  private static final String ADMIN = "rate-admin-token-0123456789";
  private static final String ENROLL = "rate-enroll-secret-0123456789";
  private static final int ADDRESS_BURST = 5;
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
                ENROLL,
                0,
                0,
                0,
                Map.of(
                    "lineup.rate-limit.per-second",
                    1,
                    "lineup.rate-limit.burst",
                    3,
                    "lineup.rate-limit.per-address.per-second",
                    1,
                    "lineup.rate-limit.per-address.burst",
                    ADDRESS_BURST,
                    "lineup.gateway.mdm.webhook-secret",
                    "rate-webhook-secret-0123456789")));
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
    refill();
    for (int i = 0; i < 3; i++) {
      assertThat(admin.get("/v1/summary").status()).isEqualTo(200);
    }

    var limited = admin.get("/v1/summary");

    assertThat(limited.status()).isEqualTo(429);
    assertThat(admin.contentType).isEqualTo("application/problem+json");
    assertThat(admin.retryAfter).as("Retry-After, in whole seconds").matches("[1-9][0-9]*");
    Thread.sleep(1100);
    assertThat(admin.get("/v1/summary").status()).isEqualTo(200);
  }

  /** The statuses of {@code n} tries, in order. */
  private static java.util.List<Integer> statuses(
      int n, java.util.concurrent.Callable<Integer> attempt) throws Exception {
    java.util.List<Integer> statuses = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      statuses.add(attempt.call());
    }
    return statuses;
  }

  /** Lets every budget fill up again. */
  private static void refill() throws InterruptedException {
    Thread.sleep((ADDRESS_BURST + 1) * 1000L);
  }

  @Test
  void wrongTokensAreRefusedWith429OnceTheirAddressUsedItsBudgetAndAGoodTokenStillWorks()
      throws Exception {
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    LineupClient admin = new LineupClient(services.intakeUrl(), ADMIN, json);
    refill();
    assertThat(admin.get("/v1/summary").status()).isEqualTo(200);

    var tries =
        statuses(
            ADDRESS_BURST + 5,
            () ->
                new LineupClient(services.intakeUrl(), "guess-" + java.util.UUID.randomUUID(), json)
                    .get("/v1/summary")
                    .status());

    assertThat(tries.subList(0, ADDRESS_BURST)).containsOnly(401);
    assertThat(tries.subList(ADDRESS_BURST, tries.size())).containsOnly(429);
    assertThat(admin.get("/v1/summary").status()).isEqualTo(200);
  }

  @Test
  void wrongHostTokensEnrollSecretsAndWebhookSecretsAreRefusedWith429PastTheirAddressBudget()
      throws Exception {
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    LineupClient gateway = new LineupClient(services.gatewayUrl(), null, json);
    refill();
    String hostToken =
        gateway
            .post(
                "/v1/agent/enroll",
                "{\"host_id\":\"rate-host\",\"enroll_secret\":\"" + ENROLL + "\"}")
            .text("host_token");
    assertThat(gateway.as(hostToken).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);

    var polls =
        statuses(
            ADDRESS_BURST + 3,
            () -> gateway.as("guess").get("/v1/agent/tasks/next?wait=0").status());
    assertThat(polls).startsWith(401).endsWith(429, 429, 429);
    // The host's own token proved good before: it has a budget of its own.
    assertThat(gateway.as(hostToken).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
    refill();

    var enrolls =
        statuses(
            ADDRESS_BURST + 3,
            () ->
                gateway
                    .post(
                        "/v1/agent/enroll",
                        "{\"host_id\":\"rate-host-2\",\"enroll_secret\":\"guess-guess-guess-guess\"}")
                    .status());
    assertThat(enrolls).startsWith(401).endsWith(429, 429, 429);
    refill();

    var webhooks =
        statuses(
            ADDRESS_BURST + 3,
            () ->
                gateway
                    .post("/v1/mdm/webhook?secret=guess", "{\"topic\":\"mdm.Connect\"}")
                    .status());
    assertThat(webhooks).startsWith(401).endsWith(429, 429, 429);
  }
}

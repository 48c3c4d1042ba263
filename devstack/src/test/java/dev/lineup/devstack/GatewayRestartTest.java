package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Releases while the gateway is down, and leases that lapse. */
@ExtendWith(LineupInfrastructure.class)
class GatewayRestartTest {

  private static final String ADMIN = "restart-admin-token-0123456789";
  private static final String ENROLL = "restart-enroll-secret-0123456789";
  private static LineupServices services;
  private static LineupClient intake;
  private static JsonMapper json;
  private static EmbeddedDatabase db;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    db = database;
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("restart-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    json = services.intake().getBean(JsonMapper.class);
    intake = new LineupClient(services.intakeUrl(), ADMIN, json);
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  private static LineupClient gateway(String token) {
    return new LineupClient(services.gatewayUrl(), token, json);
  }

  private static String enroll(String host) throws Exception {
    return gateway(null)
        .post(
            "/v1/agent/enroll",
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}")
        .text("host_token");
  }

  private static String enqueue(String host, String extra) throws Exception {
    return intake
        .post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"script_run\",\"payload\":{\"script\":\"true\"}" + extra + "}")
        .text("activity_id");
  }

  private static void awaitState(String id, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo(state));
  }

  private static void succeed(LineupClient.Answer task) throws Exception {
    assertThat(
            gateway(task.text("task_token"))
                .post(
                    "/v1/agent/tasks/" + task.text("activity_id") + "/result",
                    "{\"outcome\":\"succeeded\",\"exit_code\":0}")
                .status())
        .isEqualTo(200);
  }

  @Test
  void releasesWhileTheGatewayIsDownAreDeliveredOnceAfterItComesBack() throws Exception {
    String host = "restart-host-" + UUID.randomUUID();
    String hostToken = enroll(host);
    services.stopGateway();

    String first = enqueue(host, "");
    String second = enqueue(host, "");
    awaitState(first, "RELEASED");
    services.restartGateway();
    services.awaitHealthy(Duration.ofMinutes(1));

    LineupClient agent = gateway(hostToken);
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.text("activity_id")).isEqualTo(first);
    succeed(task);
    var next = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(next.text("activity_id")).isEqualTo(second);
    succeed(next);
    awaitState(second, "SUCCEEDED");
    assertThat(agent.get("/v1/agent/tasks/next?wait=1").status()).isEqualTo(204);

    try (var c =
            DriverManager.getConnection(
                db.jdbcUrl(LineupServices.GATEWAY_DATABASE), db.user(), "");
        var s =
            c.prepareStatement(
                "SELECT count(*), count(DISTINCT (activity_id, attempt)) FROM deliveries WHERE host_id = ?")) {
      s.setString(1, host);
      var rs = s.executeQuery();
      rs.next();
      assertThat(rs.getInt(1)).as("one delivery row per attempt").isEqualTo(2);
      assertThat(rs.getInt(2)).isEqualTo(2);
    }
  }

  @Test
  void anAgentsPollIsAnsweredByWhicheverGatewayInstanceItReaches() throws Exception {
    var second = services.startAnotherGateway();
    String host = "two-gateways-" + UUID.randomUUID();
    String hostToken = enroll(host);
    LineupClient viaSecond =
        new LineupClient(
            second.getBean(io.micronaut.runtime.server.EmbeddedServer.class).getURI(),
            hostToken,
            json);
    var poll = viaSecond.getAsync("/v1/agent/tasks/next?wait=30");
    Thread.sleep(500);

    String id = enqueue(host, "");

    var task = poll.get();
    assertThat(task.status()).isEqualTo(200);
    assertThat(task.text("activity_id")).isEqualTo(id);
    // The first instance does not hand the same attempt out again.
    assertThat(gateway(hostToken).get("/v1/agent/tasks/next?wait=1").status()).isEqualTo(204);
    succeed(task);
    awaitState(id, "SUCCEEDED");
  }

  @Test
  void aLapsedLeaseEndsTheTaskKillsItsTokenAndReleasesTheNext() throws Exception {
    String host = "lease-host-" + UUID.randomUUID();
    LineupClient agent = gateway(enroll(host));
    String slow = enqueue(host, ",\"timeout_ms\":2000");
    String next = enqueue(host, "");
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.text("activity_id")).isEqualTo(slow);

    awaitState(slow, "EXPIRED");

    assertThat(intake.get("/v1/activities/" + slow).text("reason")).isEqualTo("LEASE_EXPIRED");
    assertThat(
            gateway(task.text("task_token"))
                .post("/v1/agent/tasks/" + slow + "/heartbeat", "")
                .status())
        .isEqualTo(401);
    assertThat(agent.get("/v1/agent/tasks/next?wait=20").text("activity_id")).isEqualTo(next);
  }
}

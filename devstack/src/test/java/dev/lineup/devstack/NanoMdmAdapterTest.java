package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The nanomdm adapter against a small server that speaks NanoMDM's enqueue API: commands go out
 * with the API key, webhook results come back, NotNow keeps an activity pending.
 */
@ExtendWith(LineupInfrastructure.class)
class NanoMdmAdapterTest {

  private static final String ADMIN = "mdm-admin-token-0123456789";
  private static final String WEBHOOK_SECRET = "mdm-webhook-secret-0123456789";

  /** One PUT /v1/enqueue/{id} the fake NanoMDM received. */
  record Enqueued(String path, String authorization, String body) {}

  private static final List<Enqueued> received = new CopyOnWriteArrayList<>();
  private static HttpServer nanomdm;
  private static LineupServices services;
  private static LineupClient intake;
  private static LineupClient gateway;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    nanomdm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    nanomdm.createContext(
        "/v1/enqueue/",
        exchange -> {
          received.add(
              new Enqueued(
                  exchange.getRequestURI().getPath(),
                  exchange.getRequestHeaders().getFirst("Authorization"),
                  new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
          byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    nanomdm.start();
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("mdm-state"),
                ADMIN,
                "mdm-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of(
                    "lineup.gateway.mdm.adapter",
                    "nanomdm",
                    "lineup.gateway.mdm.nanomdm.url",
                    "http://127.0.0.1:" + nanomdm.getAddress().getPort(),
                    "lineup.gateway.mdm.nanomdm.api-key",
                    "nano-key",
                    "lineup.gateway.mdm.webhook-secret",
                    WEBHOOK_SECRET)));
    services.awaitHealthy(Duration.ofMinutes(2));
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    intake = new LineupClient(services.intakeUrl(), ADMIN, json);
    gateway = new LineupClient(services.gatewayUrl(), null, json);
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
    if (nanomdm != null) {
      nanomdm.stop(0);
    }
  }

  private static void awaitState(String id, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo(state));
  }

  private static LineupClient.Answer webhook(String secret, String commandUuid, String status)
      throws Exception {
    return gateway.post(
        "/v1/mdm/webhook?secret=" + secret,
        "{\"topic\":\"mdm.Connect\",\"acknowledge_event\":{\"udid\":\"U1\",\"status\":\""
            + status
            + "\",\"command_uuid\":\""
            + commandUuid
            + "\",\"raw_payload\":\""
            + Base64.getEncoder().encodeToString("<plist/>".getBytes(StandardCharsets.UTF_8))
            + "\"}}");
  }

  @Test
  void aLockGoesToNanoMdmAndItsWebhookEndsItNotNowKeepsItPending() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String lock =
        intake
            .post("/v1/hosts/" + host + "/activities", "{\"type\":\"lock\",\"payload\":{}}")
            .text("activity_id");

    awaitState(lock, "DELIVERED");
    Enqueued sent =
        received.stream().filter(e -> e.path().endsWith(host)).findFirst().orElseThrow();
    assertThat(sent.authorization())
        .isEqualTo(
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("nanomdm:nano-key".getBytes(StandardCharsets.UTF_8)));
    assertThat(sent.body())
        .contains("<string>DeviceLock</string>")
        .contains("<string>" + lock + "</string>");

    assertThat(webhook(WEBHOOK_SECRET, lock, "NotNow").status()).isEqualTo(200);
    Thread.sleep(1000);
    assertThat(intake.get("/v1/activities/" + lock).text("state")).isEqualTo("DELIVERED");

    assertThat(webhook(WEBHOOK_SECRET, lock, "Acknowledged").status()).isEqualTo(200);
    awaitState(lock, "SUCCEEDED");
  }

  @Test
  void anMdmErrorEndsTheActivityFailed() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String commandUuid = UUID.randomUUID().toString();
    String raw =
        Base64.getEncoder()
            .encodeToString("<plist>restart</plist>".getBytes(StandardCharsets.UTF_8));
    String id =
        intake
            .post(
                "/v1/hosts/" + host + "/activities",
                "{\"type\":\"mdm_command\",\"payload\":{\"platform\":\"apple\",\"request_type\":\"RestartDevice\","
                    + "\"command_uuid\":\""
                    + commandUuid
                    + "\",\"raw_command\":\""
                    + raw
                    + "\"}}")
            .text("activity_id");
    awaitState(id, "DELIVERED");

    webhook(WEBHOOK_SECRET, commandUuid, "Error");

    awaitState(id, "FAILED");
    assertThat(
            received.stream().filter(e -> e.path().endsWith(host)).findFirst().orElseThrow().body())
        .isEqualTo("<plist>restart</plist>");
  }

  @Test
  void aWebhookWithoutTheSecretIsRefused() throws Exception {
    assertThat(webhook("wrong-secret", UUID.randomUUID().toString(), "Acknowledged").status())
        .isEqualTo(401);
  }
}

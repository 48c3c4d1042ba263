package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.InlineScriptRunPayload;
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

/**
 * Resends within the idempotency window, on a sequencer with a short memory (finished activities
 * forgotten after 2 s) and short lanes (2 upcoming at most), so that what the sequencer no longer
 * knows must be known by intake.
 */
@ExtendWith(LineupInfrastructure.class)
class IntakeAdmissionTest {

  private static final String ADMIN = "admission-admin-token-0123456789";
  private static final Duration SEQUENCER_MEMORY = Duration.ofSeconds(2);
  private static LineupServices services;
  private static LineupClient intake;
  private static RequestsTopic requests;
  private static EmbeddedDatabase database;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase db) throws Exception {
    database = db;
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                db,
                Files.createTempDirectory("admission-state"),
                ADMIN,
                "admission-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of(
                    "lineup.sequencer.finished-retention",
                    SEQUENCER_MEMORY.toMillis() + "ms",
                    "lineup.sequencer.max-upcoming-per-lane",
                    2)));
    services.awaitHealthy(Duration.ofMinutes(2));
    intake =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
    requests = new RequestsTopic(kafka.bootstrapServers());
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  private static String host() {
    return "host-" + UUID.randomUUID();
  }

  private static ActivityRequest script(String host, String id, String script) {
    return ActivityRequest.newBuilder()
        .setActivityId(id)
        .setHostId(host)
        .setType(ActivityType.SCRIPT_RUN)
        .setPayload(InlineScriptRunPayload.newBuilder().setScript(script).build())
        .build();
  }

  private static void awaitState(String id, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo(state));
  }

  @Test
  void aRequestResentAfterTheSequencerForgotItIsANoOp() throws Exception {
    String host = host();
    String wipeLike = UUID.randomUUID().toString();
    String next = UUID.randomUUID().toString();
    intake.post("/v1/hosts/" + host + "/pause", "");
    requests.send(script(host, wipeLike, "echo once only"));
    awaitState(wipeLike, "QUEUED");
    intake.delete("/v1/hosts/" + host + "/activities/" + wipeLike);
    awaitState(wipeLike, "CANCELLED");
    Thread.sleep(SEQUENCER_MEMORY.plusSeconds(2).toMillis());
    intake.post("/v1/hosts/" + host + "/resume", "");

    requests.send(script(host, wipeLike, "echo once only"));
    requests.send(script(host, next, "echo next"));

    // The door reads a host's requests in order: once the next one runs, the resend was handled.
    awaitState(next, "RELEASED");
    assertThat(intake.get("/v1/activities/" + wipeLike).text("state")).isEqualTo("CANCELLED");
    assertThat(requests.releasesOf(wipeLike, host)).isZero();
  }

  @Test
  void anActivityRejectedForAFullLaneAndResentIsNotRun() throws Exception {
    String host = host();
    String rejected = UUID.randomUUID().toString();
    String next = UUID.randomUUID().toString();
    intake.post("/v1/hosts/" + host + "/pause", "");
    for (int i = 0; i < 2; i++) {
      intake.post(
          "/v1/hosts/" + host + "/activities",
          "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo fill " + i + "\"}}");
    }
    requests.send(script(host, rejected, "echo too many"));
    awaitState(rejected, "REJECTED");
    assertThat(intake.get("/v1/activities/" + rejected).text("reason")).isEqualTo("QUEUE_FULL");
    intake.delete("/v1/hosts/" + host + "/activities?state=upcoming");
    intake.post("/v1/hosts/" + host + "/resume", "");

    requests.send(script(host, rejected, "echo too many"));
    var overHttp =
        intake.post(
            "/v1/hosts/" + host + "/activities",
            "{\"activity_id\":\""
                + rejected
                + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo too many\"}}");
    requests.send(script(host, next, "echo next"));

    assertThat(overHttp.status()).isEqualTo(202);
    assertThat(overHttp.text("state")).isEqualTo("REJECTED");
    awaitState(next, "RELEASED");
    assertThat(intake.get("/v1/activities/" + rejected).text("state")).isEqualTo("REJECTED");
    assertThat(requests.releasesOf(rejected, host)).isZero();
  }

  @Test
  void anIdWhoseClaimWasForgottenStaysWithItsHostOnBothFrontDoors() throws Exception {
    String owner = host();
    String other = host();
    String id = UUID.randomUUID().toString();
    requests.send(script(owner, id, "echo mine"));
    awaitState(id, "RELEASED");
    // The idempotency window closed on the id: its claim is purged, the ledger still has it.
    try (var c =
            DriverManager.getConnection(
                database.jdbcUrl(LineupServices.INTAKE_DATABASE), database.user(), "");
        var s = c.prepareStatement("DELETE FROM activity_claims WHERE activity_id = ?")) {
      s.setString(1, id);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }

    var overHttp =
        intake.post(
            "/v1/hosts/" + other + "/activities",
            "{\"activity_id\":\""
                + id
                + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo theirs\"}}");
    requests.send(script(other, id, "echo theirs"));

    assertThat(overHttp.status()).isEqualTo(409);
    assertThat(overHttp.text("reason")).isEqualTo("ID_CONFLICT");
    assertThat(requests.deadLetterReason(other)).hasValueSatisfying(r -> r.contains("ID_CONFLICT"));
    assertThat(intake.get("/v1/activities/" + id).text("host_id")).isEqualTo(owner);
    assertThat(requests.releasesOf(id, other)).isZero();
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyAfterAServerFailureIsEnqueued() throws Exception {
    String host = host();
    String body =
        "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo " + UUID.randomUUID() + "\"}}";
    // A real failure of the database, for one moment: storing the inline script is refused.
    try (var c =
            DriverManager.getConnection(
                database.jdbcUrl(LineupServices.INTAKE_DATABASE), database.user(), "");
        var s = c.createStatement()) {
      s.execute(
          "CREATE FUNCTION refuse_content() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$ BEGIN RAISE EXCEPTION 'content store unavailable'; END $$");
      s.execute(
          "CREATE TRIGGER refuse_content BEFORE INSERT ON contents"
              + " FOR EACH ROW EXECUTE FUNCTION refuse_content()");
      var failed =
          intake.post("/v1/hosts/" + host + "/activities", body, "Idempotency-Key", "run-1");
      assertThat(failed.status()).isEqualTo(500);
      s.execute("DROP TRIGGER refuse_content ON contents");
    }

    var retried =
        intake.post("/v1/hosts/" + host + "/activities", body, "Idempotency-Key", "run-1");

    assertThat(retried.status()).isEqualTo(202);
    awaitState(retried.text("activity_id"), "RELEASED");
  }
}

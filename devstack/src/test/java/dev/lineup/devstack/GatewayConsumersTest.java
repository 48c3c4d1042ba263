package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicProbe;
import dev.lineup.schemas.Topics;
import io.micronaut.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's consumers against input the sequencer would never write, and orders it may well
 * produce: a record that does not decode, a release whose values PostgreSQL refuses, a cancel seen
 * before its release. None stops a consumer, and no cancelled attempt reaches an agent. Revocations
 * are kept while a release could still come, and forgotten after their retention.
 */
@ExtendWith(LineupInfrastructure.class)
class GatewayConsumersTest {

  private static final String ADMIN = "consumers-admin-token-0123456789";
  private static final String ENROLL = "consumers-enroll-secret-0123456789";
  private static final String RELEASED_GROUP = "lineup-gateway";
  private static final String REVOCATIONS_GROUP = "lineup-gateway-revocations";
  private static LineupServices services;
  private static LineupClient intake;
  private static LineupClient gateway;
  private static TopicProbe topics;
  private static EmbeddedDatabase db;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("consumers-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                // The purge looks every second here (an hour by default), so a test can watch it.
                Map.of("lineup.gateway.revocation-purge-interval", "1s")));
    db = database;
    services.awaitHealthy(Duration.ofMinutes(2));
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    intake = new LineupClient(services.intakeUrl(), ADMIN, json);
    gateway = new LineupClient(services.gatewayUrl(), null, json);
    topics = new TopicProbe(kafka.bootstrapServers());
  }

  @AfterAll
  static void stop() {
    if (topics != null) {
      topics.close();
    }
    if (services != null) {
      services.close();
    }
  }

  private static LineupClient agentFor(String host) throws Exception {
    var enrolled =
        gateway.post(
            "/v1/agent/enroll",
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}");
    assertThat(enrolled.status()).isEqualTo(200);
    return gateway.as(enrolled.text("host_token"));
  }

  private static String enqueueScript(String host) throws Exception {
    return intake
        .post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo next\"}}")
        .text("activity_id");
  }

  private static ReleasedActivity scriptRelease(String host, Instant leaseExpiresAt) {
    return TopicProbe.released(
        TopicProbe.activity(
            host,
            ActivityType.SCRIPT_RUN,
            Channel.SCRIPT,
            ScriptRunPayload.newBuilder().setScriptSha256("ab".repeat(32)).build()),
        leaseExpiresAt);
  }

  @Test
  void aGarbageReleaseIsDeadLetteredWithItsReasonAndTheNextTaskStillReachesItsAgent()
      throws Exception {
    String host = "garbage-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);

    var garbage =
        topics.write(
            Topics.RELEASED_SCRIPT.name(),
            host,
            "not an avro record".getBytes(StandardCharsets.UTF_8));
    String next = enqueueScript(host);

    var dead = topics.awaitDeadLetter(Topics.GATEWAY_DLQ.name(), garbage);
    assertThat(TopicProbe.header(dead, "lineup.dlq.reason")).startsWith("undecodable");
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not an avro record");
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.status()).isEqualTo(200);
    assertThat(task.text("activity_id")).isEqualTo(next);
  }

  @Test
  void aReleaseWhoseLeasePostgresRefusesIsDeadLetteredAndOtherHostsGetTheirTasks()
      throws Exception {
    String badHost = "far-lease-host-" + UUID.randomUUID();
    String otherHost = "other-host-" + UUID.randomUUID();
    LineupClient bad = agentFor(badHost);
    LineupClient other = agentFor(otherHost);

    // Year 300000: an Instant, a valid Avro timestamp, beyond PostgreSQL's timestamptz.
    var refused =
        topics.write(
            Topics.RELEASED_SCRIPT,
            badHost,
            scriptRelease(badHost, Instant.parse("+300000-01-01T00:00:00Z")));
    String next = enqueueScript(otherHost);

    var dead = topics.awaitDeadLetter(Topics.GATEWAY_DLQ.name(), refused);
    assertThat(TopicProbe.header(dead, "lineup.dlq.reason")).isNotBlank();
    assertThat(TopicProbe.header(dead, "lineup.dlq.consumer")).isEqualTo("gateway-released");
    var task = other.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.status()).isEqualTo(200);
    assertThat(task.text("activity_id")).isEqualTo(next);
    assertThat(bad.get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
  }

  @Test
  void aTaskWhoseCancelIsSeenBeforeItsReleaseIsNeverHandedOut() throws Exception {
    String host = "cancel-first-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    ReleasedActivity release = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));

    // The gateway's revocations consumer reads the cancel before its released consumer reads the
    // release: they are different consumers of different topics.
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.EVENTS, host, TopicProbe.cancelled(release)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, release));

    assertThat(agent.get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
    String next = enqueueScript(host);
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.text("activity_id")).isEqualTo(next);
  }

  @Test
  void anIdRunAgainAfterTheIdempotencyWindowIsHandedOutAgain() throws Exception {
    String host = "rerun-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    ReleasedActivity first = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, first));
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.status()).isEqualTo(200);
    assertThat(
            agent
                .as(task.text("task_token"))
                .post(
                    "/v1/agent/tasks/" + task.text("activity_id") + "/result",
                    "{\"outcome\":\"succeeded\",\"exit_code\":0}")
                .status())
        .isEqualTo(200);

    // The same id and attempt, accepted again a month later: the sequencer forgot the first run.
    ReleasedActivity again = ReleasedActivity.newBuilder(first).build();
    again
        .getActivity()
        .setAcceptedAt(first.getActivity().getAcceptedAt().plus(Duration.ofDays(31)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, again));
    // A replay of the first run's release changes nothing.
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, first));

    var rerun = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(rerun.status()).isEqualTo(200);
    assertThat(rerun.text("activity_id")).isEqualTo(first.getActivity().getActivityId());
    assertThat(agent.get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
  }

  @Test
  void aRevocationIsForgottenOnceItsRetentionHasPassedAndARecentOneIsKept() throws Exception {
    String host = "revoked-long-ago-" + UUID.randomUUID();
    ReleasedActivity longAgo = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    ReleasedActivity recent = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.EVENTS, host, TopicProbe.cancelled(longAgo)));
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.EVENTS, host, TopicProbe.cancelled(recent)));
    assertThat(revocations(longAgo)).isEqualTo(1);

    // Recorded nine days ago: past the retention (8 days), itself past the longest lease (7 days),
    // so no release of that activity could still be handed out.
    gatewayDatabase(
        "UPDATE revocations SET revoked_at = now() - interval '9 days' WHERE activity_id = ?",
        longAgo.getActivity().getActivityId());

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(revocations(longAgo)).isZero());
    assertThat(revocations(recent)).isEqualTo(1);
  }

  private static int revocations(ReleasedActivity released) throws Exception {
    try (var c =
            java.sql.DriverManager.getConnection(
                db.jdbcUrl(LineupServices.GATEWAY_DATABASE), db.user(), "");
        var s = c.prepareStatement("SELECT count(*) FROM revocations WHERE activity_id = ?")) {
      s.setString(1, released.getActivity().getActivityId());
      try (var rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void gatewayDatabase(String sql, String activityId) throws Exception {
    try (var c =
            java.sql.DriverManager.getConnection(
                db.jdbcUrl(LineupServices.GATEWAY_DATABASE), db.user(), "");
        var s = c.prepareStatement(sql)) {
      s.setString(1, activityId);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }
  }
}

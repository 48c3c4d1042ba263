package dev.lineup.gateway;

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
import dev.lineup.gateway.delivery.Deliveries;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The gateway's consumers against input the sequencer would never write, and orders it may well
 * produce: a record that does not decode, a release whose values PostgreSQL refuses, a cancel seen
 * before its release. None stops a consumer, and no cancelled attempt reaches an agent. Revocations
 * are kept while a release could still come, and forgotten after their retention.
 *
 * <p>The gateway alone, on a real broker and PostgreSQL: this test plays the sequencer (it writes
 * releases and revocations) and the agent (it speaks the agent API).
 */
@ExtendWith(LineupInfrastructure.class)
class GatewayConsumersTest {

  private static final String RELEASED_GROUP = "lineup-gateway";
  private static final String REVOCATIONS_GROUP = "lineup-gateway-revocations";
  private static GatewayAlone gateway;
  private static TopicProbe topics;
  private static EmbeddedDatabase db;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    db = database;
    // The purges look every second here (an hour by default), so a test can watch them.
    gateway =
        GatewayAlone.start(
            kafka,
            database,
            Map.of(
                "lineup.gateway.revocation-purge-interval", "1s",
                "lineup.gateway.delivery-purge-interval", "1s"));
    topics = new TopicProbe(kafka.bootstrapServers());
  }

  @AfterAll
  static void stop() {
    if (topics != null) {
      topics.close();
    }
    if (gateway != null) {
      gateway.close();
    }
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

  /** A script released to {@code host} as the sequencer would, with a lease of an hour. */
  private static String releaseScript(String host) throws Exception {
    ReleasedActivity release = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    topics.write(Topics.RELEASED_SCRIPT, host, release);
    return release.getActivity().getActivityId();
  }

  private static Map<String, Object> task(String hostToken, int waitSeconds) throws Exception {
    var answer = gateway.next(hostToken, waitSeconds);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return gateway.json(answer.body());
  }

  private static int noTaskStatus(String hostToken) throws Exception {
    return gateway.next(hostToken, 0).statusCode();
  }

  @Test
  void aGarbageReleaseIsDeadLetteredWithItsReasonAndTheNextTaskStillReachesItsAgent()
      throws Exception {
    String host = "garbage-host-" + UUID.randomUUID();
    String agent = gateway.enroll(host);

    var garbage =
        topics.write(
            Topics.RELEASED_SCRIPT.name(),
            host,
            "not an avro record".getBytes(StandardCharsets.UTF_8));
    String next = releaseScript(host);

    var dead = topics.awaitDeadLetter(Topics.GATEWAY_DLQ.name(), garbage);
    assertThat(TopicProbe.header(dead, DeadLetterHeaders.REASON)).startsWith("undecodable");
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not an avro record");
    assertThat(task(agent, 20).get("activity_id")).isEqualTo(next);
  }

  @Test
  void aReleaseWhoseLeasePostgresRefusesIsDeadLetteredAndOtherHostsGetTheirTasks()
      throws Exception {
    String badHost = "far-lease-host-" + UUID.randomUUID();
    String otherHost = "other-host-" + UUID.randomUUID();
    String bad = gateway.enroll(badHost);
    String other = gateway.enroll(otherHost);

    // Year 300000: an Instant, a valid Avro timestamp, beyond PostgreSQL's timestamptz.
    var refused =
        topics.write(
            Topics.RELEASED_SCRIPT,
            badHost,
            scriptRelease(badHost, Instant.parse("+300000-01-01T00:00:00Z")));
    String next = releaseScript(otherHost);

    var dead = topics.awaitDeadLetter(Topics.GATEWAY_DLQ.name(), refused);
    assertThat(TopicProbe.header(dead, DeadLetterHeaders.REASON)).isNotBlank();
    assertThat(TopicProbe.header(dead, DeadLetterHeaders.CONSUMER)).isEqualTo("gateway-released");
    assertThat(task(other, 20).get("activity_id")).isEqualTo(next);
    assertThat(noTaskStatus(bad)).isEqualTo(204);
  }

  @Test
  void aGarbageRevocationIsDeadLetteredAndTheCancelAfterItStillRevokes() throws Exception {
    String host = "garbage-revocation-host-" + UUID.randomUUID();
    String agent = gateway.enroll(host);
    ReleasedActivity release = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));

    var garbage =
        topics.write(
            Topics.REVOCATIONS.name(), host, "not an avro record".getBytes(StandardCharsets.UTF_8));
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.REVOCATIONS, host, TopicProbe.cancelled(release)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, release));

    var dead = topics.awaitDeadLetter(Topics.GATEWAY_DLQ.name(), garbage);
    assertThat(TopicProbe.header(dead, DeadLetterHeaders.REASON)).startsWith("undecodable");
    assertThat(TopicProbe.header(dead, DeadLetterHeaders.CONSUMER)).isEqualTo("task-revocations");
    assertThat(noTaskStatus(agent)).isEqualTo(204);
  }

  @Test
  void aTaskWhoseCancelIsSeenBeforeItsReleaseIsNeverHandedOut() throws Exception {
    String host = "cancel-first-host-" + UUID.randomUUID();
    String agent = gateway.enroll(host);
    ReleasedActivity release = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));

    // The gateway's revocations consumer reads the cancel before its released consumer reads the
    // release: they are different consumers of different topics.
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.REVOCATIONS, host, TopicProbe.cancelled(release)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, release));

    assertThat(noTaskStatus(agent)).isEqualTo(204);
    String next = releaseScript(host);
    assertThat(task(agent, 20).get("activity_id")).isEqualTo(next);
  }

  @Test
  void anIdRunAgainAfterTheIdempotencyWindowIsHandedOutAgain() throws Exception {
    String host = "rerun-host-" + UUID.randomUUID();
    String agent = gateway.enroll(host);
    ReleasedActivity first = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, first));
    var task = task(agent, 20);
    assertThat(gateway.report(task, "{\"outcome\":\"succeeded\",\"exit_code\":0}").statusCode())
        .isEqualTo(200);

    // The same id and attempt, accepted again a month later: the sequencer forgot the first run.
    ReleasedActivity again = ReleasedActivity.newBuilder(first).build();
    again
        .getActivity()
        .setAcceptedAt(first.getActivity().getAcceptedAt().plus(Duration.ofDays(31)));
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, again));
    // A replay of the first run's release changes nothing.
    topics.awaitConsumed(RELEASED_GROUP, topics.write(Topics.RELEASED_SCRIPT, host, first));

    assertThat(task(agent, 20).get("activity_id")).isEqualTo(first.getActivity().getActivityId());
    assertThat(noTaskStatus(agent)).isEqualTo(204);
  }

  /**
   * A poll's releases are recorded by one statement, which may not touch a row twice: an attempt
   * that comes again in the same poll (a replay, or its next run) must end as reading them one by
   * one would have left it.
   */
  @Test
  void aPollWithAnAttemptTwiceRecordsItOnceAsOneByOneWould() throws Exception {
    String host = "one-poll-host-" + UUID.randomUUID();
    String agent = gateway.enroll(host);
    // To the millisecond, as they come off the topic.
    Instant lease = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
    ReleasedActivity first = scriptRelease(host, lease);
    ReleasedActivity nextRun = ReleasedActivity.newBuilder(first).build();
    nextRun
        .getActivity()
        .setAcceptedAt(first.getActivity().getAcceptedAt().plus(Duration.ofDays(31)));
    ReleasedActivity other = scriptRelease(host, Instant.now().plus(Duration.ofHours(2)));
    var gatewayDb = new PGSimpleDataSource();
    gatewayDb.setUrl(db.jdbcUrl(GatewayAlone.DATABASE));
    gatewayDb.setUser(db.user());

    new Deliveries(gatewayDb).record(List.of(first, first, nextRun, first, other));

    String id = first.getActivity().getActivityId();
    try (var c = gatewayDb.getConnection();
        var s =
            c.prepareStatement(
                "SELECT accepted_at, released_at, lease_expires_at FROM deliveries"
                    + " WHERE activity_id = ?")) {
      s.setString(1, id);
      try (var rs = s.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getTimestamp(1).toInstant()).isEqualTo(nextRun.getActivity().getAcceptedAt());
        assertThat(rs.getTimestamp(2).toInstant()).isEqualTo(nextRun.getReleasedAt());
        assertThat(rs.getTimestamp(3).toInstant()).isEqualTo(nextRun.getLeaseExpiresAt());
        assertThat(rs.next()).as("one row for the attempt").isFalse();
      }
    }
    assertThat(Set.of(task(agent, 20).get("activity_id"), task(agent, 20).get("activity_id")))
        .containsExactlyInAnyOrder(id, other.getActivity().getActivityId());
    assertThat(noTaskStatus(agent)).isEqualTo(204);
  }

  @Test
  void aRevocationIsForgottenOnceItsRetentionHasPassedAndARecentOneIsKept() throws Exception {
    String host = "revoked-long-ago-" + UUID.randomUUID();
    ReleasedActivity longAgo = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    ReleasedActivity recent = scriptRelease(host, Instant.now().plus(Duration.ofHours(1)));
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.REVOCATIONS, host, TopicProbe.cancelled(longAgo)));
    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.REVOCATIONS, host, TopicProbe.cancelled(recent)));
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

  @Test
  void aDeliveryIsForgottenOnceItsRetentionHasPassedAndItIsDoneWithAndNoOtherIs() throws Exception {
    String host = "delivered-long-ago-" + UUID.randomUUID();
    String finishedLongAgo = releaseScript(host);
    String lapsedLongAgo = releaseScript(host);
    String runningLongAgo = releaseScript(host);
    String finishedRecently = releaseScript(host);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        deliveries(finishedLongAgo)
                            + deliveries(lapsedLongAgo)
                            + deliveries(runningLongAgo)
                            + deliveries(finishedRecently))
                    .isEqualTo(4));

    // Recorded nine days ago, past the retention (8 days): one reported, one whose lease lapsed
    // unclaimed, and one still running because its agent's heartbeats kept extending its lease.
    gatewayDatabase(
        "UPDATE deliveries SET recorded_at = now() - interval '9 days', state = 'REPORTED',"
            + " finished_at = now() - interval '9 days' WHERE activity_id = ?",
        finishedLongAgo);
    gatewayDatabase(
        "UPDATE deliveries SET recorded_at = now() - interval '9 days',"
            + " lease_expires_at = now() - interval '8 days' WHERE activity_id = ?",
        lapsedLongAgo);
    gatewayDatabase(
        "UPDATE deliveries SET recorded_at = now() - interval '9 days', state = 'DELIVERED'"
            + " WHERE activity_id = ?",
        runningLongAgo);
    gatewayDatabase(
        "UPDATE deliveries SET state = 'REPORTED', finished_at = now() WHERE activity_id = ?",
        finishedRecently);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> assertThat(deliveries(finishedLongAgo) + deliveries(lapsedLongAgo)).isZero());
    assertThat(deliveries(runningLongAgo)).as("a task still running").isEqualTo(1);
    assertThat(deliveries(finishedRecently)).as("a recent one").isEqualTo(1);
  }

  private static int deliveries(String activityId) throws Exception {
    try (var c = DriverManager.getConnection(db.jdbcUrl(GatewayAlone.DATABASE), db.user(), "");
        var s = c.prepareStatement("SELECT count(*) FROM deliveries WHERE activity_id = ?")) {
      s.setString(1, activityId);
      try (var rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static int revocations(ReleasedActivity released) throws Exception {
    try (var c = DriverManager.getConnection(db.jdbcUrl(GatewayAlone.DATABASE), db.user(), "");
        var s = c.prepareStatement("SELECT count(*) FROM revocations WHERE activity_id = ?")) {
      s.setString(1, released.getActivity().getActivityId());
      try (var rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void gatewayDatabase(String sql, String activityId) throws Exception {
    try (var c = DriverManager.getConnection(db.jdbcUrl(GatewayAlone.DATABASE), db.user(), "");
        var s = c.prepareStatement(sql)) {
      s.setString(1, activityId);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }
  }
}

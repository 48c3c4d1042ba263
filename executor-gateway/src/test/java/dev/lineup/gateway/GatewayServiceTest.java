package dev.lineup.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicReader;
import dev.lineup.embedded.TopicWriter;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway as a service of its own, on a real broker and a real PostgreSQL, with nothing else of
 * Lineup running: this test plays the sequencer (it writes releases and reads results) and the
 * agent (it speaks the agent API). The stack tests in {@code devstack} build on what holds here.
 */
@ExtendWith(LineupInfrastructure.class)
class GatewayServiceTest {

  private static GatewayAlone gateway;
  private static String bootstrap;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    bootstrap = kafka.bootstrapServers();
    gateway = GatewayAlone.start(kafka, database, Map.of());
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static ReleasedActivity released(String host) {
    Activity activity =
        Activity.newBuilder()
            .setActivityId(UUID.randomUUID().toString())
            .setHostId(host)
            .setType(ActivityType.SCRIPT_RUN)
            .setChannel(Channel.SCRIPT)
            .setInitiator(Initiator.newBuilder().build())
            .setAcceptedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
            .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("a".repeat(64)).build())
            .build();
    return ReleasedActivity.newBuilder()
        .setActivity(activity)
        .setAttempt(1)
        .setReleasedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setLeaseExpiresAt(
            Instant.now().plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.MILLIS))
        .build();
  }

  private static void write(String topic, String key, byte[] value) {
    TopicWriter.write(bootstrap, topic, key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static void release(ReleasedActivity r) throws Exception {
    write(
        Topics.RELEASED_SCRIPT.name(),
        r.getActivity().getHostId(),
        Topics.RELEASED_SCRIPT
            .valueSerde()
            .serializer()
            .serialize(Topics.RELEASED_SCRIPT.name(), r));
  }

  /** Every record of {@code topic} with {@code key}, from the beginning, once at least one is. */
  private static List<ConsumerRecord<byte[], byte[]>> read(String topic, String key) {
    return new TopicReader(bootstrap).await(topic, TopicReader.keyed(key));
  }

  private String enroll(String host) throws Exception {
    return gateway.enroll(host);
  }

  private Map<String, Object> nextTask(String hostToken) throws Exception {
    var answer = gateway.next(hostToken, 20);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return gateway.json(answer.body());
  }

  private static List<ActivityResult> resultsOf(String host) {
    return read(Topics.RESULTS.name(), host).stream()
        .map(r -> Topics.RESULTS.valueSerde().deserializer().deserialize("results", r.value()))
        .toList();
  }

  @Test
  void aReleasedScriptReachesItsAgentAndItsOutcomeIsPublished() throws Exception {
    String host = "gw-host-" + UUID.randomUUID();
    String hostToken = enroll(host);
    ReleasedActivity r = released(host);
    release(r);

    Map<String, Object> task = nextTask(hostToken);
    assertThat(task.get("activity_id")).isEqualTo(r.getActivity().getActivityId());
    assertThat(task.get("payload")).asString().contains("a".repeat(64));
    var reported =
        gateway.report(task, "{\"outcome\":\"failed\",\"exit_code\":3,\"output\":\"no disk\"}");
    assertThat(reported.statusCode()).isEqualTo(200);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(resultsOf(host))
                    .extracting(ActivityResult::getKind)
                    .containsExactly(ResultKind.DELIVERED, ResultKind.FAILED));
    ActivityResult failed = resultsOf(host).get(1);
    assertThat(failed.getActivityId()).isEqualTo(r.getActivity().getActivityId());
    assertThat(failed.getAttempt()).isEqualTo(1);
    assertThat(failed.getExitCode()).isEqualTo(3);
    // This gateway runs without intake (port 9): it cannot read the task's script to know which
    // secrets to mask in its output, so the output is withheld rather than risked. With intake up,
    // the output passes (AgentApiTest) and secrets in it are masked (SecretsTest).
    assertThat(failed.getOutput()).startsWith("[output withheld");
  }

  @Test
  void aReleaseThatDoesNotDecodeIsDeadLetteredAndTheNextStillReachesItsAgent() throws Exception {
    String host = "gw-host-" + UUID.randomUUID();
    String hostToken = enroll(host);
    write(Topics.RELEASED_SCRIPT.name(), host, new byte[] {0, 1, 2, 3, 4});
    ReleasedActivity next = released(host);
    release(next);

    assertThat(nextTask(hostToken).get("activity_id"))
        .isEqualTo(next.getActivity().getActivityId());
    var dead = read(Topics.GATEWAY_DLQ.name(), host);
    assertThat(dead).hasSize(1);
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isNotBlank();
    assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_TOPIC))
        .isEqualTo(Topics.RELEASED_SCRIPT.name());
    assertThat(dead.get(0).value()).containsExactly(0, 1, 2, 3, 4);
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}

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
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

  private static final String ENROLL = "gateway-enroll-secret-0123456789";
  private static ApplicationContext gateway;
  private static URI url;
  private static String bootstrap;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    bootstrap = kafka.bootstrapServers();
    database.ensureDatabase("lineup_gateway");
    gateway =
        ApplicationContext.builder()
            .environments(GatewayApplication.ENVIRONMENT)
            .deduceEnvironment(false)
            .banner(false)
            .properties(
                Map.of(
                    "micronaut.server.port",
                    -1,
                    "micronaut.server.host",
                    "127.0.0.1",
                    "lineup.kafka.bootstrap-servers",
                    bootstrap,
                    "lineup.admin-token",
                    "gateway-admin-token-0123456789",
                    "lineup.enroll-secret",
                    ENROLL,
                    "lineup.gateway.database.url",
                    database.jdbcUrl("lineup_gateway"),
                    "lineup.gateway.database.user",
                    database.user(),
                    // No intake here: only content fetches would call it, and none happen.
                    "lineup.gateway.intake-url",
                    "http://127.0.0.1:9"))
            .start();
    EmbeddedServer server = gateway.getBean(EmbeddedServer.class).start();
    url = server.getURI();
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

  private static void write(String topic, String key, byte[] value) throws Exception {
    try (var producer =
        new KafkaProducer<>(
            Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }
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
    List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(
            Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                  if (new String(r.key(), StandardCharsets.UTF_8).equals(key)) {
                    found.add(r);
                  }
                }
                return !found.isEmpty();
              });
      // What arrived with the first, a little longer.
      consumer
          .poll(Duration.ofMillis(500))
          .forEach(
              r -> {
                if (new String(r.key(), StandardCharsets.UTF_8).equals(key)) {
                  found.add(r);
                }
              });
    }
    return found;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String enroll(String host) throws Exception {
    var answer =
        send(
            HttpRequest.newBuilder(url.resolve("/v1/agent/enroll"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}")));
    assertThat(answer.statusCode()).isEqualTo(200);
    return (String) json(answer.body()).get("host_token");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(String body) throws Exception {
    return gateway.getBean(JsonMapper.class).readValue(body, Map.class);
  }

  private Map<String, Object> nextTask(String hostToken) throws Exception {
    var answer =
        send(
            HttpRequest.newBuilder(url.resolve("/v1/agent/tasks/next?wait=20"))
                .header("Authorization", "Bearer " + hostToken));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return json(answer.body());
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
        send(
            HttpRequest.newBuilder(
                    url.resolve("/v1/agent/tasks/" + task.get("activity_id") + "/result"))
                .header("Authorization", "Bearer " + task.get("task_token"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"outcome\":\"failed\",\"exit_code\":3,\"output\":\"no disk\"}")));
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
    assertThat(failed.getOutput()).isEqualTo("no disk");
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

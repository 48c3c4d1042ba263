package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The intake API on the real services, broker and PostgreSQL: success and error paths. */
@ExtendWith(LineupInfrastructure.class)
class IntakeApiTest {

  private static final String ADMIN = "intake-admin-token-0123456789";
  private static LineupServices services;
  private static LineupClient intake;
  private static EmbeddedDatabase database;
  private static String kafkaBootstrap;
  private static RequestsTopic requestsTopic;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase db) throws Exception {
    database = db;
    kafkaBootstrap = kafka.bootstrapServers();
    requestsTopic = new RequestsTopic(kafkaBootstrap);
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("intake-state"),
                ADMIN,
                "intake-enroll-secret-0123456789",
                0,
                0,
                0,
                // The racing test sends hundreds of requests a second with one token.
                Map.of(
                    "lineup.rate-limit.per-second", 100_000, "lineup.rate-limit.burst", 100_000)));
    services.awaitHealthy(Duration.ofMinutes(2));
    intake =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
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

  private static LineupClient.Answer enqueueScript(String host, String script) throws Exception {
    return intake.post(
        "/v1/hosts/" + host + "/activities",
        "{\"type\":\"script_run\",\"payload\":{\"script\":\"" + script + "\"}}");
  }

  private static void awaitState(String id, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo(state));
  }

  @Nested
  class Enqueue {

    @Test
    void anEnqueueIsReadableRightAfterItsAccepted() throws Exception {
      var accepted = enqueueScript(host(), "echo hi");

      var read = intake.get("/v1/activities/" + accepted.text("activity_id"));

      assertThat(accepted.status()).isEqualTo(202);
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.body()).containsEntry("type", "script_run").containsKey("created_at");
    }

    @Test
    void anInvalidRequestNamesEveryInvalidFieldInProblemJson() throws Exception {
      var answer =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"software_install\",\"payload\":{\"version\":\"1\"},"
                  + "\"depends_on\":[\"not-a-uuid\"],\"lane\":\"bypass\"}");

      assertThat(answer.status()).isEqualTo(400);
      assertThat(intake.contentType).isEqualTo("application/problem+json");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> errors = (List<Map<String, Object>>) answer.body().get("errors");
      assertThat(errors)
          .extracting(e -> e.get("field"))
          .contains("payload.installer_id", "payload.download_ref", "depends_on[0]", "lane");
    }

    @Test
    void anMdmCommandWithoutCommandUuidNorOneInItsRawCommandIsA400NamingTheField()
        throws Exception {
      String syncMl =
          java.util.Base64.getEncoder()
              .encodeToString(
                  "<SyncML><SyncBody><Exec><CmdID>1</CmdID></Exec></SyncBody></SyncML>"
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));

      var answer =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"mdm_command\",\"payload\":{\"platform\":\"windows\","
                  + "\"request_type\":\"Exec\",\"raw_command\":\""
                  + syncMl
                  + "\"}}");

      assertThat(answer.status()).isEqualTo(400);
      assertThat(intake.contentType).isEqualTo("application/problem+json");
      assertThat(invalidFields(answer)).containsExactly("payload.command_uuid");
    }

    @Test
    void anUnknownTypeIsRefusedWithTheAllowedOnes() throws Exception {
      var answer =
          intake.post(
              "/v1/hosts/" + host() + "/activities", "{\"type\":\"reboot\",\"payload\":{}}");

      assertThat(answer.status()).isEqualTo(400);
      assertThat(answer.body().toString()).contains("script_run").contains("lock");
    }

    @Test
    void theSameActivityIdTwiceIsOneActivity() throws Exception {
      String host = host();
      String id = UUID.randomUUID().toString();
      String body = "{\"activity_id\":\"" + id + "\",\"type\":\"lock\",\"payload\":{}}";

      var first = intake.post("/v1/hosts/" + host + "/activities", body);
      var second = intake.post("/v1/hosts/" + host + "/activities", body);

      assertThat(first.text("activity_id")).isEqualTo(id);
      assertThat(second.text("activity_id")).isEqualTo(id);
      awaitState(id, "RELEASED");
      assertThat(
              intake
                  .get("/v1/hosts/" + host + "/activities?state=upcoming")
                  .body()
                  .get("activities"))
          .asList()
          .hasSize(1);
    }
  }

  @Nested
  class Idempotency {

    @Test
    void theSameKeyAndBodyAnswerTheSameActivity() throws Exception {
      String host = host();
      String body = "{\"type\":\"lock\",\"payload\":{}}";

      var first =
          intake.post("/v1/hosts/" + host + "/activities", body, "Idempotency-Key", "lock-1");
      var again =
          intake.post("/v1/hosts/" + host + "/activities", body, "Idempotency-Key", "lock-1");

      assertThat(first.status()).isEqualTo(202);
      assertThat(again.status()).isEqualTo(202);
      assertThat(again.text("activity_id")).isEqualTo(first.text("activity_id"));
    }

    @Test
    void theSameKeyWithAnotherBodyIsA409() throws Exception {
      String host = host();
      intake.post(
          "/v1/hosts/" + host + "/activities",
          "{\"type\":\"lock\",\"payload\":{}}",
          "Idempotency-Key",
          "k-2");

      var other =
          intake.post(
              "/v1/hosts/" + host + "/activities",
              "{\"type\":\"wipe\",\"payload\":{}}",
              "Idempotency-Key",
              "k-2");

      assertThat(other.status()).isEqualTo(409);
    }

    @Test
    void withoutAKeyTwoRequestsAreTwoActivities() throws Exception {
      String host = host();
      var one = enqueueScript(host, "echo a");
      var two = enqueueScript(host, "echo a");

      assertThat(one.text("activity_id")).isNotEqualTo(two.text("activity_id"));
    }
  }

  @Nested
  class Batches {

    @Test
    void aBatchAcrossHostsIsAcceptedAndTrackedAsAGroup() throws Exception {
      String a = host();
      String b = host();
      var batch =
          intake.post(
              "/v1/batches",
              "{\"activities\":["
                  + "{\"host_id\":\""
                  + a
                  + "\",\"type\":\"lock\",\"payload\":{}},"
                  + "{\"host_id\":\""
                  + a
                  + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo 1\"}},"
                  + "{\"host_id\":\""
                  + b
                  + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo 2\"}}]}");

      assertThat(batch.status()).isEqualTo(202);
      String id = batch.text("batch_id");
      assertThat(batch.body()).containsEntry("size", 3);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                var status = intake.get("/v1/batches/" + id);
                assertThat(status.text("state")).isEqualTo("RUNNING");
                assertThat(status.body().get("counts"))
                    .isEqualTo(Map.of("RELEASED", 2, "QUEUED", 1));
              });
      var listed = intake.get("/v1/hosts/" + a + "/activities?state=upcoming");
      assertThat(listed.body().toString()).contains(id);
    }

    @Test
    void aBatchWithOneInvalidActivityEnqueuesNothing() throws Exception {
      String valid = host();
      var batch =
          intake.post(
              "/v1/batches",
              "{\"activities\":["
                  + "{\"host_id\":\""
                  + valid
                  + "\",\"type\":\"lock\",\"payload\":{}},"
                  + "{\"host_id\":\""
                  + host()
                  + "\",\"type\":\"teleport\",\"payload\":{}}]}");

      assertThat(batch.status()).isEqualTo(400);
      assertThat(batch.body().toString()).contains("activities[1].type");
      Thread.sleep(2000);
      assertThat(
              intake
                  .get("/v1/hosts/" + valid + "/activities?state=upcoming")
                  .body()
                  .get("activities"))
          .asList()
          .isEmpty();
    }

    @Test
    void aProducerThatDiesMidTransactionLeavesNothingVisible() throws Exception {
      String host = host();
      String abandoned = UUID.randomUUID().toString();
      var producer =
          new org.apache.kafka.clients.producer.KafkaProducer<String, dev.lineup.avro.Command>(
              Map.of(
                  "bootstrap.servers",
                  kafkaBootstrap,
                  "transactional.id",
                  "dying-intake-" + UUID.randomUUID(),
                  "transaction.timeout.ms",
                  3000),
              dev.lineup.schemas.Topics.COMMANDS.keySerde().serializer(),
              dev.lineup.schemas.Topics.COMMANDS.valueSerde().serializer());
      producer.initTransactions();
      producer.beginTransaction();
      producer
          .send(
              new org.apache.kafka.clients.producer.ProducerRecord<>(
                  dev.lineup.schemas.Topics.COMMANDS.name(), host, enqueueLock(host, abandoned)))
          .get();
      // The producer "crashes": never commits, never closes. The broker aborts it on timeout.

      String after = UUID.randomUUID().toString();
      var next =
          intake.post(
              "/v1/hosts/" + host + "/activities",
              "{\"activity_id\":\"" + after + "\",\"type\":\"lock\",\"payload\":{}}");
      assertThat(next.status()).isEqualTo(202);
      awaitState(after, "RELEASED");
      assertThat(intake.get("/v1/activities/" + abandoned).status()).isEqualTo(404);
    }

    @Test
    void anUnknownBatchIsA404() throws Exception {
      assertThat(intake.get("/v1/batches/" + UUID.randomUUID()).status()).isEqualTo(404);
    }
  }

  private static dev.lineup.avro.Command enqueueLock(String host, String id) {
    var now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    return dev.lineup.avro.Command.newBuilder()
        .setCommandId(UUID.randomUUID().toString())
        .setHostId(host)
        .setIssuedAt(now)
        .setBody(
            dev.lineup.avro.Enqueue.newBuilder()
                .setActivity(
                    dev.lineup.avro.Activity.newBuilder()
                        .setActivityId(id)
                        .setHostId(host)
                        .setType(dev.lineup.avro.ActivityType.LOCK)
                        .setChannel(dev.lineup.avro.Channel.MDM)
                        .setInitiator(dev.lineup.avro.Initiator.newBuilder().build())
                        .setAcceptedAt(now)
                        .setPayload(dev.lineup.avro.LockPayload.newBuilder().build())
                        .build())
                .build())
        .build();
  }

  @Test
  void theSummaryCountsActivitiesByTypeAndState() throws Exception {
    enqueueScript(host(), "echo counted");

    var summary = intake.get("/v1/summary");

    assertThat(summary.status()).isEqualTo(200);
    assertThat(summary.body().toString()).contains("script_run");
  }

  @Nested
  class FrontDoor {

    private static dev.lineup.avro.ActivityRequest scriptRequest(
        String activityId, String host, Object payload) {
      return dev.lineup.avro.ActivityRequest.newBuilder()
          .setActivityId(activityId)
          .setHostId(host)
          .setType(dev.lineup.avro.ActivityType.SCRIPT_RUN)
          .setPayload(payload)
          .build();
    }

    /** Writes {@code request} to lineup.requests, keyed by its host, and waits for the ack. */
    private static void sendRequest(
        org.apache.kafka.clients.producer.Producer<String, byte[]> producer,
        dev.lineup.avro.ActivityRequest request)
        throws Exception {
      var requests = dev.lineup.schemas.Topics.REQUESTS;
      producer
          .send(
              new org.apache.kafka.clients.producer.ProducerRecord<>(
                  requests.name(),
                  request.getHostId(),
                  requests.valueSerde().serializer().serialize(requests.name(), request)))
          .get();
    }

    @Test
    void aValidRequestBecomesAnActivityAndPoisonOrInvalidOnesGoToTheDeadLetterTopic()
        throws Exception {
      String host = host();
      String poisonHost = host();
      String good = UUID.randomUUID().toString();
      String invalid = UUID.randomUUID().toString();
      try (var producer =
          new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(
              Map.of("bootstrap.servers", kafkaBootstrap),
              new org.apache.kafka.common.serialization.StringSerializer(),
              new org.apache.kafka.common.serialization.ByteArraySerializer())) {
        var requests = dev.lineup.schemas.Topics.REQUESTS;
        producer
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    requests.name(),
                    poisonHost,
                    "not avro at all".getBytes(StandardCharsets.UTF_8)))
            .get();
        sendRequest(
            producer,
            scriptRequest(
                invalid,
                host,
                dev.lineup.avro.ScriptRunPayload.newBuilder()
                    .setScriptSha256("not-a-hash")
                    .build()));
        sendRequest(
            producer,
            scriptRequest(
                good,
                host,
                dev.lineup.avro.InlineScriptRunPayload.newBuilder()
                    .setScript("echo from kafka")
                    .build()));
      }

      awaitState(good, "RELEASED");
      assertThat(intake.get("/v1/activities/" + invalid).status()).isEqualTo(404);

      List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> dead =
          new ArrayList<>();
      try (var consumer =
          new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
              Map.of(
                  "bootstrap.servers",
                  kafkaBootstrap,
                  "isolation.level",
                  "read_committed",
                  "group.id",
                  "dlq-reader-" + UUID.randomUUID(),
                  "auto.offset.reset",
                  "earliest"),
              new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
              new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
        consumer.subscribe(List.of(dev.lineup.schemas.Topics.REQUESTS_DLQ.name()));
        long deadline = System.currentTimeMillis() + 20_000;
        // Other tests of this class dead-letter requests too: only this test's hosts count.
        var ours = java.util.Set.of(host, poisonHost);
        while (dead.size() < 2 && System.currentTimeMillis() < deadline) {
          for (var r : consumer.poll(Duration.ofMillis(200))) {
            if (ours.contains(new String(r.key(), StandardCharsets.UTF_8))) {
              dead.add(r);
            }
          }
        }
      }
      assertThat(dead).hasSize(2);
      // The two came from different partitions: no order between them.
      var poison =
          dead.stream()
              .filter(r -> new String(r.value(), StandardCharsets.UTF_8).equals("not avro at all"))
              .findFirst()
              .orElseThrow();
      var refused = dead.stream().filter(r -> r != poison).findFirst().orElseThrow();
      assertThat(
              dev.lineup.schemas.DeadLetterHeaders.read(
                  poison.headers(), dev.lineup.schemas.DeadLetterHeaders.REASON))
          .startsWith("undecodable");
      assertThat(
              dev.lineup.schemas.DeadLetterHeaders.read(
                  poison.headers(), dev.lineup.schemas.DeadLetterHeaders.SOURCE_TOPIC))
          .isEqualTo("lineup.requests");
      assertThat(
              dev.lineup.schemas.DeadLetterHeaders.read(
                  poison.headers(), dev.lineup.schemas.DeadLetterHeaders.SOURCE_OFFSET))
          .isNotBlank();
      assertThat(
              dev.lineup.schemas.DeadLetterHeaders.read(
                  refused.headers(), dev.lineup.schemas.DeadLetterHeaders.REASON))
          .startsWith("invalid")
          .contains("payload.script_sha256");
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Object> invalidFields(LineupClient.Answer answer) {
    return ((List<Map<String, Object>>) answer.body().getOrDefault("errors", List.of()))
        .stream().map(e -> e.get("field")).toList();
  }

  @Nested
  class Bounds {

    @Test
    void outOfRangeNumbersAndTimesAreA400NamingEachField() throws Exception {
      String twoYearsAhead = java.time.Instant.now().plus(Duration.ofDays(730)).toString();
      var answer =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"lock\",\"payload\":{},\"timeout_ms\":10000000000000000,"
                  + "\"priority\":1000001,\"not_before\":\""
                  + twoYearsAhead
                  + "\",\"retry\":{\"max_attempts\":21,\"backoff_ms\":86400001,"
                  + "\"backoff_multiplier\":11}}");

      assertThat(answer.status()).isEqualTo(400);
      assertThat(intake.contentType).isEqualTo("application/problem+json");
      assertThat(invalidFields(answer))
          .containsExactlyInAnyOrder(
              "timeout_ms",
              "priority",
              "not_before",
              "retry.max_attempts",
              "retry.backoff_ms",
              "retry.backoff_multiplier");
    }

    @Test
    void keysAndActorFieldsMayHoldUpTo1024Characters() throws Exception {
      String max = "k".repeat(1024);
      String over = "k".repeat(1025);

      var atTheLimit =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"lock\",\"payload\":{},\"dedupe_key\":\""
                  + max
                  + "\",\"initiator\":{\"kind\":\"user\",\"actor_id\":\""
                  + max
                  + "\",\"name\":\""
                  + max
                  + "\"}}");
      var overIt =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"lock\",\"payload\":{},\"dedupe_key\":\""
                  + over
                  + "\",\"initiator\":{\"kind\":\"user\",\"actor_id\":\""
                  + over
                  + "\",\"email\":\""
                  + over
                  + "\",\"name\":\""
                  + over
                  + "\",\"avatar_url\":\""
                  + over
                  + "\"}}");

      assertThat(atTheLimit.status()).isEqualTo(202);
      assertThat(overIt.status()).isEqualTo(400);
      assertThat(invalidFields(overIt))
          .containsExactlyInAnyOrder(
              "dedupe_key",
              "initiator.actor_id",
              "initiator.email",
              "initiator.name",
              "initiator.avatar_url");
    }

    @Test
    void controlCharactersInIdentifiersAndNulInTextAreA400NamingTheField() throws Exception {
      var install =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"software_install\",\"dedupe_key\":\"a\\tb\","
                  + "\"payload\":{\"installer_id\":\"zoom\\u0001\",\"version\":\"6\\ud800\","
                  + "\"download_ref\":\"https://dl.example/zoom.pkg\\n\","
                  + "\"pre_install_query\":\"SELECT 1;\\u0000\"}}");
      var lock =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"lock\",\"payload\":{\"message\":\"call IT\\u0000\"},"
                  + "\"initiator\":{\"kind\":\"user\",\"actor_id\":\"u-1\","
                  + "\"name\":\"Ann\\u0000\"}}");
      var multiLine =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"lock\",\"payload\":{\"message\":\"Lost?\\nCall IT.\"}}");

      assertThat(install.status()).isEqualTo(400);
      assertThat(invalidFields(install))
          .containsExactlyInAnyOrder(
              "dedupe_key",
              "payload.installer_id",
              "payload.version",
              "payload.download_ref",
              "payload.pre_install_query");
      assertThat(lock.status()).isEqualTo(400);
      assertThat(invalidFields(lock))
          .containsExactlyInAnyOrder("payload.message", "initiator.name");
      assertThat(multiLine.status()).as("free text may hold a newline").isEqualTo(202);
    }

    @Test
    void aFieldOfTheWrongFormInABatchIsNamedFromTheOutsideIn() throws Exception {
      var batch =
          intake.post(
              "/v1/batches",
              "{\"activities\":[{\"host_id\":\""
                  + host()
                  + "\",\"type\":\"lock\",\"payload\":{}},{\"host_id\":\""
                  + host()
                  + "\",\"type\":\"lock\",\"payload\":{},\"priority\":\"high\"}]}");

      assertThat(batch.status()).isEqualTo(400);
      assertThat(invalidFields(batch)).containsExactly("activities[1].priority");
    }

    @Test
    void anActivityInABatchIsBoundedLikeASingleOne() throws Exception {
      var batch =
          intake.post(
              "/v1/batches",
              "{\"activities\":[{\"host_id\":\""
                  + host()
                  + "\",\"type\":\"lock\",\"payload\":{}},{\"host_id\":\""
                  + host()
                  + "\",\"type\":\"lock\",\"payload\":{},\"timeout_ms\":10000000000000000}]}");

      assertThat(batch.status()).isEqualTo(400);
      assertThat(invalidFields(batch)).containsExactly("activities[1].timeout_ms");
    }

    @Test
    void anOutOfRangeRequestOnKafkaIsDeadLetteredNamingTheField() throws Exception {
      String host = host();
      requestsTopic.send(
          dev.lineup.avro.ActivityRequest.newBuilder()
              .setHostId(host)
              .setType(dev.lineup.avro.ActivityType.LOCK)
              .setPayload(dev.lineup.avro.LockPayload.newBuilder().build())
              .setTimeoutMs(10_000_000_000_000_000L)
              .build());

      assertThat(requestsTopic.deadLetterReason(host))
          .hasValueSatisfying(
              reason -> assertThat(reason).startsWith("invalid").contains("timeout_ms"));
    }
  }

  @Nested
  class ActivityIdsBelongToOneHost {

    private String lockWithId(String id) {
      return "{\"activity_id\":\"" + id + "\",\"type\":\"lock\",\"payload\":{}}";
    }

    @Test
    void reusingAnIdOnAnotherHostIsA409IdConflictNamingActivityId() throws Exception {
      String id = UUID.randomUUID().toString();
      String owner = host();
      assertThat(intake.post("/v1/hosts/" + owner + "/activities", lockWithId(id)).status())
          .isEqualTo(202);

      var reused = intake.post("/v1/hosts/" + host() + "/activities", lockWithId(id));

      assertThat(reused.status()).isEqualTo(409);
      assertThat(intake.contentType).isEqualTo("application/problem+json");
      assertThat(reused.text("reason")).isEqualTo("ID_CONFLICT");
      assertThat(invalidFields(reused)).containsExactly("activity_id");
      assertThat(intake.get("/v1/activities/" + id).text("host_id")).isEqualTo(owner);
    }

    @Test
    void aBatchReusingAnIdOfAnotherHostEnqueuesNothing() throws Exception {
      String id = UUID.randomUUID().toString();
      String owner = host();
      String other = host();
      intake.post("/v1/hosts/" + owner + "/activities", lockWithId(id));

      var batch =
          intake.post(
              "/v1/batches",
              "{\"activities\":[{\"host_id\":\""
                  + other
                  + "\",\"type\":\"lock\",\"payload\":{}},{\"host_id\":\""
                  + other
                  + "\",\"activity_id\":\""
                  + id
                  + "\",\"type\":\"lock\",\"payload\":{}}]}");

      assertThat(batch.status()).isEqualTo(409);
      assertThat(batch.text("reason")).isEqualTo("ID_CONFLICT");
      assertThat(invalidFields(batch)).containsExactly("activities[1].activity_id");
      Thread.sleep(1000);
      assertThat(
              intake
                  .get("/v1/hosts/" + other + "/activities?state=upcoming")
                  .body()
                  .get("activities"))
          .asList()
          .isEmpty();
      assertThat(intake.get("/v1/activities/" + id).text("host_id")).isEqualTo(owner);
    }

    @Test
    void aKafkaRequestReusingAnIdOfAnotherHostIsDeadLetteredIdConflict() throws Exception {
      String id = UUID.randomUUID().toString();
      String owner = host();
      String other = host();
      intake.post("/v1/hosts/" + owner + "/activities", lockWithId(id));

      requestsTopic.send(
          dev.lineup.avro.ActivityRequest.newBuilder()
              .setActivityId(id)
              .setHostId(other)
              .setType(dev.lineup.avro.ActivityType.LOCK)
              .setPayload(dev.lineup.avro.LockPayload.newBuilder().build())
              .build());

      assertThat(requestsTopic.deadLetterReason(other))
          .hasValueSatisfying(reason -> assertThat(reason).startsWith("ID_CONFLICT"));
      assertThat(intake.get("/v1/activities/" + id).text("host_id")).isEqualTo(owner);
    }
  }

  @Nested
  class Hardening {

    @Test
    void aPreemptingActivityInABatchPreemptsLikeASingleEnqueue() throws Exception {
      String host = host();
      String running = enqueueScript(host, "echo running").text("activity_id");
      String waiting = enqueueScript(host, "echo waiting").text("activity_id");
      awaitState(running, "RELEASED");

      var batch =
          intake.post(
              "/v1/batches",
              "{\"activities\":[{\"host_id\":\""
                  + host
                  + "\",\"type\":\"lock\",\"preempt\":true,\"payload\":{}}]}");

      assertThat(batch.status()).isEqualTo(202);
      awaitState(waiting, "CANCELLED");
      assertThat(intake.get("/v1/activities/" + waiting).text("reason")).isEqualTo("PREEMPTED");
    }

    @Test
    void observersCannotReadStoredContentButOperatorsCan() throws Exception {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      LineupClient observer =
          intake.as(
              intake
                  .post("/v1/tokens", "{\"name\":\"viewer-" + suffix + "\",\"role\":\"observer\"}")
                  .text("token"));
      LineupClient operator =
          intake.as(
              intake
                  .post("/v1/tokens", "{\"name\":\"runner-" + suffix + "\",\"role\":\"operator\"}")
                  .text("token"));
      String sha =
          intake
              .put("/v1/contents", ("echo secret " + suffix).getBytes(StandardCharsets.UTF_8))
              .text("sha256");

      assertThat(observer.get("/v1/contents/" + sha).status()).isEqualTo(403);
      assertThat(operator.get("/v1/contents/" + sha).status()).isEqualTo(200);
    }

    @Test
    void aRequestWithAnOutOfRangeUnionIndexIsDeadLetteredAndTheDoorGoesOn() throws Exception {
      String host = host();
      String next = UUID.randomUUID().toString();
      var lock =
          dev.lineup.avro.ActivityRequest.newBuilder()
              .setHostId(host)
              .setType(dev.lineup.avro.ActivityType.LOCK)
              .setPayload(dev.lineup.avro.LockPayload.newBuilder().build())
              .build();
      byte[] poison =
          dev.lineup.schemas.Topics.REQUESTS
              .valueSerde()
              .serializer()
              .serialize(dev.lineup.schemas.Topics.REQUESTS.name(), lock);
      // activity_id's union index (after C3 01 and the fingerprint): 5 of a two-branch union.
      poison[10] = 10;

      requestsTopic.sendRaw(host, poison);
      requestsTopic.send(
          dev.lineup.avro.ActivityRequest.newBuilder(lock).setActivityId(next).build());

      awaitState(next, "RELEASED");
      assertThat(requestsTopic.deadLetterReason(host))
          .hasValueSatisfying(reason -> assertThat(reason).startsWith("undecodable"));
    }
  }

  @Nested
  class HostControl {

    @Test
    void aPausedHostHoldsItsActivitiesUntilResumed() throws Exception {
      String host = host();
      assertThat(intake.post("/v1/hosts/" + host + "/pause", "").status()).isEqualTo(202);
      String id = enqueueScript(host, "echo held").text("activity_id");
      awaitState(id, "QUEUED");
      Thread.sleep(500);
      assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo("QUEUED");

      assertThat(intake.post("/v1/hosts/" + host + "/resume", "").status()).isEqualTo(202);

      awaitState(id, "RELEASED");
    }

    @Test
    void purgingAHostEndsEveryActivityAndListsThemAsPast() throws Exception {
      String host = host();
      String running = enqueueScript(host, "echo 1").text("activity_id");
      String waiting = enqueueScript(host, "echo 2").text("activity_id");
      awaitState(running, "RELEASED");

      assertThat(intake.delete("/v1/hosts/" + host).status()).isEqualTo(202);

      awaitState(running, "CANCELLED");
      awaitState(waiting, "CANCELLED");
      assertThat(intake.get("/v1/activities/" + waiting).text("reason")).isEqualTo("HOST_PURGED");
      var past = intake.get("/v1/hosts/" + host + "/activities?state=past&limit=1");
      var older =
          intake.get(
              "/v1/hosts/"
                  + host
                  + "/activities?state=past&limit=1&cursor="
                  + past.text("next_cursor"));
      assertThat(past.body().toString()).containsAnyOf(running, waiting);
      assertThat(older.body().toString()).containsAnyOf(running, waiting);
      assertThat(past.body().toString()).isNotEqualTo(older.body().toString());
      assertThat(older.body().get("next_cursor")).isNull();
      assertThat(
              intake
                  .get("/v1/hosts/" + host + "/activities?state=upcoming")
                  .body()
                  .get("activities"))
          .asList()
          .isEmpty();
    }

    @Test
    void cancellingAFinishedActivityIsA409() throws Exception {
      String host = host();
      enqueueScript(host, "echo first");
      String second = enqueueScript(host, "echo second").text("activity_id");
      intake.delete("/v1/hosts/" + host + "/activities/" + second);
      awaitState(second, "CANCELLED");

      var again = intake.delete("/v1/hosts/" + host + "/activities/" + second);

      assertThat(again.status()).isEqualTo(409);
      assertThat(again.body().get("detail").toString()).contains("CANCELLED");
    }

    @Test
    void anMdmPayloadOverTheInlineLimitIsA413() throws Exception {
      String big = java.util.Base64.getEncoder().encodeToString(new byte[64 * 1024 + 1]);
      var answer =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"mdm_command\",\"payload\":{\"platform\":\"apple\",\"request_type\":\"InstallProfile\",\"raw_command\":\""
                  + big
                  + "\"}}");

      assertThat(answer.status()).isEqualTo(413);
    }
  }

  @Nested
  class Contents {

    @Test
    void storedContentIsAddressedBySha256AndReferencedByScripts() throws Exception {
      var stored = intake.put("/v1/contents", "echo stored\n".getBytes(StandardCharsets.UTF_8));
      assertThat(stored.status()).isEqualTo(201);
      String sha = stored.text("sha256");
      assertThat(sha).hasSize(64);
      assertThat(
              intake
                  .put("/v1/contents", "echo stored\n".getBytes(StandardCharsets.UTF_8))
                  .text("sha256"))
          .isEqualTo(sha);

      var byReference =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"script_run\",\"payload\":{\"script_sha256\":\"" + sha + "\"}}");

      assertThat(byReference.status()).isEqualTo(202);
    }

    @Test
    void aReferenceToUnknownContentIsA400() throws Exception {
      var answer =
          intake.post(
              "/v1/hosts/" + host() + "/activities",
              "{\"type\":\"script_run\",\"payload\":{\"script_sha256\":\""
                  + "0".repeat(64)
                  + "\"}}");

      assertThat(answer.status()).isEqualTo(400);
      assertThat(answer.body().toString()).contains("payload.script_sha256");
    }

    @Test
    void contentOverTheLimitIsA413() throws Exception {
      var answer = intake.put("/v1/contents", new byte[1024 * 1024 + 1]);

      assertThat(answer.status()).isEqualTo(413);
    }
  }

  @Nested
  class Cancelling {

    @Test
    void cancellingAnUnknownActivityIsA404() throws Exception {
      var answer = intake.delete("/v1/hosts/" + host() + "/activities/" + UUID.randomUUID());

      assertThat(answer.status()).isEqualTo(404);
      assertThat(intake.contentType).isEqualTo("application/problem+json");
    }

    @Test
    void cancellingAReleasedLockIsA409() throws Exception {
      String host = host();
      String id =
          intake
              .post("/v1/hosts/" + host + "/activities", "{\"type\":\"lock\",\"payload\":{}}")
              .text("activity_id");
      awaitState(id, "RELEASED");

      var answer = intake.delete("/v1/hosts/" + host + "/activities/" + id);

      assertThat(answer.status()).isEqualTo(409);
      assertThat(answer.body().get("detail").toString()).contains("lock");
    }

    @Test
    void cancellingAnUpcomingActivityEndsItCancelled() throws Exception {
      String host = host();
      enqueueScript(host, "echo first");
      String second = enqueueScript(host, "echo second").text("activity_id");

      assertThat(intake.delete("/v1/hosts/" + host + "/activities/" + second).status())
          .isEqualTo(202);

      awaitState(second, "CANCELLED");
      assertThat(intake.get("/v1/activities/" + second).text("reason")).isEqualTo("USER_CANCEL");
    }

    @Test
    void aSelectorCancelCatchesEveryActivityAcceptedBeforeItEvenUnderConcurrentEnqueues()
        throws Exception {
      List<String> hosts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String host = host();
        hosts.add(host);
        // Paused hosts release nothing, so every matching activity stays upcoming.
        assertThat(intake.post("/v1/hosts/" + host + "/pause", "").status()).isEqualTo(202);
      }
      List<long[]> acceptedAt = Collections.synchronizedList(new ArrayList<>());
      List<String> ids = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean enqueueing = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writers.add(
            pool.submit(
                () -> {
                  int n = 0;
                  while (enqueueing.get()) {
                    String host = hosts.get((writer * 3 + n++) % hosts.size());
                    var answer =
                        intake.post(
                            "/v1/hosts/" + host + "/activities",
                            "{\"type\":\"software_install\",\"payload\":{\"installer_id\":\"zoom\","
                                + "\"version\":\"6.1\",\"download_ref\":\"https://dl.example/zoom.pkg\"}}");
                    assertThat(answer.status()).isEqualTo(202);
                    synchronized (ids) {
                      ids.add(answer.text("activity_id"));
                      acceptedAt.add(new long[] {System.nanoTime()});
                    }
                  }
                  return null;
                }));
      }
      Thread.sleep(1500);
      long cancelCalledAt = System.nanoTime();
      var cancel =
          intake.post(
              "/v1/cancellations", "{\"type\":\"software_install\",\"installer_id\":\"zoom\"}");
      Thread.sleep(500);
      enqueueing.set(false);
      for (Future<?> writer : writers) {
        writer.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();

      assertThat(cancel.status()).isEqualTo(202);
      List<String> before = new ArrayList<>();
      synchronized (ids) {
        for (int i = 0; i < ids.size(); i++) {
          if (acceptedAt.get(i)[0] < cancelCalledAt) {
            before.add(ids.get(i));
          }
        }
      }
      assertThat(before).as("activities accepted before the cancel").hasSizeGreaterThan(10);
      System.out.printf(
          "selector cancel: %d accepted before the call, %d in all%n", before.size(), ids.size());
      assertThat(ids.size()).as("some were accepted after it too").isGreaterThan(before.size());
      long waitStarted = System.nanoTime();
      java.util.Set<String> remaining = new java.util.HashSet<>(before);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!remaining.isEmpty() && System.nanoTime() < deadline) {
        for (var it = remaining.iterator(); it.hasNext(); ) {
          if ("CANCELLED".equals(intake.get("/v1/activities/" + it.next()).text("state"))) {
            it.remove();
          }
        }
        Thread.sleep(100);
      }
      assertThat(remaining).as("accepted before the cancel but not cancelled").isEmpty();
      System.out.printf(
          "selector cancel: call took %d ms, all cancelled %d ms after the writers stopped%n",
          (waitStarted - cancelCalledAt) / 1_000_000,
          (System.nanoTime() - waitStarted) / 1_000_000);
      try (var c =
              java.sql.DriverManager.getConnection(
                  database.jdbcUrl(LineupServices.INTAKE_DATABASE), database.user(), "");
          var rs =
              c.createStatement()
                  .executeQuery(
                      "SELECT max(finished_at - created_at), max(updated_at - finished_at)"
                          + " FROM activities WHERE detail LIKE 'cancellation %'")) {
        rs.next();
        System.out.printf(
            "ledger: accepted->cancelled max %s, cancelled->written max %s%n",
            rs.getString(1), rs.getString(2));
      }
    }

    @Test
    void aSelectorNeedsAtLeastOneField() throws Exception {
      var answer = intake.post("/v1/cancellations", "{}");

      assertThat(answer.status()).isEqualTo(400);
    }
  }

  @Nested
  class Auth {

    @Test
    void noTokenIsA401() throws Exception {
      var answer = intake.as(null).get("/v1/activities/" + UUID.randomUUID());

      assertThat(answer.status()).isEqualTo(401);
      assertThat(intake.as(null).get("/health").status()).isEqualTo(200);
    }

    @Test
    void rolesDecideWhatATokenMayDo() throws Exception {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      var observer =
          intake.post("/v1/tokens", "{\"name\":\"watcher-" + suffix + "\",\"role\":\"observer\"}");
      var operator =
          intake.post("/v1/tokens", "{\"name\":\"ops-" + suffix + "\",\"role\":\"operator\"}");
      assertThat(observer.status()).isEqualTo(201);
      LineupClient watcher = intake.as(observer.text("token"));
      LineupClient ops = intake.as(operator.text("token"));
      String host = host();

      assertThat(watcher.get("/v1/summary").status()).isEqualTo(200);
      assertThat(
              watcher
                  .post("/v1/hosts/" + host + "/activities", "{\"type\":\"lock\",\"payload\":{}}")
                  .status())
          .isEqualTo(403);
      assertThat(
              ops.post("/v1/hosts/" + host + "/activities", "{\"type\":\"lock\",\"payload\":{}}")
                  .status())
          .isEqualTo(202);
      assertThat(ops.delete("/v1/hosts/" + host).status()).isEqualTo(403);
      assertThat(ops.get("/v1/tokens").status()).isEqualTo(403);

      var listed = intake.get("/v1/tokens");
      assertThat(listed.status()).isEqualTo(200);
      assertThat(listed.body().toString()).doesNotContain(observer.text("token"));

      assertThat(intake.delete("/v1/tokens/watcher-" + suffix).status()).isEqualTo(204);
      assertThat(watcher.get("/v1/summary").status()).isEqualTo(401);
    }

    @Test
    void theOpenApiDocumentIsServed() throws Exception {
      var http = java.net.http.HttpClient.newHttpClient();
      var answer =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      services.intakeUrl().resolve("/openapi/lineup-intake-1.yml"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.body()).contains("/v1/hosts/{hostId}/activities").contains("/v1/batches");
    }

    @Test
    void anUnknownTokenIsA401() throws Exception {
      assertThat(
              intake.as("not-a-token-at-all").get("/v1/activities/" + UUID.randomUUID()).status())
          .isEqualTo(401);
    }
  }

  @Nested
  class Listing {

    @Test
    void upcomingListsInFlightFirstThenByPriorityAndPagesWithACursor() throws Exception {
      String host = host();
      String running = enqueueScript(host, "echo running").text("activity_id");
      awaitState(running, "RELEASED");
      String low = enqueueScript(host, "echo low").text("activity_id");
      String high =
          intake
              .post(
                  "/v1/hosts/" + host + "/activities",
                  "{\"type\":\"script_run\",\"priority\":5,\"payload\":{\"script\":\"echo high\"}}")
              .text("activity_id");

      var first = intake.get("/v1/hosts/" + host + "/activities?state=upcoming&limit=2");
      var rest =
          intake.get(
              "/v1/hosts/"
                  + host
                  + "/activities?state=upcoming&limit=2&cursor="
                  + first.text("next_cursor"));

      assertThat(ids(first)).containsExactly(running, high);
      assertThat(ids(rest)).containsExactly(low);
      assertThat(rest.body()).containsKey("next_cursor");
      assertThat(rest.body().get("next_cursor")).isNull();
    }

    @SuppressWarnings("unchecked")
    private List<Object> ids(LineupClient.Answer page) {
      return ((List<Map<String, Object>>) page.body().get("activities"))
          .stream().map(a -> a.get("activity_id")).toList();
    }
  }
}

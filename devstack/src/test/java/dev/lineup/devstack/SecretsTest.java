package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Secrets on the real services, broker and PostgreSQL: set and listed without values, refused when
 * unknown, resolved into the script its task's holder fetches and masked in the output it reports,
 * rotated for tasks handed out afterwards, kept while referenced. Each "never" is checked where it
 * would be: every record of every topic, every row of both databases, every log line, every metric.
 */
@ExtendWith(LineupInfrastructure.class)
class SecretsTest {

  private static final String ADMIN = "secrets-admin-token-0123456789";
  private static final String ENROLL = "secrets-enroll-secret-0123456789";

  private static LineupServices services;
  private static LineupClient intake;
  private static LineupClient gateway;
  private static EmbeddedDatabase database;
  private static String bootstrap;
  private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase db) throws Exception {
    database = db;
    bootstrap = kafka.bootstrapServers();
    Logger root =
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                db,
                Files.createTempDirectory("secrets-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    intake = new LineupClient(services.intakeUrl(), ADMIN, json);
    gateway = new LineupClient(services.gatewayUrl(), null, json);
  }

  @AfterAll
  static void stop() {
    ((LoggerContext) LoggerFactory.getILoggerFactory())
        .getLogger(Logger.ROOT_LOGGER_NAME)
        .detachAppender(logs);
    if (services != null) {
      services.close();
    }
  }

  private static String secretName() {
    return "S_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toUpperCase();
  }

  private static String host() {
    return "secret-host-" + UUID.randomUUID();
  }

  private static LineupClient.Answer putSecret(String name, String value) throws Exception {
    return intake.putJson("/v1/secrets/" + name, "{\"value\":\"" + value + "\"}");
  }

  private static String enqueueScript(String host, String script) throws Exception {
    var accepted =
        intake.post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"script_run\",\"payload\":{\"script\":\"" + script + "\"}}");
    assertThat(accepted.status()).as(String.valueOf(accepted.body())).isEqualTo(202);
    return accepted.text("activity_id");
  }

  /** An agent of {@code host}: enrolled, holding its next task. */
  private record Held(LineupClient withTask, String activityId, String scriptSha) {
    String script() throws Exception {
      return new String(
          withTask.getBytes("/v1/agent/contents/" + scriptSha + "?activity_id=" + activityId),
          StandardCharsets.UTF_8);
    }
  }

  private static Held take(String host) throws Exception {
    var enrolled =
        gateway.post(
            "/v1/agent/enroll",
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}");
    LineupClient agent = gateway.as(enrolled.text("host_token"));
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.status()).isEqualTo(200);
    return new Held(
        gateway.as(task.text("task_token")),
        task.text("activity_id"),
        (String) ((Map<?, ?>) task.body().get("payload")).get("script_sha256"));
  }

  private static void awaitState(String activityId, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(intake.get("/v1/activities/" + activityId).text("state"))
                    .isEqualTo(state));
  }

  @SuppressWarnings("unchecked")
  private static String output(String activityId) throws Exception {
    return (String)
        ((Map<String, Object>) intake.get("/v1/activities/" + activityId).body().get("result"))
            .get("output");
  }

  @Test
  void aSecretIsSetAndListedButItsValueIsNeverAnswered() throws Exception {
    String name = secretName();
    String value = "pw-" + UUID.randomUUID();

    var created = putSecret(name, value);
    var replaced = putSecret(name, value + "-2");
    var listed = intake.get("/v1/secrets");
    var sealed = intake.get("/v1/secrets/" + name + "/sealed");

    assertThat(created.status()).isEqualTo(201);
    assertThat(created.body()).containsOnlyKeys("name", "updated_at");
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(listed.body().toString()).contains(name).doesNotContain(value);
    assertThat(sealed.body().toString()).doesNotContain(value);
    assertThat(putSecret("lower_case", value).status()).isEqualTo(400);
    assertThat(putSecret(name, "abc").status()).isEqualTo(400);
    assertThat(intake.delete("/v1/secrets/NEVER_SET_" + name).status()).isEqualTo(404);
  }

  @Test
  void anActivityNamingASecretThatDoesNotExistIsRefusedNamingTheScript() throws Exception {
    var inline =
        intake.post(
            "/v1/hosts/" + host() + "/activities",
            "{\"type\":\"script_run\",\"payload\":{\"script\":\"curl -u me:$LINEUP_SECRET_NOT_THERE x\"}}");
    byte[] stored = "echo ${LINEUP_SECRET_NOT_THERE_EITHER}".getBytes(StandardCharsets.UTF_8);
    String sha = intake.put("/v1/contents", stored).text("sha256");
    var byHash =
        intake.post(
            "/v1/hosts/" + host() + "/activities",
            "{\"type\":\"software_install\",\"payload\":{\"installer_id\":\"i\",\"version\":\"1\","
                + "\"download_ref\":\"x\",\"install_script_sha256\":\""
                + sha
                + "\"}}");

    assertThat(inline.status()).isEqualTo(400);
    assertThat(inline.body().toString()).contains("payload.script").contains("NOT_THERE");
    assertThat(byHash.status()).isEqualTo(400);
    assertThat(byHash.body().toString())
        .contains("payload.install_script_sha256")
        .contains("NOT_THERE_EITHER");
  }

  @Test
  void theHolderGetsTheValueInItsScriptAndItsOutputIsMaskedAndTheValueIsNowhereElse()
      throws Exception {
    String name = secretName();
    String value = "v4lue-" + UUID.randomUUID();
    assertThat(putSecret(name, value).status()).isEqualTo(201);
    String host = host();
    String id =
        enqueueScript(host, "echo $LINEUP_SECRET_" + name + " and ${LINEUP_SECRET_" + name + "}");

    Held held = take(host);
    String script = held.script();
    var reported =
        held.withTask()
            .post(
                "/v1/agent/tasks/" + id + "/result",
                "{\"outcome\":\"succeeded\",\"exit_code\":0,\"output\":\"connected as "
                    + value
                    + "\\n\"}");

    assertThat(held.activityId()).isEqualTo(id);
    assertThat(script).isEqualTo("echo " + value + " and " + value);
    assertThat(reported.status()).isEqualTo(200);
    awaitState(id, "SUCCEEDED");
    assertThat(output(id)).isEqualTo("connected as ***\n");
    // The task payload names the script's hash only; the stored script keeps the reference.
    assertThat(intake.get("/v1/activities/" + id).body().toString()).doesNotContain(value);
    assertThat(
            new String(intake.getBytes("/v1/contents/" + held.scriptSha()), StandardCharsets.UTF_8))
        .contains("$LINEUP_SECRET_" + name)
        .doesNotContain(value);

    assertThat(topicsHolding(value)).as("topics holding the value").isEmpty();
    assertThat(rowsHolding(value)).as("database rows holding the value").isEmpty();
    assertThat(logs.list)
        .as("log lines")
        .noneMatch(
            e ->
                e.getFormattedMessage().contains(value)
                    || (e.getThrowableProxy() != null
                        && String.valueOf(e.getThrowableProxy().getMessage()).contains(value)));
    for (URI service :
        List.of(services.intakeUrl(), services.gatewayUrl(), services.sequencerUrl())) {
      assertThat(metrics(service)).as("metrics of " + service).doesNotContain(value);
    }
  }

  @Test
  void aNewValueReachesOnlyTasksHandedOutAfterItAndOutputIsMaskedWithWhatWasHandedOut()
      throws Exception {
    String name = secretName();
    String before = "before-" + UUID.randomUUID();
    String after = "after-" + UUID.randomUUID();
    putSecret(name, before);
    String first = host();
    String second = host();
    String early = enqueueScript(first, "echo $LINEUP_SECRET_" + name);
    String late = enqueueScript(second, "echo $LINEUP_SECRET_" + name + " again");

    Held earlyTask = take(first);
    String earlyScript = earlyTask.script();
    putSecret(name, after);
    Held lateTask = take(second);
    String lateScript = lateTask.script();
    earlyTask
        .withTask()
        .post(
            "/v1/agent/tasks/" + early + "/result",
            "{\"outcome\":\"succeeded\",\"exit_code\":0,\"output\":\"" + before + "\"}");

    assertThat(earlyScript).isEqualTo("echo " + before);
    assertThat(lateScript).isEqualTo("echo " + after + " again");
    awaitState(early, "SUCCEEDED");
    assertThat(output(early)).isEqualTo("***");
    assertThat(late).isEqualTo(lateTask.activityId());
  }

  @Test
  void aSecretAnUnfinishedActivityReferencesCannotBeDeletedUntilItEnds() throws Exception {
    String name = secretName();
    putSecret(name, "value-" + UUID.randomUUID());
    String host = host();
    assertThat(intake.post("/v1/hosts/" + host + "/pause", "").status()).isEqualTo(202);
    String id = enqueueScript(host, "echo $LINEUP_SECRET_" + name);
    awaitState(id, "QUEUED");

    var refused = intake.delete("/v1/secrets/" + name);
    assertThat(intake.delete("/v1/hosts/" + host + "/activities/" + id).status()).isEqualTo(202);
    awaitState(id, "CANCELLED");
    var deleted = intake.delete("/v1/secrets/" + name);

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body()).containsEntry("reason", "SECRET_IN_USE");
    assertThat(refused.body().toString()).contains(id);
    assertThat(deleted.status()).isEqualTo(204);
    assertThat(intake.get("/v1/secrets").body().toString()).doesNotContain(name);
  }

  /** Every topic of the broker, internal ones too, read whole, aborted records included. */
  private static List<String> topicsHolding(String value) throws Exception {
    byte[] needle = value.getBytes(StandardCharsets.UTF_8);
    List<String> holding = new ArrayList<>();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                    "read_uncommitted",
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                    5_000),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
      Set<String> topics =
          admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
      List<TopicPartition> partitions = new ArrayList<>();
      for (var description : admin.describeTopics(topics).allTopicNames().get().values()) {
        description
            .partitions()
            .forEach(p -> partitions.add(new TopicPartition(description.name(), p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions));
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (contains(record.value(), needle) || contains(record.key(), needle)) {
            holding.add(record.topic() + "@" + record.offset());
          }
          record
              .headers()
              .forEach(
                  h -> {
                    if (contains(h.value(), needle)) {
                      holding.add(record.topic() + "@" + record.offset() + " header " + h.key());
                    }
                  });
        }
      }
      assertThat(System.nanoTime()).as("every topic read to its end").isLessThan(deadline);
    }
    return holding;
  }

  /** Every row of every table of both services' databases, each column as text. */
  private static List<String> rowsHolding(String value) throws Exception {
    List<String> holding = new ArrayList<>();
    for (String db : List.of(LineupServices.INTAKE_DATABASE, LineupServices.GATEWAY_DATABASE)) {
      try (Connection c = DriverManager.getConnection(database.jdbcUrl(db), database.user(), "");
          Statement s = c.createStatement()) {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs =
            s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
          while (rs.next()) {
            tables.add(rs.getString(1));
          }
        }
        for (String table : tables) {
          // The whole row as text: a bytea column shows as hex, so the value is looked for in
          // both forms.
          String hex = java.util.HexFormat.of().formatHex(value.getBytes(StandardCharsets.UTF_8));
          try (ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FROM \""
                      + table
                      + "\" t WHERE t::text LIKE '%"
                      + value.replace("'", "''")
                      + "%' OR t::text LIKE '%"
                      + hex
                      + "%'")) {
            rs.next();
            if (rs.getLong(1) > 0) {
              holding.add(db + "." + table);
            }
          }
        }
      }
    }
    return holding;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    if (haystack == null || haystack.length < needle.length) {
      return false;
    }
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static String metrics(URI service) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(service.resolve("/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}

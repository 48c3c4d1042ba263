package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lineup.agent.Agent;
import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.InlineScriptRunPayload;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import dev.lineup.schemas.TopicProvisioner;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * Lineup on a Kafka cluster that only answers authenticated clients: the broker's one client
 * listener takes SASL and nothing else, and each service, a process of its own, gets its
 * credentials as production does, from the Kafka client properties file {@code LINEUP_KAFKA_CONFIG}
 * names. Activities come in through both doors (the HTTP API and {@code lineup.requests}), run on a
 * host of the reference agent and end in the ledger, and the ops API reads the events topic: every
 * Kafka client of every service (producers, transactional loops, consumers, Kafka Streams and its
 * changelogs, the admin client reading lag) reached the cluster, since a client without the
 * settings is never answered. The password is in no service's output.
 */
class KafkaAuthenticationTest {

  private static final String ADMIN = "sasl-admin-token-0123456789";
  private static final String ENROLL = "sasl-enroll-secret-0123456789";
  private static final Duration START = Duration.ofMinutes(3);
  private static final String WRONG_PASSWORD = "wrong-" + UUID.randomUUID();

  @Test
  void everyServiceReachesAClusterThatOnlyAnswersAuthenticatedClients() throws Exception {
    Path dir = Files.createTempDirectory("sasl-");
    String password = "pw-" + UUID.randomUUID();
    EmbeddedKafka kafka = EmbeddedKafka.startWithSaslPlain(dir, "lineup", password);
    String bootstrap = kafka.bootstrapServers();
    Map<String, Object> connection = new HashMap<>();
    connection.put("bootstrap.servers", bootstrap);
    connection.put("security.protocol", "SASL_PLAINTEXT");
    connection.put("sasl.mechanism", "PLAIN");
    connection.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"lineup\" password=\""
            + password
            + "\";");
    Path clientProperties = dir.resolve("client.properties");
    Files.writeString(
        clientProperties,
        "# What a managed Kafka hands out for a service account\n"
            + "security.protocol=SASL_PLAINTEXT\n"
            + "sasl.mechanism=PLAIN\n"
            + "sasl.jaas.config="
            + connection.get("sasl.jaas.config")
            + "\n");

    // The listener is SASL's alone: a client without the settings gets no answer at all.
    try (Admin plaintext =
        Admin.create(
            Map.of(
                "bootstrap.servers", bootstrap,
                "default.api.timeout.ms", 3_000,
                "request.timeout.ms", 3_000))) {
      assertThatThrownBy(() -> plaintext.listTopics().names().get(10, TimeUnit.SECONDS))
          .as("a plaintext client of the SASL listener")
          .isInstanceOfAny(ExecutionException.class, TimeoutException.class);
    }
    TopicProvisioner.provision(connection, 3, (short) 1);

    EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0);
    var environments = ServiceEnvironments.on(bootstrap, database, ADMIN, ENROLL);
    Path stateDir = dir.resolve("sequencer");
    int intakePort = FreePorts.orFree(0);
    int sequencerPort = FreePorts.orFree(0);
    int gatewayPort = FreePorts.orFree(0);
    ServiceProcess sequencer =
        new ServiceProcess(
            "sequencer",
            "sequencer-service",
            sequencerPort,
            withKafkaConfig(environments.sequencer(0, sequencerPort, stateDir), clientProperties));
    ServiceProcess intake =
        new ServiceProcess(
            "intake",
            "intake-service",
            intakePort,
            withKafkaConfig(
                environments.intake(0, intakePort, "http://127.0.0.1:" + sequencerPort),
                clientProperties));
    ServiceProcess gateway =
        new ServiceProcess(
            "gateway",
            "executor-gateway",
            gatewayPort,
            withKafkaConfig(
                environments.gateway(0, gatewayPort, intake.url().toString()), clientProperties));
    List<ServiceProcess> all = List.of(sequencer, intake, gateway);
    List<ServiceProcess> refused = new ArrayList<>();
    try {
      for (ServiceProcess service : all) {
        service.start();
      }
      for (ServiceProcess service : all) {
        service.awaitHealthy(START);
      }
      LineupClient api = new LineupClient(intake.url(), ADMIN, JsonMapper.createDefault());
      String host = "sasl-host-0";
      try (Agent agent = Agent.simulate(gateway.url(), ENROLL, 1, "sasl-host-", Duration.ZERO)) {
        var byHttp =
            api.post(
                "/v1/hosts/" + host + "/activities",
                "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo over http\"}}");
        assertThat(byHttp.status()).as("enqueue over HTTP").isEqualTo(202);
        String byTopic = UUID.randomUUID().toString();
        new RequestsTopic(connection)
            .send(
                ActivityRequest.newBuilder()
                    .setActivityId(byTopic)
                    .setHostId(host)
                    .setType(ActivityType.SCRIPT_RUN)
                    .setPayload(
                        InlineScriptRunPayload.newBuilder().setScript("echo over kafka").build())
                    .build());

        for (String id : List.of(byHttp.text("activity_id"), byTopic)) {
          await()
              .atMost(Duration.ofMinutes(1))
              .untilAsserted(
                  () ->
                      assertThat(api.get("/v1/activities/" + id).text("state"))
                          .as("activity %s in the ledger", id)
                          .isEqualTo("SUCCEEDED"));
        }
        assertThat(agent.completed()).isEqualTo(2);
      }

      // The ops API reads the events topic with a consumer of its own.
      var events = api.get("/v1/events?host=" + host + "&limit=50");
      assertThat(events.status()).isEqualTo(200);
      assertThat((List<?>) events.body().get("events")).hasSizeGreaterThanOrEqualTo(2);

      // The same services given a wrong password: each says so once, and its health names it.
      Path wrongProperties = dir.resolve("wrong.properties");
      Files.writeString(
          wrongProperties, Files.readString(clientProperties).replace(password, WRONG_PASSWORD));
      int wrongIntakePort = FreePorts.orFree(0);
      int wrongGatewayPort = FreePorts.orFree(0);
      int wrongSequencerPort = FreePorts.orFree(0);
      refused.add(
          new ServiceProcess(
              "intake-refused",
              "intake-service",
              wrongIntakePort,
              withKafkaConfig(
                  environments.intake(1, wrongIntakePort, "http://127.0.0.1:" + sequencerPort),
                  wrongProperties)));
      refused.add(
          new ServiceProcess(
              "gateway-refused",
              "executor-gateway",
              wrongGatewayPort,
              withKafkaConfig(
                  environments.gateway(1, wrongGatewayPort, intake.url().toString()),
                  wrongProperties)));
      refused.add(
          new ServiceProcess(
              "sequencer-refused",
              "sequencer-service",
              wrongSequencerPort,
              withKafkaConfig(
                  environments.sequencer(1, wrongSequencerPort, dir.resolve("sequencer-refused")),
                  wrongProperties)));
      for (ServiceProcess service : refused) {
        service.start();
      }
      // Intake's Kafka front door opens its transactions as it starts: refused, intake stops
      // there, naming why, and its orchestrator's restarts show it.
      ServiceProcess intakeRefused = refused.get(0);
      assertThat(intakeRefused.exitWithin(Duration.ofMinutes(2)))
          .as("intake's exit code with a wrong Kafka password")
          .isNotNull()
          .isNotZero();
      assertThat(intakeRefused.log()).contains("Authentication failed");
      // The gateway and the sequencer run on, down, and say why once each, not at every retry.
      for (ServiceProcess service : refused.subList(1, 3)) {
        await()
            .atMost(Duration.ofMinutes(1))
            .alias(service.name + " health names the refusal")
            .until(
                () ->
                    service.health() == 503
                        && service.healthBody().contains("refuses this service's credentials"));
      }
      Thread.sleep(15_000);
      for (ServiceProcess service : refused.subList(1, 3)) {
        List<String> lines = service.log().lines().toList();
        assertThat(lines)
            .as(service.name + ": the Kafka check's line, once")
            .filteredOn(l -> l.contains("KafkaReachability"))
            .singleElement()
            .satisfies(l -> assertThat(l).contains("it refuses this service's credentials"));
        assertThat(lines)
            .as(service.name + ": no line per reconnection from Kafka's clients")
            .noneMatch(l -> l.contains("NetworkClient") || l.contains("AdminMetadataManager"));
      }
      assertThat(refused.get(1).log().lines())
          .as("the gateway's whole log, 15 s into the refusal")
          .hasSizeLessThanOrEqualTo(10);
      for (ServiceProcess service : refused) {
        assertThat(service.log()).as(service.name).doesNotContain(WRONG_PASSWORD);
      }

      for (ServiceProcess service : all) {
        assertThat(service.terminate(Duration.ofSeconds(30)))
            .as(service.name + " exit code after SIGTERM")
            .isIn(0, 143);
        String output = service.log();
        assertThat(output).as(service.name + "'s output").doesNotContain(password);
        // Quiet when all is well: a loop's client left without the settings would say so here
        // (a poll it retries, a lag it cannot read), if nothing else failed; Kafka's own line per
        // reconnection is off in the services' logging, and the activities above are what shows
        // that every client on their way got in. Kafka Streams warns of a state directory under
        // the OS's temporary one, where a test's always is.
        assertThat(output.lines())
            .filteredOn(line -> !line.contains("StateDirectory - Using an OS temp directory"))
            .as(service.name + "'s warnings and errors")
            .noneMatch(line -> line.matches("^\\S+ (WARN|ERROR) .*"));
      }
    } catch (Throwable e) {
      ServiceProcess.printLogTails(all);
      ServiceProcess.printLogTails(refused);
      throw e;
    } finally {
      ServiceProcess.killAll(all);
      ServiceProcess.killAll(refused);
      kafka.close();
      database.close();
    }
  }

  private static Map<String, String> withKafkaConfig(Map<String, String> env, Path file) {
    Map<String, String> with = new HashMap<>(env);
    with.put(ServiceEnvironments.variable("lineup.kafka.config"), file.toString());
    return with;
  }
}

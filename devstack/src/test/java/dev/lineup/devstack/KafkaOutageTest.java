package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.agent.Agent;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import dev.lineup.schemas.TopicProvisioner;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Kafka goes away under load and comes back, as an operator sees it: each service, a process of its
 * own with its production logging, says so in one line instead of hundreds, {@code /health} answers
 * 503 naming Kafka meanwhile (load balancers and dashboards see it), an enqueue meanwhile gets a
 * clear 503 that the caller resends, and once the broker is back every service goes on by itself
 * and every accepted activity runs exactly once.
 */
class KafkaOutageTest {

  private static final String ADMIN = "outage-admin-token-0123456789";
  private static final String ENROLL = "outage-enroll-secret-0123456789";
  private static final Duration START = Duration.ofMinutes(3);
  private static final Duration OUTAGE = Duration.ofSeconds(25);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void theServicesSayItOnceAnswer503AndGoOnByThemselvesWhenKafkaIsBack() throws Exception {
    Path dir = Files.createTempDirectory("outage-");
    int kafkaPort = FreePorts.orFree(0);
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, kafkaPort, Map.of());
    String bootstrap = kafka.bootstrapServers();
    TopicProvisioner.provision(bootstrap, 2, (short) 1);
    EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0);
    var environments = ServiceEnvironments.on(bootstrap, database, ADMIN, ENROLL);

    int intakePort = FreePorts.orFree(0);
    int sequencerPort = FreePorts.orFree(0);
    int gatewayPort = FreePorts.orFree(0);
    ServiceProcess intake =
        new ServiceProcess(
            "outage-intake",
            "intake-service",
            intakePort,
            environments.intake(0, intakePort, "http://127.0.0.1:" + sequencerPort));
    ServiceProcess sequencer =
        new ServiceProcess(
            "outage-sequencer",
            "sequencer-service",
            sequencerPort,
            environments.sequencer(0, sequencerPort, dir.resolve("sequencer-0")));
    ServiceProcess gateway =
        new ServiceProcess(
            "outage-gateway",
            "executor-gateway",
            gatewayPort,
            environments.gateway(0, gatewayPort, intake.url().toString()));
    List<ServiceProcess> all = List.of(sequencer, intake, gateway);

    String prefix = "outage-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    UpstreamLoad load = new UpstreamLoad(intake.url(), ADMIN, UpstreamLoad.hosts(prefix, 4));
    try {
      for (ServiceProcess service : all) {
        service.start();
      }
      for (ServiceProcess service : all) {
        service.awaitHealthy(START);
      }
      try (Agent agent = Agent.simulate(gateway.url(), ENROLL, 4, prefix, Duration.ZERO)) {
        load.start();
        load.awaitMore(20, Duration.ofMinutes(1), "load under way");

        Map<String, Integer> linesBefore = new HashMap<>();
        for (ServiceProcess service : all) {
          linesBefore.put(service.name, lines(service).size());
        }
        kafka.close();
        long away = System.nanoTime();

        for (ServiceProcess service : all) {
          await()
              .atMost(Duration.ofSeconds(30))
              .alias(service.name + " health says Kafka is away")
              .until(() -> service.healthBody().contains("\"kafka\":\"down\""));
          assertThat(service.health()).as(service.name + " /health status").isEqualTo(503);
        }
        assertThat(gateway.healthBody()).contains("no Kafka broker answered within 5 s");
        HttpResponse<String> meanwhile =
            HTTP.send(
                HttpRequest.newBuilder(intake.url().resolve("/v1/hosts/" + prefix + "0/activities"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + ADMIN)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo x\"}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(meanwhile.statusCode()).as(meanwhile.body()).isEqualTo(503);
        assertThat(meanwhile.headers().firstValue("Content-Type").orElse(""))
            .startsWith("application/problem+json");
        long leftMillis = OUTAGE.toMillis() - (System.nanoTime() - away) / 1_000_000;
        Thread.sleep(Math.max(0, leftMillis));

        for (ServiceProcess service : all) {
          List<String> now = lines(service);
          List<String> during = now.subList(linesBefore.get(service.name), now.size());
          assertThat(during)
              .as("%s's log during %s s without Kafka", service.name, OUTAGE.toSeconds())
              .hasSizeLessThanOrEqualTo(4)
              .filteredOn(l -> l.contains("Kafka stopped answering"))
              .hasSize(1);
          assertThat(during).as(service.name).noneMatch(l -> l.contains("NetworkClient"));
        }

        kafka = EmbeddedKafka.start(dir, kafkaPort, Map.of());
        for (ServiceProcess service : all) {
          service.awaitHealthy(Duration.ofMinutes(2));
          assertThat(lines(service))
              .as(service.name)
              .anyMatch(l -> l.contains("Kafka answers again after"));
        }
        load.awaitMore(20, Duration.ofMinutes(2), "load goes on once Kafka is back");
        load.close();
        load.assertEachRanExactlyOnce(kafka.bootstrapServers(), agent::completed);
      }

      ServiceProcess.assertEachStopsOnSigterm(all);
    } catch (Throwable e) {
      ServiceProcess.printLogTails(all);
      throw e;
    } finally {
      load.close();
      ServiceProcess.killAll(all);
      kafka.close();
      database.close();
    }
  }

  private static List<String> lines(ServiceProcess service) throws Exception {
    return service.log().lines().toList();
  }
}

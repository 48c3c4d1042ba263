package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.schemas.TopicProvisioner;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Rule 14's transient half on the real stack, under load: PostgreSQL stopped for 20 seconds and
 * started again, then the broker restarted. Each service turns unhealthy while it cannot work,
 * recovers by itself, and in the end every activity accepted ran exactly once: one release and one
 * SUCCEEDED event each, and the simulated devices ran as many tasks as were accepted.
 */
class FaultInjectionTest {

  private static final String ADMIN = "fault-admin-token-0123456789";
  private static final String ENROLL = "fault-enroll-secret-0123456789";
  private static final int HOSTS = 10;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @Test
  void aDatabaseOutageAndABrokerRestartUnderLoadLoseNothingAndRunNothingTwice() throws Exception {
    Path dir = Files.createTempDirectory("fault-");
    int kafkaPort = freePort();
    int dbPort = freePort();
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, kafkaPort, Map.of());
    String bootstrap = kafka.bootstrapServers();
    TopicProvisioner.provision(kafka.bootstrapServers(), 3, (short) 1);
    EmbeddedDatabase database = EmbeddedDatabase.start(dir, dbPort);
    LineupServices services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                dir.resolve("sequencer"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of()));
    String prefix = "fault-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    UpstreamLoad load =
        new UpstreamLoad(services.intakeUrl(), ADMIN, UpstreamLoad.hosts(prefix, HOSTS));
    try (var devices =
        dev.lineup.agent.Agent.simulate(
            services.gatewayUrl(), ENROLL, HOSTS, prefix, Duration.ZERO)) {
      services.awaitHealthy(Duration.ofMinutes(2));
      load.start();
      Thread.sleep(3_000);

      // PostgreSQL away for 20 s: the consumers that write to it stall, and say so.
      database.close();
      Set<String> unhealthy = Collections.synchronizedSet(new java.util.HashSet<>());
      long back = System.currentTimeMillis() + 20_000;
      while (System.currentTimeMillis() < back) {
        for (URI service : List.of(services.intakeUrl(), services.gatewayUrl())) {
          if (health(service) != 200) {
            unhealthy.add(service.toString());
          }
        }
        Thread.sleep(500);
      }
      database = EmbeddedDatabase.start(dir, dbPort);
      assertThat(unhealthy).as("services reporting the outage").hasSize(2);
      awaitHealthy(services, Duration.ofSeconds(90));
      Thread.sleep(3_000);

      // The broker away and back on the same port and log.
      kafka.close();
      Thread.sleep(2_000);
      kafka = EmbeddedKafka.start(dir, kafkaPort, Map.of());
      awaitHealthy(services, Duration.ofSeconds(120));
      Thread.sleep(3_000);
      load.close();

      load.assertEachRanExactlyOnce(bootstrap, devices::completed);
    } finally {
      load.close();
      services.close();
      kafka.close();
      database.close();
    }
  }

  private void awaitHealthy(LineupServices services, Duration within) {
    await()
        .atMost(within)
        .alias(
            "all healthy; last answers: "
                + List.of(services.intakeUrl(), services.gatewayUrl(), services.sequencerUrl())
                    .stream()
                    .map(this::healthBody)
                    .toList())
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                health(services.intakeUrl()) == 200
                    && health(services.gatewayUrl()) == 200
                    && health(services.sequencerUrl()) == 200);
  }

  private int health(URI service) {
    try {
      return http.send(
              HttpRequest.newBuilder(service.resolve("/health"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private String healthBody(URI service) {
    try {
      return http.send(
              HttpRequest.newBuilder(service.resolve("/health"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return service + ": " + e;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}

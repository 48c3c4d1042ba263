package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.TopicProvisioner;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    AtomicBoolean loading = new AtomicBoolean(true);
    try (var devices =
        dev.lineup.agent.Agent.simulate(
            services.gatewayUrl(), ENROLL, HOSTS, prefix, Duration.ZERO)) {
      services.awaitHealthy(Duration.ofMinutes(2));
      Thread load = new Thread(() -> enqueueUntilStopped(services, prefix, accepted, loading));
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
      loading.set(false);
      load.join();

      eachRanExactlyOnce(bootstrap, accepted, devices);
    } finally {
      loading.set(false);
      services.close();
      kafka.close();
      database.close();
    }
  }

  /**
   * Every accepted activity ended SUCCEEDED, with one release and one terminal event, and the
   * devices ran as many tasks as were accepted: nothing lost, nothing run twice.
   */
  private static void eachRanExactlyOnce(
      String bootstrap, Set<String> accepted, dev.lineup.agent.Agent devices) {
    assertThat(accepted.size()).as("activities accepted under load").isGreaterThan(50);
    Map<String, EventAudit.Counts> seen = new HashMap<>();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              seen.clear();
              seen.putAll(EventAudit.count(bootstrap, accepted));
              assertThat(seen.values().stream().filter(c -> c.succeeded() == 1).count())
                  .isEqualTo(accepted.size());
            });
    for (String id : accepted) {
      assertThat(seen.get(id).released()).as("releases of " + id).isEqualTo(1);
      assertThat(seen.get(id).terminal()).as("terminal events of " + id).isEqualTo(1);
    }
    assertThat(devices.completed()).as("tasks the devices ran").isEqualTo(accepted.size());
  }

  /** A service's main class in a JVM of its own, on this test's class path; output to a file. */
  private static Process startService(String mainClass, Map<String, String> env, Path log)
      throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx384m",
            "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.lineup",
            "-cp",
            System.getProperty("java.class.path"),
            mainClass);
    builder.environment().putAll(env);
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    return builder.start();
  }

  /** An upstream service: enqueues, and resends the same activity id until it is accepted. */
  private void enqueueUntilStopped(
      LineupServices services, String prefix, Set<String> accepted, AtomicBoolean loading) {
    int n = 0;
    while (loading.get()) {
      String id = UUID.randomUUID().toString();
      String host = prefix + (n++ % HOSTS);
      String body =
          "{\"activity_id\":\""
              + id
              + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo "
              + n
              + "\"}}";
      while (true) {
        int status = post(services.intakeUrl().resolve("/v1/hosts/" + host + "/activities"), body);
        if (status == 202) {
          accepted.add(id);
          break;
        }
        // Until a definite answer: an unanswered request may have been taken, and a resend of the
        // same id is a no-op then (rule 12).
        sleep(200);
      }
      sleep(50);
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

  private int post(URI uri, String body) {
    try {
      return http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(Duration.ofSeconds(15))
                  .header("Authorization", "Bearer " + ADMIN)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

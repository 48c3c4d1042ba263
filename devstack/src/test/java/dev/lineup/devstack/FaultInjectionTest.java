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
      Thread load =
          new Thread(() -> enqueueUntilStopped(services.intakeUrl(), prefix, accepted, loading));
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

  @Test
  void eachServiceKilledWithSigkillUnderLoadComesBackAndNothingIsLostOrRunTwice() throws Exception {
    Path dir = Files.createTempDirectory("kill-");
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, Map.of());
    String bootstrap = kafka.bootstrapServers();
    TopicProvisioner.provision(bootstrap, 3, (short) 1);
    EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0);
    database.ensureDatabase(LineupServices.INTAKE_DATABASE);
    database.ensureDatabase(LineupServices.GATEWAY_DATABASE);
    // Each service in a JVM of its own, as it runs in production, so it can die as a process dies:
    // no shutdown hook, no commit, no close. Fixed ports and instance ids, as a restart keeps them.
    int sequencerPort = freePort();
    ServiceProcess sequencer =
        new ServiceProcess(
            "sequencer",
            "dev.lineup.sequencer.SequencerApplication",
            sequencerPort,
            Map.of(
                "lineup.sequencer.state-dir",
                dir.resolve("sequencer-state").toString(),
                "lineup.sequencer.advertised-endpoint",
                "127.0.0.1:" + sequencerPort,
                "lineup.sequencer.replication-factor",
                "1",
                "lineup.sequencer.instance-id",
                "sequencer-1"),
            bootstrap);
    ServiceProcess intake =
        new ServiceProcess(
            "intake",
            "dev.lineup.intake.IntakeApplication",
            freePort(),
            Map.of(
                "lineup.intake.database.url",
                database.jdbcUrl(LineupServices.INTAKE_DATABASE),
                "lineup.intake.database.user",
                database.user(),
                "lineup.intake.instance-id",
                "intake-1"),
            bootstrap);
    ServiceProcess gateway =
        new ServiceProcess(
            "gateway",
            "dev.lineup.gateway.GatewayApplication",
            freePort(),
            Map.of(
                "lineup.gateway.database.url", database.jdbcUrl(LineupServices.GATEWAY_DATABASE),
                "lineup.gateway.database.user", database.user(),
                "lineup.gateway.instance-id", "gateway-1",
                "lineup.gateway.intake-url", intake.url().toString(),
                "lineup.enroll-secret", ENROLL),
            bootstrap);
    List<ServiceProcess> all = List.of(sequencer, intake, gateway);
    String prefix = "kill-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    AtomicBoolean loading = new AtomicBoolean(true);
    Thread load = new Thread(() -> enqueueUntilStopped(intake.url(), prefix, accepted, loading));
    try {
      for (ServiceProcess service : all) {
        service.start();
      }
      for (ServiceProcess service : all) {
        service.awaitHealthy(Duration.ofMinutes(3));
      }
      try (var devices =
          dev.lineup.agent.Agent.simulate(gateway.url(), ENROLL, HOSTS, prefix, Duration.ZERO)) {
        load.start();
        Thread.sleep(5_000);
        for (ServiceProcess victim : List.of(gateway, sequencer, intake)) {
          int before = accepted.size();
          victim.kill();
          victim.start();
          victim.awaitHealthy(Duration.ofMinutes(3));
          await()
              .atMost(Duration.ofMinutes(2))
              .alias("load goes on after the " + victim.name + " came back")
              .until(() -> accepted.size() > before + 20);
        }
        loading.set(false);
        load.join();

        eachRanExactlyOnce(bootstrap, accepted, devices);
      }
    } catch (Throwable e) {
      for (ServiceProcess service : all) {
        System.err.println(service.logTail(60));
      }
      throw e;
    } finally {
      loading.set(false);
      load.join(30_000);
      for (ServiceProcess service : all) {
        service.kill();
      }
      kafka.close();
      database.close();
    }
  }

  /**
   * A service's main class in a JVM of its own, on this test's class path, configured by system
   * properties; its output goes to {@code target/service-logs/}, one file per start.
   */
  private final class ServiceProcess {
    final String name;
    private final String mainClass;
    private final int port;
    private final Map<String, String> properties = new HashMap<>();
    private Process process;
    private Path log;
    private int starts;

    ServiceProcess(
        String name, String mainClass, int port, Map<String, String> own, String bootstrap) {
      this.name = name;
      this.mainClass = mainClass;
      this.port = port;
      properties.put("micronaut.server.port", Integer.toString(port));
      properties.put("micronaut.server.host", "127.0.0.1");
      properties.put("lineup.kafka.bootstrap-servers", bootstrap);
      properties.put("lineup.admin-token", ADMIN);
      properties.putAll(own);
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + port);
    }

    void start() throws Exception {
      List<String> command = new java.util.ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx384m");
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.lineup");
      properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(mainClass);
      Path logs = Files.createDirectories(Path.of("target", "service-logs"));
      log = logs.resolve(name + "-" + (++starts) + ".log");
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
    }

    void awaitHealthy(Duration within) {
      await()
          .atMost(within)
          .pollInterval(Duration.ofMillis(500))
          .alias(name + " healthy (" + log + ")")
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IllegalStateException(name + " exited: " + logTail(40));
                }
                return health(url()) == 200;
              });
    }

    /** SIGKILL, as the kernel's OOM killer or a pulled plug would stop it. */
    void kill() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly().waitFor();
        assertThat(process.exitValue()).as(name + " killed by SIGKILL").isEqualTo(137);
      }
    }

    String logTail(int lines) {
      try {
        List<String> all = Files.readAllLines(log);
        return "--- "
            + log
            + "\n"
            + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (Exception e) {
        return "--- " + log + ": " + e;
      }
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

  /** An upstream service: enqueues, and resends the same activity id until it is accepted. */
  private void enqueueUntilStopped(
      URI intake, String prefix, Set<String> accepted, AtomicBoolean loading) {
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
        int status = post(intake.resolve("/v1/hosts/" + host + "/activities"), body);
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

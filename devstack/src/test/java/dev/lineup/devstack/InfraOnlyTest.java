package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.FreePorts;
import dev.lineup.embedded.SettingsCatalogue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The devstack's {@code --infra-only}, its main class run as {@code ./devstack.sh} runs it (the
 * script adds only the build): the broker and PostgreSQL come up with Lineup's topics, and what it
 * prints for each service names only real settings, the broker it started, and a jar the build
 * makes. SIGTERM, as Ctrl-C, stops it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InfraOnlyTest {

  private static final Pattern LINE =
      Pattern.compile("^  (intake|sequencer|gateway): +(.*) java -jar (\\S+)$");

  @Test
  void printsEachServicesEnvironmentAndCommandAgainstARunningBrokerAndDatabase() throws Exception {
    Path dir = Files.createTempDirectory("infra-only-");
    Process devstack = start(dir, "0");
    try {
      List<String> printed = printedUntilReady(devstack);
      assertThat(printed).as(String.join("\n", printed)).anyMatch(l -> l.startsWith("A second"));
      String ready =
          printed.stream()
              .filter(l -> l.startsWith("Lineup's infrastructure is ready"))
              .findFirst()
              .orElseThrow();
      String bootstrap = ready.replaceAll(".*kafka (\\S+) .*", "$1");

      Map<String, String> modules =
          Map.of(
              "intake",
              "intake-service",
              "sequencer",
              "sequencer-service",
              "gateway",
              "executor-gateway");
      int services = 0;
      for (String line : printed) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
          continue;
        }
        services++;
        String service = m.group(1);
        SettingsCatalogue settings = SettingsCatalogue.of(service);
        List<String> variables =
            Arrays.stream(m.group(2).trim().split(" ")).map(v -> v.split("=", 2)[0]).toList();
        assertThat(variables)
            .as(service + "'s variables")
            .allSatisfy(v -> assertThat(settings.hasVariable(v)).as(v).isTrue())
            .contains("LINEUP_KAFKA_BOOTSTRAP_SERVERS", "LINEUP_ADMIN_TOKEN");
        assertThat(m.group(2)).contains("LINEUP_KAFKA_BOOTSTRAP_SERVERS=" + bootstrap);
        assertThat(m.group(3))
            .isEqualTo(modules.get(service) + "/target/" + modules.get(service) + "-*.jar");
        assertThat(ServiceProcess.packagedJar(modules.get(service))).exists();
      }
      assertThat(services).as("a line per service").isEqualTo(3);

      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        assertThat(admin.listTopics().names().get()).contains("lineup.requests", "lineup.events");
      }

      devstack.destroy();
      assertThat(devstack.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
    } finally {
      stop(devstack);
    }
  }

  /**
   * Killed with SIGKILL, the devstack leaves its PostgreSQL running, and the services it served
   * still connected to it. Started again on the same data directory, it stops that server (a fast
   * shutdown, which does not wait for those clients to go) and comes up on its data.
   */
  @Test
  void startsAgainAfterASigkillWhileItsDatabaseStillHasClients() throws Exception {
    Path dir = Files.createTempDirectory("infra-only-killed-");
    String postgresPort = Integer.toString(FreePorts.orFree(0));
    Process first = start(dir, postgresPort);
    Process second = null;
    try {
      printedUntilReady(first);
      String url = "jdbc:postgresql://127.0.0.1:" + postgresPort + "/postgres";
      try (Connection client = DriverManager.getConnection(url, "postgres", "")) {
        try (var create = client.createStatement()) {
          create.execute("CREATE TABLE survives (id int)");
        }
        first.destroyForcibly().waitFor();

        second = start(dir, postgresPort);
        List<String> printed = printedUntilReady(second);
        assertThat(printed)
            .as(String.join("\n", printed) + "\n" + Files.readString(dir.resolve("stderr.log")))
            .anyMatch(l -> l.startsWith("Lineup's infrastructure is ready"));
        assertThat(client.isValid(2)).as("the old server's client, disconnected").isFalse();
      }
      try (Connection again = DriverManager.getConnection(url, "postgres", "");
          var read = again.createStatement()) {
        assertThat(read.executeQuery("SELECT count(*) FROM survives").next()).isTrue();
      }
    } finally {
      stop(first);
      if (second != null) {
        stop(second);
      }
    }
  }

  private static Process start(Path dir, String postgresPort) throws IOException {
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Devstack.class.getName(),
            "--infra-only",
            "--data-dir",
            dir.toString(),
            "--kafka-port",
            "0",
            "--postgres-port",
            postgresPort)
        .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr.log").toFile()))
        .start();
  }

  /** What the devstack printed, up to its last line of instructions or two minutes. */
  private static List<String> printedUntilReady(Process devstack) throws IOException {
    List<String> printed = new ArrayList<>();
    var out =
        new BufferedReader(
            new InputStreamReader(devstack.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    String line;
    while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
      printed.add(line);
      if (line.startsWith("A second sequencer")) {
        break;
      }
    }
    return printed;
  }

  /**
   * SIGTERM first, also when an assertion failed: the devstack's hook stops its PostgreSQL, which a
   * SIGKILL would leave running.
   */
  private static void stop(Process devstack) throws InterruptedException {
    devstack.destroy();
    if (!devstack.waitFor(60, TimeUnit.SECONDS)) {
      devstack.destroyForcibly();
    }
  }
}

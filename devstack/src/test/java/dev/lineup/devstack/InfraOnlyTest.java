package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.SettingsCatalogue;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Process devstack =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Devstack.class.getName(),
                "--infra-only",
                "--data-dir",
                dir.toString(),
                "--kafka-port",
                "0")
            .redirectError(dir.resolve("stderr.log").toFile())
            .start();
    try {
      List<String> printed = new ArrayList<>();
      try (var out =
          new BufferedReader(
              new InputStreamReader(devstack.getInputStream(), StandardCharsets.UTF_8))) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        String line;
        while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
          printed.add(line);
          if (line.startsWith("A second sequencer")) {
            break;
          }
        }
      }
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
      // SIGTERM first, also when an assertion failed: the devstack's hook stops its PostgreSQL,
      // which a SIGKILL would leave running.
      devstack.destroy();
      if (!devstack.waitFor(60, TimeUnit.SECONDS)) {
        devstack.destroyForcibly();
      }
    }
  }
}

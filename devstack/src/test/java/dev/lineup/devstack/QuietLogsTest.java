package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micronaut.json.JsonMapper;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/OPERATIONS.md, "Logs": the devstack, run as {@code ./devstack.sh} runs it and with the
 * services' own logging configuration (not the tests'), runs a hundred activities on simulated
 * hosts and stops on SIGTERM without a single WARN or ERROR line, the embedded broker's own lines
 * in a file of its data directory; and with {@code LINEUP_LOG_FORMAT=json} every log line is a JSON
 * object.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class QuietLogsTest {

  private static final String ADMIN = "quiet-logs-admin-token-0123456789";
  private static final JsonMapper JSON = JsonMapper.createDefault();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void aNormalRunAndItsShutdownLogNoWarningsOrErrors() throws Exception {
    Path dir = dataDir("quiet-logs-text");
    List<String> stderr = runActivitiesAndStop(dir, Map.of(), 10, 10);
    assertThat(stderr.stream().filter(l -> l.matches("^\\S+ (WARN|ERROR) .*")).toList())
        .as("WARN and ERROR lines of a normal run:\n%s", String.join("\n", stderr))
        .isEmpty();
    assertThat(stderr).as("no stack traces").noneMatch(l -> l.startsWith("\tat "));
    // Quiet, not silent: the lines an operator needs are there, and logback had nothing to say
    // about its own configuration.
    assertThat(stderr).anyMatch(l -> l.matches("^\\S+ INFO .*Kafka broker up on .*"));
    assertThat(stderr).noneMatch(l -> l.contains("|-WARN") || l.contains("|-ERROR"));
    // The broker's own lines are in its file, not lost.
    assertThat(dir.resolve("kafka-broker.log")).exists();
  }

  @Test
  void withTheJsonFormatEveryLogLineIsAJsonObject() throws Exception {
    Path dir = dataDir("quiet-logs-json");
    List<String> stderr = runActivitiesAndStop(dir, Map.of("LINEUP_LOG_FORMAT", "json"), 2, 2);
    assertThat(stderr).isNotEmpty();
    List<Map<String, Object>> lines = new ArrayList<>();
    for (String line : stderr) {
      Map<String, Object> node = object(line);
      assertThat(node.get("level")).as(line).isIn("INFO", "WARN", "ERROR");
      assertThat((String) node.get("loggerName")).as(line).isNotEmpty();
      assertThat(((Number) node.get("timestamp")).longValue()).as(line).isPositive();
      lines.add(node);
    }
    assertThat(lines)
        .anyMatch(
            n ->
                String.valueOf(n.get("loggerName")).endsWith("EmbeddedKafka")
                    && String.valueOf(n.get("formattedMessage")).startsWith("Kafka broker up on"));
  }

  /** Under the module's target/, not the temp directory Kafka Streams warns about. */
  private static Path dataDir(String name) throws Exception {
    Path target = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target");
    Files.createDirectories(target);
    return Files.createTempDirectory(target, name + "-");
  }

  /**
   * Starts the devstack with {@code agents} simulated hosts, runs {@code perHost} scripts on each,
   * stops it with SIGTERM and answers what it wrote to stderr (its log).
   */
  private static List<String> runActivitiesAndStop(
      Path dir, Map<String, String> env, int agents, int perHost) throws Exception {
    URL logging = QuietLogsTest.class.getClassLoader().getResource("logback.xml");
    assertThat(logging).as("the services' logback.xml on the class path").isNotNull();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // The services' logging, as ./devstack.sh has it; the tests' own would win here.
                "-Dlogback.configurationFile=" + logging,
                // The data directory stands for one the user chose, outside the temp directory
                // (Kafka Streams rightly warns of state kept there; the checkout may be in /tmp).
                "-Djava.io.tmpdir=" + tmp(dir),
                "-cp",
                System.getProperty("java.class.path"),
                Devstack.class.getName(),
                "--data-dir",
                dir.toString(),
                "--admin-token",
                ADMIN,
                "--kafka-port",
                "0",
                "--intake-port",
                "0",
                "--gateway-port",
                "0",
                "--sequencer-port",
                "0",
                "--simulated-agents",
                Integer.toString(agents))
            .redirectOutput(dir.resolve("stdout.log").toFile())
            .redirectError(dir.resolve("stderr.log").toFile());
    builder.environment().putAll(env);
    Process devstack = builder.start();
    try {
      Path stdout = dir.resolve("stdout.log");
      URI intake =
          await()
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(250))
              .until(() -> readyAt(stdout, devstack), u -> u != null);
      int total = agents * perHost;
      for (int h = 0; h < agents; h++) {
        for (int i = 0; i < perHost; i++) {
          HttpResponse<String> answer =
              send(
                  HttpRequest.newBuilder(intake.resolve("/v1/hosts/sim-host-" + h + "/activities"))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo "
                                  + i
                                  + "\"}}")));
          assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        }
      }
      URI summary = intake.resolve("/v1/summary");
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> succeeded(send(HttpRequest.newBuilder(summary).GET()).body()) == total);
      devstack.destroy();
      assertThat(devstack.waitFor(90, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
    } finally {
      if (devstack.isAlive()) {
        devstack.destroyForcibly();
      }
    }
    return Files.readAllLines(dir.resolve("stderr.log"), StandardCharsets.UTF_8);
  }

  private static String tmp(Path dir) throws Exception {
    return Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-tmp")).toString();
  }

  /** The intake URL once the devstack printed that it is ready, else null. */
  private static URI readyAt(Path stdout, Process devstack) throws Exception {
    assertThat(devstack.isAlive()).as("the devstack runs").isTrue();
    for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
      if (line.startsWith("Lineup is ready: intake ")) {
        return URI.create(line.split(" ")[4]);
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(String line) throws Exception {
    try {
      return JSON.readValue(line, Map.class);
    } catch (Exception e) {
      throw new AssertionError("not a JSON object: " + line, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static long succeeded(String summary) throws Exception {
    long count = 0;
    for (Object row : (List<Object>) object(summary).get("counts")) {
      Map<String, Object> counted = (Map<String, Object>) row;
      if ("SUCCEEDED".equals(counted.get("state"))) {
        count += ((Number) counted.get("count")).longValue();
      }
    }
    return count;
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(
        request.header("Authorization", "Bearer " + ADMIN).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

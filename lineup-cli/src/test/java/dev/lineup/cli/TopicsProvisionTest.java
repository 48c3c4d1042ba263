package dev.lineup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lineup topics provision} against a real broker, as an operator or a Job runs it. */
class TopicsProvisionTest {

  @TempDir static Path dataDir;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = EmbeddedKafka.start(dataDir, 0, Map.of());
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private record Run(int exit, String out, String err) {}

  private static Run lineup(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        new CommandLine(new LineupCli())
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static Map<String, TopicDescription> lineupTopics() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Set<String> names = admin.listTopics().names().get();
      List<String> ours = Topics.ALL.stream().map(Topic::name).filter(names::contains).toList();
      return admin.describeTopics(ours).allTopicNames().get();
    }
  }

  @Test
  void createsEveryTopicOnceAndAgainChangesNothingAndAnotherCountIsRefused() throws Exception {
    Run first =
        lineup(
            "topics",
            "provision",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--partitions",
            "3",
            "--replication-factor",
            "1");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out())
        .contains(
            Topics.ALL.size()
                + " Lineup topics with 3 partitions each: "
                + Topics.ALL.size()
                + " created, 0 already there");
    assertThat(lineupTopics()).hasSize(Topics.ALL.size());
    assertThat(lineupTopics().values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(3));

    Run again =
        lineup(
            "topics",
            "provision",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--partitions",
            "3");
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).contains("0 created, " + Topics.ALL.size() + " already there");

    Run other =
        lineup(
            "topics",
            "provision",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--partitions",
            "6");
    assertThat(other.exit()).as("refused, so a Job does not retry it").isEqualTo(3);
    assertThat(other.err()).contains("refused").contains("has 3 partitions, but 6");
    assertThat(lineupTopics().values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(3));
  }

  @Test
  void oneMismatchedTopicRefusesTheWholeRunBeforeAnythingIsCreated() throws Exception {
    try (var other = EmbeddedKafka.start(dataDir.resolve("mismatch"), 0, Map.of());
        Admin admin = Admin.create(Map.of("bootstrap.servers", other.bootstrapServers()))) {
      String squatter = Topics.RESULTS.name();
      admin.createTopics(List.of(new NewTopic(squatter, 2, (short) 1))).all().get();

      Run run =
          lineup(
              "topics",
              "provision",
              "--bootstrap-servers",
              other.bootstrapServers(),
              "--partitions",
              "4");

      assertThat(run.exit()).isEqualTo(3);
      assertThat(run.err()).contains(squatter + " has 2 partitions");
      assertThat(admin.listTopics().names().get())
          .as("nothing else was created")
          .containsExactly(squatter);
    }
  }

  @Test
  void misuseIsAnsweredWithExitCodeTwoAndTouchesNoBroker() {
    Run zero =
        lineup("topics", "provision", "--bootstrap-servers", "127.0.0.1:1", "--partitions", "0");
    assertThat(zero.exit()).isEqualTo(2);
    assertThat(zero.err()).contains("--partitions must be at least 1");

    Run unknown = lineup("topics", "provision", "--partition", "3");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("'--partition'")
        .contains("Possible solutions: --partitions");

    Run words = lineup("topics", "provision", "--partitions", "many");
    assertThat(words.exit()).isEqualTo(2);
    assertThat(words.err()).contains("--partitions");
  }

  @Test
  void saysWhichVersionItIs() {
    Run version = lineup("--version");
    assertThat(version.exit()).isZero();
    assertThat(version.out()).matches("lineup \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\s*");
  }

  /** As a Kubernetes Job runs it: a process with its settings in environment variables only. */
  @Test
  void readsItsSettingsFromTheEnvironmentAsAContainerWould() throws Exception {
    try (var fresh = EmbeddedKafka.start(dataDir.resolve("env"), 0, Map.of())) {
      String output =
          provisionInAProcess(
              Map.of(
                  "LINEUP_KAFKA_BOOTSTRAP_SERVERS", fresh.bootstrapServers(),
                  "LINEUP_TOPICS_PARTITIONS", "2",
                  "LINEUP_TOPICS_REPLICATION_FACTOR", "1"));
      assertThat(output).contains("with 2 partitions each: " + Topics.ALL.size() + " created");
    }
  }

  /**
   * As the Job runs it against a cluster that answers authenticated clients only: the broker's one
   * client listener takes SASL, and the credentials come from the file {@code LINEUP_KAFKA_CONFIG}
   * names, the same file the services read.
   */
  @Test
  void provisionsAClusterThatOnlyAnswersSaslWithTheKafkaConfigFile() throws Exception {
    String password = "pw-" + UUID.randomUUID();
    try (var sasl = EmbeddedKafka.startWithSaslPlain(dataDir.resolve("sasl"), "ops", password)) {
      Path config = dataDir.resolve("sasl-client.properties");
      Files.writeString(
          config,
          "security.protocol=SASL_PLAINTEXT\n"
              + "sasl.mechanism=PLAIN\n"
              + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
              + " username=\"ops\" password=\""
              + password
              + "\";\n");
      String output =
          provisionInAProcess(
              Map.of(
                  "LINEUP_KAFKA_BOOTSTRAP_SERVERS",
                  sasl.bootstrapServers(),
                  "LINEUP_KAFKA_CONFIG",
                  config.toString(),
                  "LINEUP_TOPICS_PARTITIONS",
                  "2",
                  "LINEUP_TOPICS_REPLICATION_FACTOR",
                  "1"));
      assertThat(output)
          .contains("with 2 partitions each: " + Topics.ALL.size() + " created")
          .doesNotContain(password);
    }
  }

  /**
   * {@code lineup topics provision} in a process of its own with these environment variables, as a
   * container runs it; answers its output once it exited 0.
   */
  private static String provisionInAProcess(Map<String, String> environment) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LineupCli.class.getName(),
                "topics",
                "provision")
            .redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process process = builder.start();
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }
}

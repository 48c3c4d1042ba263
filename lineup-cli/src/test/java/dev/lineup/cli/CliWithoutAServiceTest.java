package dev.lineup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the CLI decides on its own, with no service to ask: misuse is exit 2 before anything is
 * sent, an unreachable service is exit 1, a staged batch lives in a file, completion is printed.
 */
class CliWithoutAServiceTest {

  @TempDir Path home;

  private Cli cli() {
    return new Cli(Map.of("LINEUP_HOME", home.toString(), "LINEUP_URL", unreachable()));
  }

  /** A port nothing listens on. */
  private static String unreachable() {
    try {
      return "http://127.0.0.1:" + FreePorts.orFree(0);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anUnreachableServiceIsExitOneSayingWhereItLooked() {
    String url = unreachable();
    var run = cli().with("LINEUP_TOKEN", "a-secret-token-0123456789").run("get", "x", "--url", url);

    assertThat(run.exit()).as(run.describe()).isEqualTo(1);
    assertThat(run.err()).contains("cannot reach intake at " + url);
    assertThat(run.err() + run.out()).doesNotContain("a-secret-token-0123456789");
  }

  @Test
  void misuseIsExitTwoAndNamesWhatIsWrong() {
    var unknown = cli().run("enqueue", "mac-1", "--typ", "lock");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("--typ");

    var noType = cli().run("enqueue", "mac-1");
    assertThat(noType.exit()).isEqualTo(2);
    assertThat(noType.err()).contains("--type is required");

    var badJson = cli().run("enqueue", "mac-1", "--type", "lock", "--payload", "{via: mdm");
    assertThat(badJson.exit()).isEqualTo(2);
    assertThat(badJson.err()).contains("--payload is not JSON");

    var notAnObject = cli().run("enqueue", "mac-1", "--type", "lock", "--payload", "[1]");
    assertThat(notAnObject.exit()).isEqualTo(2);
    assertThat(notAnObject.err()).contains("--payload must be a JSON object");

    var missingFile =
        cli().run("enqueue", "mac-1", "--type", "lock", "--payload", "@/nonexistent/p.json");
    assertThat(missingFile.exit()).isEqualTo(2);
    assertThat(missingFile.err()).contains("--payload: cannot read /nonexistent/p.json");

    var notANumber = cli().run("enqueue", "mac-1", "--type", "lock", "--priority", "high");
    assertThat(notANumber.exit()).isEqualTo(2);
    assertThat(notANumber.err()).contains("--priority");

    var badUrl = cli().run("get", "x", "--url", "ftp://example.com");
    assertThat(badUrl.exit()).isEqualTo(2);
    assertThat(badUrl.err()).contains("--url must be an http:// or https:// URL");

    var purgeUnconfirmed = cli().run("purge", "mac-1");
    assertThat(purgeUnconfirmed.exit()).isEqualTo(2);
    assertThat(purgeUnconfirmed.err()).contains("add --yes");

    var matchingEverything = cli().run("cancel-matching");
    assertThat(matchingEverything.exit()).isEqualTo(2);
    assertThat(matchingEverything.err()).contains("name at least one of --type");

    var badRole = cli().run("tokens", "create", "ci", "--role", "root");
    assertThat(badRole.exit()).isEqualTo(2);
    assertThat(badRole.err()).contains("--role");

    var badDuration = cli().run("events", "tail", "--timeout", "soon");
    assertThat(badDuration.exit()).isEqualTo(2);
    assertThat(badDuration.err()).contains("not a duration");

    var notADeadLetterTopic =
        cli().run("dlq", "replay", "--topic", "lineup.requests", "--offset", "0");
    assertThat(notADeadLetterTopic.exit()).isEqualTo(2);
    assertThat(notADeadLetterTopic.err()).contains("must be a dead-letter topic");
  }

  @Test
  void topicSettingsComeFromTheRunsEnvironmentAndAWordIsNoCount() {
    var run =
        cli()
            .with(
                "LINEUP_TOPICS_PARTITIONS", "many", "LINEUP_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
            .run("topics", "provision");

    assertThat(run.exit()).as(run.describe()).isEqualTo(2);
    assertThat(run.err()).contains("LINEUP_TOPICS_PARTITIONS").contains("many");
  }

  @Test
  void aTokenWithALineBreakIsRefusedBeforeItIsSentAndNeverPrinted() throws Exception {
    Path file = home.resolve("token");
    Files.writeString(file, "abc\r\nX-Injected: yes\n");

    var run = cli().run("get", "x", "--token-file", file.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("--token-file").doesNotContain("Injected");
  }

  @Test
  void aBatchIsStagedInAFileActivityByActivityEachWithItsOwnId() throws Exception {
    Path script = home.resolve("hello.sh");
    Files.writeString(script, "echo hello\n");

    assertThat(cli().run("batch", "new", "b1").exit()).isZero();
    var again = cli().run("batch", "new", "b1");
    var lock = cli().run("batch", "add", "b1", "--host", "mac-1", "--type", "lock");
    var unknownOption =
        cli().run("batch", "add", "b1", "--host", "mac-2", "--script", script.toString(), "-P");
    var run = cli().run("batch", "add", "b1", "--host", "mac-2", "--script", script.toString());
    var shown = cli().run("batch", "show", "b1", "--json");

    assertThat(again.exit()).as("a name in use is refused").isEqualTo(3);
    assertThat(lock.exit()).as(lock.describe()).isZero();
    assertThat(unknownOption.exit()).as("nothing staged on misuse").isEqualTo(2);
    assertThat(run.out()).contains("2 in batch b1");
    var activities = shown.json().get("activities");
    assertThat(activities).hasSize(2);
    assertThat(activities.get(0).get("host_id").asText()).isEqualTo("mac-1");
    assertThat(activities.get(0).get("activity_id").asText()).hasSize(36);
    assertThat(activities.get(1).get("type").asText()).isEqualTo("script_run");
    assertThat(activities.get(1).get("payload").get("script").asText()).isEqualTo("echo hello\n");
    assertThat(home.resolve("batches/b1.json")).exists();

    assertThat(cli().run("batch", "list").out()).contains("b1").contains("2");
    assertThat(cli().run("batch", "drop", "b1").exit()).isZero();
    assertThat(cli().run("batch", "show", "b1").exit()).isEqualTo(3);
  }

  @Test
  void aBatchNameThatIsAPathIsRefused() {
    for (String name : new String[] {"../etc/passwd", ".hidden", "a/b", "", "x".repeat(65)}) {
      var run = cli().run("batch", "new", name);
      assertThat(run.exit()).as(name).isEqualTo(2);
      assertThat(run.err()).contains("a batch name is");
    }
    assertThat(home.resolve("batches")).doesNotExist();
  }

  @Test
  void anEmptyBatchIsNotSubmitted() {
    cli().run("batch", "new", "empty");

    var run = cli().run("batch", "submit", "empty");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("batch empty is empty");
  }

  @Test
  void completionPrintsABashScriptCoveringTheSubcommands() {
    var run = cli().run("completion");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .contains("complete -F")
        .contains("enqueue")
        .contains("cancel-matching")
        .contains("replay");
  }

  @Test
  void everyStatusHasItsExitCode() {
    assertThat(IntakeApi.exitCode(400)).isEqualTo(2);
    assertThat(IntakeApi.exitCode(413)).isEqualTo(2);
    assertThat(IntakeApi.exitCode(401)).isEqualTo(3);
    assertThat(IntakeApi.exitCode(403)).isEqualTo(3);
    assertThat(IntakeApi.exitCode(404)).isEqualTo(3);
    assertThat(IntakeApi.exitCode(409)).isEqualTo(3);
    assertThat(IntakeApi.exitCode(429)).isEqualTo(1);
    assertThat(IntakeApi.exitCode(500)).isEqualTo(1);
    assertThat(IntakeApi.exitCode(503)).isEqualTo(1);
  }
}

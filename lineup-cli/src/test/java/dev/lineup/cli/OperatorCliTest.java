package dev.lineup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lineup.devstack.LineupServices;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code lineup} command against the real services, broker and PostgreSQL (one stack for the
 * class), as an operator runs it: with {@code LINEUP_URL}, {@code LINEUP_TOKEN} and {@code
 * LINEUP_BOOTSTRAP} set. No agent runs, so the first activity of a host stays RELEASED and the rest
 * wait QUEUED behind it.
 */
@ExtendWith(LineupInfrastructure.class)
class OperatorCliTest {

  private static final String ADMIN = "cli-admin-token-0123456789";
  private static LineupServices services;
  private static String bootstrap;
  private static Cli admin;

  @TempDir static Path home;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    bootstrap = kafka.bootstrapServers();
    services =
        LineupServices.start(
            new LineupServices.Settings(
                bootstrap,
                database,
                Files.createTempDirectory("cli-state"),
                ADMIN,
                "cli-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    admin =
        new Cli(
            Map.of(
                "LINEUP_URL",
                services.intakeUrl().toString(),
                "LINEUP_TOKEN",
                ADMIN,
                "LINEUP_BOOTSTRAP",
                bootstrap,
                "LINEUP_HOME",
                home.toString()));
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  private static String host(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static Cli.Run ok(Cli cli, String... args) {
    Cli.Run run = cli.run(args);
    assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.describe()).isZero();
    return run;
  }

  private static String enqueueScript(String host, String script) {
    return ok(
            admin,
            "enqueue",
            host,
            "--type",
            "script_run",
            "--payload",
            "{\"script\":\"" + script + "\"}",
            "--json")
        .json()
        .get("activity_id")
        .asText();
  }

  private static void awaitState(String activityId, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(ok(admin, "get", activityId, "--json").json().get("state").asText())
                    .isEqualTo(state));
  }

  @Test
  void enqueueGetListCancelAndThePastShowsItCancelled() {
    String host = host("mac");
    var first =
        ok(
            admin,
            "enqueue",
            host,
            "--type",
            "script_run",
            "--payload",
            "{\"script\":\"echo one\"}");
    assertThat(first.out()).contains("activity_id:").contains("host_id:").contains(host);
    String second = enqueueScript(host, "echo two");

    var got = ok(admin, "get", second);
    assertThat(got.out()).contains(second).contains("script_run");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var upcoming = ok(admin, "list", host);
              assertThat(upcoming.out()).contains("RELEASED").contains(second).contains("QUEUED");
            });

    var cancelled = ok(admin, "cancel", host, second);
    assertThat(cancelled.out()).contains("cancelling " + second);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var past = ok(admin, "list", host, "--past", "--json").json();
              assertThat(past.get("activities")).hasSize(1);
              assertThat(past.get("activities").get(0).get("activity_id").asText())
                  .isEqualTo(second);
              assertThat(past.get("activities").get(0).get("state").asText())
                  .isEqualTo("CANCELLED");
            });
    assertThat(ok(admin, "list", host, "--past").out()).contains(second).contains("CANCELLED");

    var again = admin.run("cancel", host, second);
    assertThat(again.exit()).as(again.describe()).isEqualTo(3);
    assertThat(again.err()).contains("409").contains("already ended CANCELLED");
  }

  @Test
  void aHostIdWithSlashesSpacesAndQueryCharactersStaysOneHost() {
    String host = "lab/" + UUID.randomUUID().toString().substring(0, 8) + " #1?x=y&z";

    String activity = enqueueScript(host, "echo odd");

    assertThat(ok(admin, "get", activity, "--json").json().get("host_id").asText()).isEqualTo(host);
    var upcoming = ok(admin, "list", host, "--json").json().get("activities");
    assertThat(upcoming).hasSize(1);
    assertThat(upcoming.get(0).get("activity_id").asText()).isEqualTo(activity);
  }

  @Test
  void cancelAllEndsEverythingUpcomingOnTheHost() {
    String host = host("all");
    String holder = enqueueScript(host, "echo 1");
    String second = enqueueScript(host, "echo 2");
    String third = enqueueScript(host, "echo 3");
    awaitState(holder, "RELEASED");

    var run = ok(admin, "cancel-all", host);

    assertThat(run.out()).contains("cancelling everything upcoming on " + host);
    awaitState(second, "CANCELLED");
    awaitState(third, "CANCELLED");
    assertThat(ok(admin, "get", holder, "--json").json().get("state").asText())
        .as("released, so not upcoming")
        .isEqualTo("RELEASED");
  }

  @Test
  void pausedHostsHoldTheirActivitiesUntilCancelMatchingEndsThemAndResumeReleasesAgain() {
    String one = host("paused");
    String two = host("paused");
    String installer = "zoom-" + UUID.randomUUID();
    ok(admin, "pause", one);
    assertThat(ok(admin, "pause", two, "--json").json().get("command").asText()).isEqualTo("pause");
    String payload =
        "{\"installer_id\":\""
            + installer
            + "\",\"version\":\"1\",\"download_ref\":\"https://example.com/z.pkg\"}";
    String atOne =
        ok(admin, "enqueue", one, "--type", "software_install", "--payload", payload, "--json")
            .json()
            .get("activity_id")
            .asText();
    String atTwo =
        ok(admin, "enqueue", two, "--type", "software_install", "--payload", payload, "--json")
            .json()
            .get("activity_id")
            .asText();
    awaitState(atOne, "QUEUED");
    awaitState(atTwo, "QUEUED");

    var matching = ok(admin, "cancel-matching", "--installer-id", installer);

    assertThat(matching.out()).contains("cancellation ").contains("partitions");
    awaitState(atOne, "CANCELLED");
    awaitState(atTwo, "CANCELLED");

    var resumed = ok(admin, "resume", one);
    assertThat(resumed.out()).contains("resuming " + one);
    awaitState(enqueueScript(one, "echo after"), "RELEASED");
  }

  @Test
  void purgeEndsEveryActivityOfTheHost() {
    String host = host("purged");
    String released = enqueueScript(host, "echo 1");
    awaitState(released, "RELEASED");

    var run = ok(admin, "purge", host, "--yes");

    assertThat(run.out()).contains("purging " + host);
    awaitState(released, "CANCELLED");
    assertThat(ok(admin, "get", released, "--json").json().get("reason").asText())
        .isEqualTo("HOST_PURGED");
  }

  @Test
  void aStagedBatchIsSubmittedOnceAndFollowedByItsName(@TempDir Path files) throws Exception {
    Path script = files.resolve("hi.sh");
    Files.writeString(script, "echo hi\n");
    String one = host("batch");
    String two = host("batch");
    ok(admin, "batch", "new", "rollout");
    ok(admin, "batch", "add", "rollout", "--host", one, "--type", "lock");
    ok(admin, "batch", "add", "rollout", "--host", two, "--script", script.toString());

    var submitted = ok(admin, "batch", "submit", "rollout");

    assertThat(submitted.out()).contains("submitted batch rollout as ").contains("(2 activities)");
    String batchId =
        ok(admin, "batch", "show", "rollout", "--json").json().get("batch_id").asText();
    var status = ok(admin, "batch", "status", "rollout");
    assertThat(status.out()).contains(batchId).contains("STATE");
    var byId = ok(admin, "batch", "status", batchId, "--json").json();
    assertThat(byId.get("size").asInt()).isEqualTo(2);
    assertThat(
            ok(admin, "list", two, "--json")
                .json()
                .get("activities")
                .get(0)
                .get("batch_id")
                .asText())
        .isEqualTo(batchId);

    var twice = admin.run("batch", "submit", "rollout");
    assertThat(twice.exit()).isEqualTo(3);
    assertThat(twice.err()).contains("was submitted as " + batchId);
    // Each host's only activity is released at once: none waits, both are in flight.
    awaitState(
        ok(admin, "list", one, "--json")
            .json()
            .get("activities")
            .get(0)
            .get("activity_id")
            .asText(),
        "RELEASED");
    awaitState(
        ok(admin, "list", two, "--json")
            .json()
            .get("activities")
            .get(0)
            .get("activity_id")
            .asText(),
        "RELEASED");
    var released = ok(admin, "batch", "status", "rollout", "--state", "released");
    assertThat(released.out()).contains(one).contains(two).contains("lock");
    assertThat(ok(admin, "batch", "status", batchId, "--state", "failed").out())
        .contains("(no failed activities)");
    assertThat(admin.run("batch", "status", batchId, "--state", "sideways").exit())
        .isEqualTo(LineupCli.MISUSED);
  }

  @Test
  void aBatchIntakeRefusesNamesEachBadFieldAndStaysUnsubmitted() {
    ok(admin, "batch", "new", "bad");
    ok(admin, "batch", "add", "bad", "--host", host("ok"), "--type", "lock");
    ok(admin, "batch", "add", "bad", "--host", host("bad"), "--type", "reboot");

    var run = admin.run("batch", "submit", "bad");

    assertThat(run.exit()).as(run.describe()).isEqualTo(2);
    assertThat(run.err()).contains("(HTTP 400)").contains("activities[1].type");
    assertThat(ok(admin, "batch", "show", "bad", "--json").json().get("batch_id").isNull())
        .isTrue();
  }

  @Test
  void tokensAreCreatedListedUsedWithTheirRoleAndRevoked() {
    String name = "ops-" + UUID.randomUUID().toString().substring(0, 8);
    var created = ok(admin, "tokens", "create", name, "--role", "observer");
    List<String> lines = created.out().lines().toList();
    String token = lines.get(lines.size() - 1).strip();
    assertThat(token).hasSizeGreaterThan(16);
    assertThat(ok(admin, "tokens", "list").out()).contains(name).contains("observer");

    Cli observer = admin.with("LINEUP_TOKEN", token);
    String activity = enqueueScript(host("observed"), "echo 1");
    assertThat(ok(observer, "get", activity).out()).contains(activity);
    var forbidden = observer.run("enqueue", "mac-1", "--type", "lock");
    assertThat(forbidden.exit()).as(forbidden.describe()).isEqualTo(3);
    assertThat(forbidden.err()).contains("403");

    var taken = admin.run("tokens", "create", name, "--role", "operator");
    assertThat(taken.exit()).isEqualTo(3);
    assertThat(taken.err()).contains("409");

    ok(admin, "tokens", "revoke", name);
    var revoked = observer.run("get", activity);
    assertThat(revoked.exit()).isEqualTo(3);
    assertThat(revoked.err()).contains("401").doesNotContain(token);
  }

  @Test
  void aScheduleIsCreatedListedPausedResumedAndDeleted(@TempDir Path files) throws Exception {
    String host = host("scheduled");
    Path script = files.resolve("inventory.sh");
    Files.writeString(script, "#!/bin/sh\necho inventory\n");
    String startAt =
        Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.MINUTES).toString();

    var created =
        ok(
            admin,
            "schedules",
            "create",
            host,
            "--every",
            "PT6H",
            "--start-at",
            startAt,
            "--script",
            script.toString(),
            "--json");
    String id = created.json().get("schedule_id").asText();
    var listed = ok(admin, "schedules", "list", host);
    var paused = ok(admin, "schedules", "pause", id, "--json");
    var resumed = ok(admin, "schedules", "resume", id, "--json");
    var deleted = ok(admin, "schedules", "delete", id);
    var gone = admin.run("schedules", "get", id);
    var neither = admin.run("schedules", "create", host, "--script", script.toString());

    assertThat(created.json().get("next_fire_at").asText()).isEqualTo(startAt);
    assertThat(listed.out()).contains(id).contains("PT6H").contains(startAt);
    assertThat(paused.json().get("paused").asBoolean()).isTrue();
    assertThat(resumed.json().get("paused").asBoolean()).isFalse();
    assertThat(deleted.out()).contains("deleted schedule " + id);
    assertThat(gone.exit()).isEqualTo(LineupCli.REFUSED);
    assertThat(neither.exit()).isEqualTo(LineupCli.MISUSED);
  }

  @Test
  void aWorkflowIsStoredListedAndRunOnHosts() {
    String name = host("decommission");
    String host = host("retired");
    String example = Path.of("..", "docs", "workflows", "decommission.json").toString();

    var put = ok(admin, "workflows", "put", name, example);
    var again = ok(admin, "workflows", "put", name, example, "--json");
    var listed = ok(admin, "workflows", "list");
    var run =
        ok(
            admin,
            "workflows",
            "run",
            name,
            "--host",
            host,
            "--input",
            "message=Return to IT",
            "--json");
    var missing = admin.run("workflows", "run", name, "--host", host);

    assertThat(put.out()).contains(name + " version 1");
    assertThat(again.json().get("version").asInt()).isEqualTo(1);
    assertThat(listed.out()).contains(name).contains("message");
    assertThat(run.json().get("activities").asInt()).isEqualTo(2);
    assertThat(
            ok(admin, "batch", "status", run.json().get("batch_id").asText(), "--json")
                .json()
                .get("size")
                .asInt())
        .isEqualTo(2);
    assertThat(missing.exit()).isEqualTo(LineupCli.MISUSED);
    assertThat(missing.err()).contains("inputs.message");
  }

  @Test
  void aSecretIsSetFromStandardInputListedWithoutItsValueAndDeleted() {
    String name =
        "CLI_" + UUID.randomUUID().toString().substring(0, 8).toUpperCase().replace("-", "_");
    String value = "cli-value-" + UUID.randomUUID();

    var set =
        admin.runWithInput(
            (value + "\n").getBytes(StandardCharsets.UTF_8), "secrets", "set", name, "-");
    var listed = ok(admin, "secrets", "list");
    var deleted = ok(admin, "secrets", "delete", name);
    var gone = admin.run("secrets", "delete", name);

    assertThat(set.exit()).as(set.describe()).isZero();
    assertThat(set.out()).contains("set " + name).doesNotContain(value);
    assertThat(listed.out()).contains(name).doesNotContain(value);
    assertThat(deleted.out()).contains("deleted secret " + name);
    assertThat(gone.exit()).isEqualTo(LineupCli.REFUSED);
  }

  @Test
  void contentIsStoredByItsHashAndAScriptRunsByIt(@TempDir Path files) throws Exception {
    byte[] body = "#!/bin/sh\necho stored\n".getBytes(StandardCharsets.UTF_8);
    Path file = files.resolve("stored.sh");
    Files.write(file, body);
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));

    var put = ok(admin, "contents", "put", file.toString());
    var fromStdin = admin.runWithInput(body, "contents", "put", "-", "--json");

    assertThat(put.out()).startsWith(sha256).contains(body.length + " bytes");
    assertThat(fromStdin.json().get("sha256").asText()).isEqualTo(sha256);
    assertThat(ok(admin, "contents", "get", sha256).bytes()).isEqualTo(body);
    ok(
        admin,
        "enqueue",
        host("by-hash"),
        "--type",
        "script_run",
        "--payload",
        "{\"script_sha256\":\"" + sha256 + "\"}");
  }

  @Test
  void refusalsAndFailuresHaveTheirExitCodes() {
    var wrongToken = admin.with("LINEUP_TOKEN", "not-the-token-0123456789").run("summary");
    assertThat(wrongToken.exit()).isEqualTo(3);
    assertThat(wrongToken.err()).contains("401").doesNotContain("not-the-token");

    var noToken = admin.with("LINEUP_TOKEN", null).run("summary");
    assertThat(noToken.exit()).isEqualTo(3);
    assertThat(noToken.err()).contains("no token was given");

    var missing = admin.run("get", UUID.randomUUID().toString());
    assertThat(missing.exit()).isEqualTo(3);
    assertThat(missing.err()).contains("404");

    var invalid =
        admin.run(
            "enqueue",
            host("invalid"),
            "--type",
            "lock",
            "--priority",
            "2000000",
            "--timeout-ms",
            "5");
    assertThat(invalid.exit()).as(invalid.describe()).isEqualTo(2);
    assertThat(invalid.err())
        .contains("(HTTP 400)")
        .contains("  priority: ")
        .contains("  timeout_ms: ");

    var down = admin.run("summary", "--url", "http://127.0.0.1:" + FreePorts.pick());
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err()).contains("cannot reach intake");

    assertThat(ok(admin, "summary").out()).contains("TYPE").contains("STATE");
  }

  /** With its own token, so that no other test of the class meets the exhausted budget. */
  @Test
  void aTokenOverItsRateIsExitOneShowingWhenToRetry() throws Exception {
    String name = "busy-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> lines =
        ok(admin, "tokens", "create", name, "--role", "observer").out().lines().toList();
    Cli busy = admin.with("LINEUP_TOKEN", lines.get(lines.size() - 1).strip());
    AtomicReference<Cli.Run> limited = new AtomicReference<>();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        running.add(
            threads.submit(
                () -> {
                  for (int i = 0; i < 500 && limited.get() == null; i++) {
                    Cli.Run run = busy.run("summary", "--json");
                    if (run.exit() != 0) {
                      limited.compareAndSet(null, run);
                    }
                  }
                }));
      }
      for (Future<?> thread : running) {
        thread.get();
      }
    } finally {
      threads.shutdownNow();
    }

    assertThat(limited.get()).as("the token's burst of 200 ran out").isNotNull();
    assertThat(limited.get().exit()).as(limited.get().describe()).isEqualTo(1);
    assertThat(limited.get().err()).contains("(HTTP 429)").containsPattern("retry after \\d+ s");
  }

  @Test
  void eventsTailPrintsAHostsEventsAsJsonLines() {
    String host = host("events");
    String other = host("events-other");
    String activity = enqueueScript(host, "echo 1");
    enqueueScript(other, "echo 1");
    awaitState(activity, "RELEASED");

    var run =
        ok(
            admin,
            "events",
            "tail",
            "--from-beginning",
            "--host",
            host,
            "--max",
            "2",
            "--timeout",
            "30s");

    List<JsonNode> events = run.jsonLines();
    assertThat(events).hasSize(2);
    assertThat(events).allSatisfy(e -> assertThat(e.get("host_id").asText()).isEqualTo(host));
    assertThat(events)
        .allSatisfy(e -> assertThat(e.get("activity_id").asText()).isEqualTo(activity));
    assertThat(events)
        .extracting(e -> e.get("state").asText())
        .containsExactly("QUEUED", "RELEASED");
    assertThat(events.get(0).get("type").asText()).isEqualTo("script_run");
    assertThat(events.get(0).has("occurred_at")).isTrue();

    var onlyReleased =
        ok(
            admin,
            "events",
            "tail",
            "--from-beginning",
            "--host",
            host,
            "--state",
            "released",
            "--max",
            "1",
            "--timeout",
            "30s");
    assertThat(onlyReleased.jsonLines())
        .singleElement()
        .satisfies(e -> assertThat(e.get("state").asText()).isEqualTo("RELEASED"));

    var notThere =
        admin.run(
            "events",
            "tail",
            "--from-beginning",
            "--host",
            host,
            "--type",
            "lock",
            "--max",
            "1",
            "--timeout",
            "2s");
    assertThat(notThere.exit()).isEqualTo(1);
    assertThat(notThere.err()).contains("timed out after 0 of 1 events");
  }

  @Test
  void aDeadLetterIsListedAndReplayedToItsSourceWhereItFailsAgain() throws Exception {
    String key = host("poison");
    try (var producer = producer()) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.REQUESTS.name(),
                  key.getBytes(StandardCharsets.UTF_8),
                  "not avro".getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    JsonNode dead = awaitDeadLetters(key, 1).get(0);
    assertThat(dead.get("topic").asText()).isEqualTo(Topics.REQUESTS_DLQ.name());
    assertThat(dead.get("source_topic").asText()).isEqualTo(Topics.REQUESTS.name());
    assertThat(dead.get("reason").asText()).startsWith("undecodable");
    assertThat(ok(admin, "dlq", "list", "--key", key).out())
        .contains(Topics.REQUESTS.name() + "/")
        .contains("undecodable");

    var replayed =
        ok(
            admin,
            "dlq",
            "replay",
            "--topic",
            Topics.REQUESTS_DLQ.name(),
            "--partition",
            dead.get("partition").asText(),
            "--offset",
            dead.get("offset").asText());

    String prefix =
        "as " + Topics.REQUESTS.name() + "/" + dead.get("source_partition").asText() + "@";
    assertThat(replayed.out()).contains("replayed ").contains(prefix);
    String newOffset =
        replayed.out().substring(replayed.out().indexOf(prefix) + prefix.length()).strip();
    JsonNode again = awaitDeadLetters(key, 2).get(1);
    assertThat(again.get("source_offset").asText())
        .as("the replayed copy failed again and is dead-lettered with itself as the source")
        .isEqualTo(newOffset);
  }

  @Test
  void aDeadLetterWithoutASourceOrFromADeadLetterTopicIsNotReplayed() throws Exception {
    String key = host("sourceless");
    var topic = Topics.LEDGER_DLQ.name();
    int partition;
    long offset;
    try (var producer = producer()) {
      var noSource =
          producer.send(new ProducerRecord<>(topic, 0, key.getBytes(), "x".getBytes())).get();
      var fromDlq = new ProducerRecord<>(topic, 0, key.getBytes(), "y".getBytes());
      DeadLetterHeaders.write(fromDlq.headers(), "loop", Topics.REQUESTS_DLQ.name(), 0, 3);
      producer.send(fromDlq).get();
      var fromChangelog = new ProducerRecord<>(topic, 0, key.getBytes(), "z".getBytes());
      DeadLetterHeaders.write(
          fromChangelog.headers(), "tick", "lineup-sequencer-sequencer-queue-changelog", 0, -1);
      producer.send(fromChangelog).get();
      partition = noSource.partition();
      offset = noSource.offset();
    }

    var run =
        admin.run(
            "dlq",
            "replay",
            "--topic",
            topic,
            "--partition",
            String.valueOf(partition),
            "--offset",
            String.valueOf(offset),
            "--to",
            String.valueOf(offset + 2));

    assertThat(run.exit()).as(run.describe()).isEqualTo(3);
    assertThat(run.err())
        .contains("nothing replayed")
        .contains("no lineup.dlq.source.topic header")
        .contains("is itself a dead-letter topic")
        .contains("is not a topic Lineup reads");
    assertThat(run.out()).doesNotContain("replayed");
  }

  private static List<JsonNode> awaitDeadLetters(String key, int count) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                ok(
                        admin,
                        "dlq",
                        "list",
                        "--topic",
                        Topics.REQUESTS_DLQ.name(),
                        "--key",
                        key,
                        "--json")
                    .jsonLines(),
            l -> l.size() >= count);
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of("bootstrap.servers", bootstrap),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }
}

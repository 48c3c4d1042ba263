package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Workflow templates on the real services, broker and PostgreSQL: the two templates docs/workflows
 * ships, versions and pinning, a failed step cancelling its dependents, and every refusal.
 */
@ExtendWith(LineupInfrastructure.class)
class WorkflowsTest {

  private static final String ADMIN = "workflows-admin-token-0123456789";
  private static final String ENROLL = "workflows-enroll-secret-0123456789";
  private static final Path EXAMPLES = Path.of("..", "docs", "workflows");

  private static LineupServices services;
  private static LineupClient intake;
  private static LineupClient gateway;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase db) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                db,
                Files.createTempDirectory("workflows-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    intake = new LineupClient(services.intakeUrl(), ADMIN, json);
    gateway = new LineupClient(services.gatewayUrl(), null, json);
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  private static String unique(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static LineupClient.Answer putExample(String name, String file) throws Exception {
    return intake.putJson("/v1/workflows/" + name, Files.readString(EXAMPLES.resolve(file)));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> upcoming(String host) throws Exception {
    return (List<Map<String, Object>>)
        intake.get("/v1/hosts/" + host + "/activities?state=upcoming").body().get("activities");
  }

  private static void awaitState(String activityId, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(intake.get("/v1/activities/" + activityId).text("state"))
                    .isEqualTo(state));
  }

  @SuppressWarnings("unchecked")
  private static List<String> fields(LineupClient.Answer answer) {
    assertThat(answer.status()).as(String.valueOf(answer.body())).isEqualTo(400);
    return ((List<Map<String, Object>>) answer.body().get("errors"))
        .stream().map(e -> (String) e.get("field")).toList();
  }

  @Test
  void theDecommissionExampleLocksEachHostThenWipesItInOneBatch() throws Exception {
    String name = unique("decommission");
    String a = unique("retired");
    String b = unique("retired");

    var stored = putExample(name, "decommission.json");
    var run =
        intake.post(
            "/v1/workflows/" + name + "/runs",
            "{\"host_ids\":[\""
                + a
                + "\",\""
                + b
                + "\"],\"inputs\":{\"message\":\"Return to IT\"}}");

    assertThat(stored.status()).isEqualTo(201);
    assertThat(stored.body()).containsEntry("version", 1);
    assertThat(run.status()).isEqualTo(202);
    assertThat(run.body()).containsEntry("version", 1).containsEntry("activities", 4);
    var batch = intake.get("/v1/batches/" + run.text("batch_id"));
    assertThat(batch.body()).containsEntry("size", 4);
    for (String host : List.of(a, b)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(upcoming(host))
                      .extracting(x -> x.get("type") + " " + x.get("state"))
                      .containsExactly("lock RELEASED", "wipe QUEUED"));
    }
    // Each host's wipe waits on that host's lock, in the sequencer's own queue.
    for (String host : List.of(a, b)) {
      @SuppressWarnings("unchecked")
      var queued =
          (List<Map<String, Object>>)
              intake.get("/v1/hosts/" + host + "/queue").body().get("upcoming");
      assertThat(queued)
          .extracting(x -> x.get("type") + " waits on " + x.get("pending_dependencies"))
          .containsExactly("wipe waits on 1");
    }
  }

  @Test
  void aPrecheckThatFailsCancelsTheInstallOnItsHostOnly() throws Exception {
    String name = unique("install-with-precheck");
    String refused = unique("small-disk");
    String fine = unique("big-disk");
    assertThat(putExample(name, "install-with-precheck.json").status()).isEqualTo(201);

    var run =
        intake.post(
            "/v1/workflows/" + name + "/runs",
            "{\"host_ids\":[\""
                + refused
                + "\",\""
                + fine
                + "\"],\"inputs\":{\"installer_id\":\"zoom\",\"version\":\"6.1\","
                + "\"download_ref\":\"https://example.com/zoom.pkg\",\"min_free_gb\":\"5\"}}");
    assertThat(run.status()).isEqualTo(202);

    String failedCheck = report(refused, "failed", 1);
    String passedCheck = report(fine, "succeeded", 0);

    awaitState(failedCheck, "FAILED");
    awaitState(passedCheck, "SUCCEEDED");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var past =
                  intake.get("/v1/hosts/" + refused + "/activities?state=past").body().toString();
              assertThat(past).contains("software_install").contains("DEPENDENCY_FAILED");
            });
    assertThat(upcoming(fine))
        .extracting(x -> x.get("type") + " " + x.get("state"))
        .containsExactly("software_install RELEASED");
    // Which hosts the rollout failed on, from the batch.
    String batch = "/v1/batches/" + run.text("batch_id") + "/activities";
    assertThat(listed(intake.get(batch + "?state=failed")))
        .containsExactly(refused + " script_run FAILED");
    assertThat(listed(intake.get(batch + "?state=CANCELLED")))
        .containsExactly(refused + " software_install CANCELLED");
    assertThat(listed(intake.get(batch))).hasSize(4);
    assertThat(listed(intake.get(batch + "?limit=1"))).hasSize(1);
    assertThat(fields(intake.get(batch + "?state=sideways"))).containsExactly("state");
    assertThat(intake.get("/v1/batches/" + UUID.randomUUID() + "/activities").status())
        .isEqualTo(404);
  }

  @SuppressWarnings("unchecked")
  private static List<String> listed(LineupClient.Answer page) {
    assertThat(page.status()).isEqualTo(200);
    return ((List<Map<String, Object>>) page.body().get("activities"))
        .stream().map(a -> a.get("host_id") + " " + a.get("type") + " " + a.get("state")).toList();
  }

  /** The host's agent takes its task, checks the script went in with its inputs, and reports. */
  private static String report(String host, String outcome, int exitCode) throws Exception {
    LineupClient agent = agentFor(host);
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.status()).isEqualTo(200);
    assertThat(task.text("type")).isEqualTo("script_run");
    String id = task.text("activity_id");
    String sha = (String) ((Map<?, ?>) task.body().get("payload")).get("script_sha256");
    LineupClient withTask = gateway.as(task.text("task_token"));
    String script =
        new String(withTask.getBytes("/v1/agent/contents/" + sha + "?activity_id=" + id));
    assertThat(script).contains("zoom 6.1").contains("$(( 5 * 1024 * 1024 ))");
    var reported =
        withTask.post(
            "/v1/agent/tasks/" + id + "/result",
            "{\"outcome\":\"" + outcome + "\",\"exit_code\":" + exitCode + "}");
    assertThat(reported.status()).isEqualTo(200);
    return id;
  }

  private static LineupClient agentFor(String host) throws Exception {
    var enrolled =
        gateway.post(
            "/v1/agent/enroll",
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}");
    assertThat(enrolled.status()).isEqualTo(200);
    return gateway.as(enrolled.text("host_token"));
  }

  @Test
  void eachChangeIsANewVersionAndARunStaysOnTheVersionItNames() throws Exception {
    String name = unique("versions");
    String v1 =
        "{\"inputs\":[\"what\"],\"steps\":[{\"name\":\"say\",\"type\":\"script_run\","
            + "\"payload\":{\"script\":\"echo ${inputs.what}\"},\"priority\":1}]}";
    String v2 = v1.replace("\"priority\":1", "\"priority\":2");

    var first = intake.putJson("/v1/workflows/" + name, v1);
    var second = intake.putJson("/v1/workflows/" + name, v2);
    var same = intake.putJson("/v1/workflows/" + name, v2);
    String host = unique("pinned");
    var pinned =
        intake.post(
            "/v1/workflows/" + name + "/runs",
            "{\"host_ids\":[\"" + host + "\"],\"inputs\":{\"what\":\"hi\"},\"version\":1}");

    assertThat(first.body()).containsEntry("version", 1);
    assertThat(second.status()).isEqualTo(201);
    assertThat(second.body()).containsEntry("version", 2);
    assertThat(same.status()).isEqualTo(200);
    assertThat(same.body()).containsEntry("version", 2);
    assertThat(intake.get("/v1/workflows/" + name + "?version=1").body().toString())
        .contains("priority=1");
    assertThat(intake.get("/v1/workflows/" + name).body()).containsEntry("version", 2);
    assertThat(intake.get("/v1/workflows").body().toString()).contains(name);
    assertThat(pinned.body()).containsEntry("version", 1);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(upcoming(host)).extracting(x -> x.get("priority")).containsExactly(1));
    assertThat(intake.get("/v1/workflows/" + name + "?version=3").status()).isEqualTo(404);
    assertThat(intake.get("/v1/workflows/never-" + name).status()).isEqualTo(404);
  }

  @Test
  void aNamedRunSentAgainAnswersTheBatchItMadeInsteadOfRunningTwice() throws Exception {
    String name = unique("decommission");
    String host = unique("retired");
    putExample(name, "decommission.json");
    String run =
        "{\"run_id\":\""
            + UUID.randomUUID()
            + "\",\"host_ids\":[\""
            + host
            + "\"],\"inputs\":{\"message\":\"Return to IT\"}}";

    var first = intake.post("/v1/workflows/" + name + "/runs", run);
    var again = intake.post("/v1/workflows/" + name + "/runs", run);

    assertThat(first.status()).isEqualTo(202);
    assertThat(again.status()).isEqualTo(202);
    assertThat(again.text("batch_id")).isEqualTo(first.text("batch_id"));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(upcoming(host)).hasSize(2));
    assertThat(
            fields(
                intake.post(
                    "/v1/workflows/" + name + "/runs",
                    run.replace("\"run_id\":\"", "\"run_id\":\"x"))))
        .containsExactly("run_id");
  }

  @Test
  void aTemplateIsCheckedWhenItIsStoredNamingEveryProblem() throws Exception {
    var answer =
        intake.putJson(
            "/v1/workflows/bad",
            "{\"inputs\":[\"ok\",\"ok\",\"not ok\"],\"steps\":["
                + "{\"name\":\"a\",\"type\":\"teleport\",\"payload\":{}},"
                + "{\"name\":\"b\",\"type\":\"script_run\",\"activity_id\":\"x\","
                + "\"payload\":{\"script\":\"echo ${inputs.missing}\"},\"depends_on\":[\"nowhere\"]},"
                + "{\"name\":\"a\",\"type\":\"lock\",\"payload\":{}}]}");

    assertThat(fields(answer))
        .contains(
            "inputs[1]",
            "inputs[2]",
            "steps[0].type",
            "steps[1].activity_id",
            "steps[1].payload.script",
            "steps[1].depends_on[0]",
            "steps[2].name");
    assertThat(
            fields(
                intake.putJson(
                    "/v1/workflows/cycle",
                    "{\"steps\":[{\"name\":\"a\",\"type\":\"lock\",\"payload\":{},\"depends_on\":[\"b\"]},"
                        + "{\"name\":\"b\",\"type\":\"wipe\",\"payload\":{},\"depends_on\":[\"a\"]}]}")))
        .containsExactly("steps");
    // A step without placeholders is validated whole, as an enqueue.
    assertThat(
            fields(
                intake.putJson(
                    "/v1/workflows/whole",
                    "{\"steps\":[{\"name\":\"a\",\"type\":\"software_install\",\"payload\":{}}]}")))
        .allMatch(f -> f.startsWith("steps[0].payload"));
    assertThat(fields(intake.putJson("/v1/workflows/bad%20name", "{\"steps\":[]}")))
        .contains("name", "steps");
  }

  @Test
  void aRunIsRefusedForMissingOrUnknownInputsBadHostsOrMoreThanOneBatch() throws Exception {
    String name = unique("refusals");
    intake.putJson(
        "/v1/workflows/" + name,
        "{\"inputs\":[\"who\"],\"steps\":[{\"name\":\"s\",\"type\":\"script_run\","
            + "\"payload\":{\"script\":\"echo ${inputs.who}\"},\"timeout_ms\":60000}]}");
    String runs = "/v1/workflows/" + name + "/runs";

    assertThat(fields(intake.post(runs, "{\"host_ids\":[\"h\"],\"inputs\":{}}")))
        .containsExactly("inputs.who");
    assertThat(
            fields(
                intake.post(
                    runs, "{\"host_ids\":[\"h\"],\"inputs\":{\"who\":\"x\",\"extra\":\"y\"}}")))
        .containsExactly("inputs.extra");
    assertThat(fields(intake.post(runs, "{\"host_ids\":[\"h\"],\"inputs\":{\"who\":7}}")))
        .containsExactly("inputs.who");
    assertThat(
            fields(
                intake.post(runs, "{\"host_ids\":[\"h\",\"h\",\"*\"],\"inputs\":{\"who\":\"x\"}}")))
        .containsExactly("host_ids[1]", "host_ids[2]");
    String many = "[" + String.join(",", java.util.Collections.nCopies(1_001, "\"h\"")) + "]";
    assertThat(fields(intake.post(runs, "{\"host_ids\":" + many + ",\"inputs\":{\"who\":\"x\"}}")))
        .contains("host_ids");
    assertThat(fields(intake.post(runs, "{\"inputs\":{\"who\":\"x\"}}")))
        .containsExactly("host_ids");
    // A placeholder repeated in a step may not blow a small request up: 100 x 30,000 characters.
    String repeated = unique("repeated");
    intake.putJson(
        "/v1/workflows/" + repeated,
        "{\"inputs\":[\"big\"],\"steps\":[{\"name\":\"s\",\"type\":\"script_run\","
            + "\"payload\":{\"script\":\""
            + "${inputs.big}".repeat(100)
            + "\"}}]}");
    assertThat(
            fields(
                intake.post(
                    "/v1/workflows/" + repeated + "/runs",
                    "{\"host_ids\":[\"h\"],\"inputs\":{\"big\":\"" + "x".repeat(30_000) + "\"}}")))
        .containsExactly("steps[0]");
    assertThat(
            intake
                .post(
                    "/v1/workflows/never-" + name + "/runs", "{\"host_ids\":[\"h\"],\"inputs\":{}}")
                .status())
        .isEqualTo(404);
  }
}

package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The agent API on the real services: an agent enrolls, long-polls its host's next task, heartbeats
 * and reports, and the outcome lands in the ledger; task tokens die with a result or a cancel and
 * never serve another host.
 */
@ExtendWith(LineupInfrastructure.class)
class AgentApiTest {

  private static final String ADMIN = "agent-admin-token-0123456789";
  private static final String ENROLL = "agent-enroll-secret-0123456789";
  private static LineupServices services;
  private static LineupClient intake;
  private static LineupClient gateway;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("agent-state"),
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

  private static LineupClient agentFor(String host) throws Exception {
    var enrolled =
        gateway.post(
            "/v1/agent/enroll",
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}");
    assertThat(enrolled.status()).isEqualTo(200);
    return gateway.as(enrolled.text("host_token"));
  }

  private static String enqueueScript(String host, String script) throws Exception {
    return intake
        .post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"script_run\",\"payload\":{\"script\":\"" + script + "\"}}")
        .text("activity_id");
  }

  private static void awaitState(String id, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo(state));
  }

  @Test
  void aScriptEnqueuedAtIntakeRunsInTheReferenceAgentAndItsOutputShowsInTheLedger()
      throws Exception {
    String host = "real-host-" + UUID.randomUUID();
    try (var agent =
        dev.lineup.agent.Agent.forHost(
            services.gatewayUrl(), ENROLL, host, Files.createTempDirectory("agent-work"))) {
      String ok = enqueueScript(host, "echo hello from $((40 + 2))");
      String failing = enqueueScript(host, "echo about to fail; exit 3");

      awaitState(ok, "SUCCEEDED");
      awaitState(failing, "FAILED");

      assertThat(intake.get("/v1/activities/" + ok).body().get("result"))
          .isEqualTo(Map.of("exit_code", 0, "output", "hello from 42\n"));
      assertThat(intake.get("/v1/activities/" + failing).body().get("result"))
          .isEqualTo(Map.of("exit_code", 3, "output", "about to fail\n"));
    }
  }

  @Test
  void simulatedHostsCompleteEveryTaskTheyGet() throws Exception {
    String prefix = "sim-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    try (var agents =
        dev.lineup.agent.Agent.simulate(services.gatewayUrl(), ENROLL, 5, prefix, Duration.ZERO)) {
      java.util.List<String> ids = new java.util.ArrayList<>();
      for (int h = 0; h < 5; h++) {
        for (int k = 0; k < 3; k++) {
          ids.add(enqueueScript(prefix + h, "echo " + k));
        }
      }
      for (String id : ids) {
        awaitState(id, "SUCCEEDED");
      }
      assertThat(agents.completed()).isEqualTo(15);
    }
  }

  @Test
  void enrollingNeedsTheSecret() throws Exception {
    var wrong =
        gateway.post(
            "/v1/agent/enroll",
            "{\"host_id\":\"h\",\"enroll_secret\":\"guess-guess-guess-guess\"}");

    assertThat(wrong.status()).isEqualTo(401);
    assertThat(gateway.contentType).isEqualTo("application/problem+json");
  }

  @Test
  void aHostIdThatBreaksRule15IsRefusedAtEnrollAndResetNamingTheField() throws Exception {
    for (String hostId : new String[] {"nul\\u0000host", "tab\\there", "*", "h".repeat(256)}) {
      var answer =
          gateway.post(
              "/v1/agent/enroll",
              "{\"host_id\":\"" + hostId + "\",\"enroll_secret\":\"" + ENROLL + "\"}");

      assertThat(answer.status()).as(hostId).isEqualTo(400);
      assertThat(answer.body().toString()).as(hostId).contains("host_id");
    }
    var reset = gateway.as(ADMIN).delete("/v1/agent/hosts/tab%09here/enrollment");
    assertThat(reset.status()).isEqualTo(400);
  }

  @Test
  void anAgentRunsItsHostsTaskAndTheOutcomeReachesTheLedger() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id = enqueueScript(host, "echo hello");

    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.status()).isEqualTo(200);
    assertThat(task.text("activity_id")).isEqualTo(id);
    assertThat(task.text("type")).isEqualTo("script_run");
    assertThat(task.body()).containsKeys("task_token", "lease_expires_at", "payload");
    LineupClient withTask = gateway.as(task.text("task_token"));

    assertThat(withTask.post("/v1/agent/tasks/" + id + "/heartbeat", "").status()).isEqualTo(200);
    var reported =
        withTask.post(
            "/v1/agent/tasks/" + id + "/result",
            "{\"outcome\":\"succeeded\",\"exit_code\":0,\"output\":\"hello\\n\"}");
    assertThat(reported.status()).isEqualTo(200);

    awaitState(id, "SUCCEEDED");
    @SuppressWarnings("unchecked")
    Map<String, Object> result =
        (Map<String, Object>) intake.get("/v1/activities/" + id).body().get("result");
    assertThat(result).containsEntry("exit_code", 0).containsEntry("output", "hello\n");
    // The token died with the result.
    assertThat(withTask.post("/v1/agent/tasks/" + id + "/heartbeat", "").status()).isEqualTo(401);
    assertThat(agent.get("/v1/agent/tasks/next?wait=1").status()).isEqualTo(204);
  }

  @Test
  void aPollSentAgainWithItsIdempotencyKeyGetsTheTaskItClaimedUnderANewToken() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id = enqueueScript(host, "echo once");
    // The first answer is lost on its way (the gateway died after claiming, say).
    var lost = agent.get("/v1/agent/tasks/next?wait=20", "Idempotency-Key", "poll-1");
    assertThat(lost.text("activity_id")).isEqualTo(id);

    var again = agent.get("/v1/agent/tasks/next?wait=1", "Idempotency-Key", "poll-1");
    var otherPoll = agent.get("/v1/agent/tasks/next?wait=1", "Idempotency-Key", "poll-2");
    var keyless = agent.get("/v1/agent/tasks/next?wait=1");

    assertThat(again.status()).isEqualTo(200);
    assertThat(again.text("activity_id")).isEqualTo(id);
    assertThat(again.body().get("attempt")).isEqualTo(lost.body().get("attempt"));
    assertThat(again.text("task_token")).isNotEqualTo(lost.text("task_token"));
    // Only the poll that claimed it gets it again: to anyone else it is delivered already.
    assertThat(otherPoll.status()).isEqualTo(204);
    assertThat(keyless.status()).isEqualTo(204);
    // The new token replaces the lost one.
    LineupClient lostToken = gateway.as(lost.text("task_token"));
    assertThat(lostToken.post("/v1/agent/tasks/" + id + "/heartbeat", "").status()).isEqualTo(401);
    var reported =
        gateway
            .as(again.text("task_token"))
            .post("/v1/agent/tasks/" + id + "/result", "{\"outcome\":\"succeeded\"}");
    assertThat(reported.status()).isEqualTo(200);
    awaitState(id, "SUCCEEDED");
    // Answered: the same poll again has nothing more to get.
    assertThat(agent.get("/v1/agent/tasks/next?wait=1", "Idempotency-Key", "poll-1").status())
        .isEqualTo(204);
  }

  @Test
  void aPollsIdempotencyKeyWithControlCharactersOrTooLongIsRefusedNamingTheHeader()
      throws Exception {
    LineupClient agent = agentFor("agent-host-" + UUID.randomUUID());
    for (String key : List.of("a\tb", "k".repeat(256))) {
      var refused = agent.get("/v1/agent/tasks/next?wait=0", "Idempotency-Key", key);
      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.body().toString()).contains("Idempotency-Key");
    }
  }

  @Test
  void aTaskTokenReadsTheContentItsTaskReferencesAndNothingElse() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String other =
        intake
            .put("/v1/contents", "echo secret".getBytes(java.nio.charset.StandardCharsets.UTF_8))
            .text("sha256");
    String id = enqueueScript(host, "echo mine");
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    @SuppressWarnings("unchecked")
    String sha = (String) ((Map<String, Object>) task.body().get("payload")).get("script_sha256");
    var http = java.net.http.HttpClient.newHttpClient();

    var mine =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    services
                        .gatewayUrl()
                        .resolve("/v1/agent/contents/" + sha + "?activity_id=" + id))
                .header("Authorization", "Bearer " + task.text("task_token"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    var notMine =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    services
                        .gatewayUrl()
                        .resolve("/v1/agent/contents/" + other + "?activity_id=" + id))
                .header("Authorization", "Bearer " + task.text("task_token"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());

    assertThat(mine.statusCode()).isEqualTo(200);
    assertThat(mine.body()).isEqualTo("echo mine");
    assertThat(notMine.statusCode()).isEqualTo(403);
  }

  @Test
  void aWaitingPollIsAnsweredWhenATaskIsReleased() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    long started = System.nanoTime();
    CompletableFuture<LineupClient.Answer> poll = agent.getAsync("/v1/agent/tasks/next?wait=30");
    Thread.sleep(1000);

    String id = enqueueScript(host, "echo woken");

    var task = poll.get();
    assertThat(task.status()).isEqualTo(200);
    assertThat(task.text("activity_id")).isEqualTo(id);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("answered before the wait ran out")
        .isLessThan(Duration.ofSeconds(25));
  }

  @Test
  void manyWaitingAgentsHoldNoThreadsAndAreAllAnswered() throws Exception {
    int agents = 120;
    String prefix = "waiting-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    java.util.List<LineupClient> clients = new java.util.ArrayList<>();
    for (int h = 0; h < agents; h++) {
      clients.add(agentFor(prefix + h));
    }
    // The services' request threads; the test's own HTTP clients bring threads of their own.
    java.util.function.IntSupplier requestThreads =
        () ->
            (int)
                Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("io-executor-thread"))
                    .count();
    int before = requestThreads.getAsInt();

    java.util.List<CompletableFuture<LineupClient.Answer>> polls = new java.util.ArrayList<>();
    for (LineupClient client : clients) {
      polls.add(client.getAsync("/v1/agent/tasks/next?wait=30"));
    }
    Thread.sleep(3000); // every poll has looked, found nothing, and is waiting
    int waiting = requestThreads.getAsInt();
    java.util.Map<String, String> enqueued = new java.util.HashMap<>();
    for (int h = 0; h < agents; h++) {
      enqueued.put(enqueueScript(prefix + h, "echo " + h), prefix + h);
    }

    assertThat(waiting - before)
        .as("request threads added while %d agents wait (%d before)", agents, before)
        .isLessThan(agents / 2);
    java.util.Set<String> answered = new java.util.HashSet<>();
    for (var poll : polls) {
      var task = poll.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(task.status()).isEqualTo(200);
      answered.add(task.text("activity_id"));
    }
    assertThat(answered).isEqualTo(enqueued.keySet());
  }

  @Test
  void aHostTokenNeverSeesAnotherHostsTask() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient other = agentFor("other-" + UUID.randomUUID());
    enqueueScript(host, "echo not yours");

    assertThat(other.get("/v1/agent/tasks/next?wait=2").status()).isEqualTo(204);
    assertThat(gateway.as("not-a-token").get("/v1/agent/tasks/next?wait=0").status())
        .isEqualTo(401);
  }

  @Test
  void cancellingARunningTaskRevokesItsToken() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id = enqueueScript(host, "sleep 600");
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    assertThat(task.text("activity_id")).isEqualTo(id);
    LineupClient withTask = gateway.as(task.text("task_token"));

    assertThat(intake.delete("/v1/hosts/" + host + "/activities/" + id).status()).isEqualTo(202);
    awaitState(id, "CANCELLED");

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(withTask.post("/v1/agent/tasks/" + id + "/heartbeat", "").status())
                    .isEqualTo(401));
    assertThat(
            withTask
                .post("/v1/agent/tasks/" + id + "/result", "{\"outcome\":\"succeeded\"}")
                .status())
        .isEqualTo(401);
  }

  @Test
  void longOutputIsStoredTruncated() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id = enqueueScript(host, "yes | head -c 100000");
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    String output = "y".repeat(100_000);

    gateway
        .as(task.text("task_token"))
        .post(
            "/v1/agent/tasks/" + id + "/result",
            "{\"outcome\":\"failed\",\"exit_code\":3,\"output\":\"" + output + "\"}");

    awaitState(id, "FAILED");
    @SuppressWarnings("unchecked")
    Map<String, Object> result =
        (Map<String, Object>) intake.get("/v1/activities/" + id).body().get("result");
    String stored = (String) result.get("output");
    assertThat(stored.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .as("the output, [truncated] included, within output-limit-bytes")
        .hasSizeLessThanOrEqualTo(65_536);
    assertThat(stored).startsWith("yyy").endsWith("\n[truncated]");
    assertThat(result).containsEntry("exit_code", 3);
  }

  @Test
  void outputWithNulAndLoneSurrogatesIsRecordedWithThemReplaced() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id = enqueueScript(host, "echo a nul");
    var task = agent.get("/v1/agent/tasks/next?wait=20");

    var reported =
        gateway
            .as(task.text("task_token"))
            .post(
                "/v1/agent/tasks/" + id + "/result",
                "{\"outcome\":\"succeeded\",\"exit_code\":0,"
                    + "\"output\":\"a\\u0000b \\ud800 c \\udfff\"}");

    assertThat(reported.status()).isEqualTo(200);
    awaitState(id, "SUCCEEDED");
    @SuppressWarnings("unchecked")
    Map<String, Object> result =
        (Map<String, Object>) intake.get("/v1/activities/" + id).body().get("result");
    assertThat(result).containsEntry("output", "a\uFFFDb \uFFFD c \uFFFD");
  }

  @Test
  void aResultBodyOverTheGatewaysRequestLimitIsRefusedWith413() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id = enqueueScript(host, "yes | head -c 2000000");
    var task = agent.get("/v1/agent/tasks/next?wait=20");

    var reported =
        gateway
            .as(task.text("task_token"))
            .post(
                "/v1/agent/tasks/" + id + "/result",
                "{\"outcome\":\"succeeded\",\"output\":\"" + "y".repeat(2_000_000) + "\"}");

    assertThat(reported.status()).isEqualTo(413);
  }

  @Test
  void aHeartbeatNeverShortensALongerLease() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);
    String id =
        intake
            .post(
                "/v1/hosts/" + host + "/activities",
                "{\"type\":\"script_run\",\"payload\":{\"script\":\"sleep 1\"},"
                    + "\"timeout_ms\":7200000}")
            .text("activity_id");
    var task = agent.get("/v1/agent/tasks/next?wait=20");
    java.time.Instant leased = java.time.Instant.parse(task.text("lease_expires_at"));

    var beat = gateway.as(task.text("task_token")).post("/v1/agent/tasks/" + id + "/heartbeat", "");

    assertThat(beat.status()).isEqualTo(200);
    assertThat(java.time.Instant.parse(beat.text("lease_expires_at"))).isAfterOrEqualTo(leased);
    // The sequencer, which ends the activity when the lease lapses, keeps it too.
    LineupClient sequencer =
        new LineupClient(
            services.sequencerUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
    Thread.sleep(2000);
    @SuppressWarnings("unchecked")
    var inFlight =
        (java.util.List<Map<String, Object>>)
            sequencer.get("/v1/hosts/" + host + "/queue").body().get("in_flight");
    assertThat(java.time.Instant.parse((String) inFlight.get(0).get("lease_expires_at")))
        .isAfterOrEqualTo(leased);
  }

  @Test
  void enrollingAnEnrolledHostWithTheSecretAloneIsRefusedAndTheHostKeepsItsToken()
      throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    LineupClient agent = agentFor(host);

    var takeover =
        gateway.post(
            "/v1/agent/enroll",
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}");

    assertThat(takeover.status()).isEqualTo(409);
    assertThat(gateway.contentType).isEqualTo("application/problem+json");
    assertThat((String) takeover.body().get("detail")).contains("/enrollment");
    assertThat(agent.get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
  }

  @Test
  void aHostRotatesItsTokenByShowingTheCurrentOne() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    String body = "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}";
    String first = gateway.post("/v1/agent/enroll", body).text("host_token");

    var rotated = gateway.as(first).post("/v1/agent/enroll", body);

    assertThat(rotated.status()).isEqualTo(200);
    String second = rotated.text("host_token");
    assertThat(second).isNotEqualTo(first);
    assertThat(gateway.as(first).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(401);
    assertThat(gateway.as(second).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
  }

  @Test
  void anAdminResetsAHostsEnrollmentAndTheNextEnrollSucceeds() throws Exception {
    String host = "agent-host-" + UUID.randomUUID();
    String body = "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}";
    String lost = gateway.post("/v1/agent/enroll", body).text("host_token");
    String reset = "/v1/agent/hosts/" + host + "/enrollment";

    assertThat(gateway.delete(reset).status()).isEqualTo(401);
    assertThat(gateway.as(lost).delete(reset).status()).isEqualTo(401);
    assertThat(gateway.as(ADMIN).delete(reset).status()).isEqualTo(204);

    var again = gateway.post("/v1/agent/enroll", body);
    assertThat(again.status()).isEqualTo(200);
    assertThat(gateway.as(lost).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(401);
    assertThat(gateway.as(again.text("host_token")).get("/v1/agent/tasks/next?wait=0").status())
        .isEqualTo(204);
    assertThat(
            gateway
                .as(ADMIN)
                .delete("/v1/agent/hosts/never-" + UUID.randomUUID() + "/enrollment")
                .status())
        .isEqualTo(404);
  }

  @Test
  void theReferenceAgentKeepsItsHostTokenAcrossRestarts() throws Exception {
    String prefix = "kept-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    java.nio.file.Path tokens = Files.createTempDirectory("agent-tokens");
    try (var first =
        dev.lineup.agent.Agent.simulate(
            services.gatewayUrl(), ENROLL, 1, prefix, Duration.ZERO, tokens)) {
      awaitState(enqueueScript(prefix + 0, "echo 1"), "SUCCEEDED");
    }
    java.nio.file.Path kept;
    try (var files = Files.list(tokens)) {
      kept = files.filter(f -> f.toString().endsWith(".token")).findFirst().orElseThrow();
    }
    String token = Files.readString(kept);

    // A second run uses the kept token; enrolling anew would be refused (409), the host being
    // enrolled already.
    try (var second =
        dev.lineup.agent.Agent.simulate(
            services.gatewayUrl(), ENROLL, 1, prefix, Duration.ZERO, tokens)) {
      assertThat(Files.readString(kept)).isEqualTo(token);
      assertThat(gateway.as(token).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
    }
  }
}

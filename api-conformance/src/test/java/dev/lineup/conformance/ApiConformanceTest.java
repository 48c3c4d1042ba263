package dev.lineup.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lineup.devstack.LineupServices;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every status the served OpenAPI documents promise is what the running services answer. For each
 * service it reads the document from the service ({@code GET /openapi/...}, no credential), sends a
 * table of requests, each naming the operation and status it provokes, and fails when an answer's
 * status, media type or required JSON fields differ from the document, or when the document
 * promises a status that no request provokes and that is not exempt below with its reason. So the
 * documents and the services cannot drift apart in either direction.
 */
@ExtendWith(LineupInfrastructure.class)
class ApiConformanceTest {

  private static final String ADMIN = "conformance-admin-token-0123456789";
  private static final String ENROLL = "conformance-enroll-secret-0123456789";
  private static final String WEBHOOK = "conformance-webhook-secret-0123456789";

  /**
   * Statuses every operation documents that no request here provokes, and why. Each is answered by
   * shared code the other whole-stack tests drive.
   */
  private static final Map<Integer, String> EXEMPT_EVERYWHERE =
      Map.of(
          429,
          "charged by BearerAuthFilter before any route, the same on every path; RateLimitTest"
              + " provokes it per token and per address, and this stack's budgets are too large",
          503,
          "needs Kafka or PostgreSQL to go away mid-test; FaultInjectionTest provokes it");

  /** The gateway's statuses no request here can provoke on purpose, and why. */
  private static final Map<String, String> GATEWAY_EXEMPT =
      Map.of(
          "POST /v1/agent/tasks/{activityId}/result 409",
          "only when the task ends (cancel, lease) between the token check and the write, a race;"
              + " once ended, the task token is refused with 401 first");

  private static LineupServices services;
  private static Http intake;
  private static Http gateway;
  private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("conformance-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of(
                    "lineup.gateway.mdm.webhook-secret", WEBHOOK,
                    "lineup.rate-limit.per-second", 100_000,
                    "lineup.rate-limit.burst", 100_000)));
    services.awaitHealthy(Duration.ofMinutes(2));
    intake = new Http(services.intakeUrl(), ADMIN);
    gateway = new Http(services.gatewayUrl(), null);
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  @Test
  void everyStatusIntakeDocumentsIsWhatItAnswers() throws Exception {
    Conformance check = new Conformance(served(intake, ApiDocument.INTAKE));
    Http none = intake.anonymous();

    // Tokens, which the rest needs: an observer and an operator.
    String observerName = "observer-" + SUFFIX;
    Http observer =
        intake.as(
            check
                .expect(
                    "POST /v1/tokens",
                    201,
                    () -> intake.post("/v1/tokens", token(observerName, "observer")))
                .field("token"));
    Http operator =
        intake.as(
            check
                .expect(
                    "POST /v1/tokens",
                    201,
                    () -> intake.post("/v1/tokens", token("operator-" + SUFFIX, "operator")))
                .field("token"));
    check.expect(
        "POST /v1/tokens", 400, () -> intake.post("/v1/tokens", token("no spaces", "observer")));
    check.expect(
        "POST /v1/tokens", 401, () -> none.post("/v1/tokens", token("x-" + SUFFIX, "observer")));
    check.expect(
        "POST /v1/tokens",
        403,
        () -> operator.post("/v1/tokens", token("y-" + SUFFIX, "observer")));
    check.expect(
        "POST /v1/tokens", 409, () -> intake.post("/v1/tokens", token(observerName, "observer")));
    check.expect("GET /v1/tokens", 200, () -> intake.get("/v1/tokens"));
    check.expect("GET /v1/tokens", 401, () -> none.get("/v1/tokens"));
    check.expect("GET /v1/tokens", 403, () -> operator.get("/v1/tokens"));
    String doomed = "doomed-" + SUFFIX;
    intake.post("/v1/tokens", token(doomed, "observer"));
    check.expect("DELETE /v1/tokens/{name}", 204, () -> intake.delete("/v1/tokens/" + doomed));
    check.expect("DELETE /v1/tokens/{name}", 401, () -> none.delete("/v1/tokens/" + doomed));
    check.expect("DELETE /v1/tokens/{name}", 403, () -> operator.delete("/v1/tokens/" + doomed));
    check.expect(
        "DELETE /v1/tokens/{name}", 404, () -> intake.delete("/v1/tokens/never-" + SUFFIX));

    // Content.
    byte[] script = ("echo conformance " + SUFFIX).getBytes(StandardCharsets.UTF_8);
    String sha =
        check
            .expect(
                "PUT /v1/contents", 201, () -> operator.put("/v1/contents", script, "text/plain"))
            .field("sha256");
    check.expect(
        "PUT /v1/contents", 400, () -> operator.put("/v1/contents", new byte[0], "text/plain"));
    check.expect("PUT /v1/contents", 401, () -> none.put("/v1/contents", script, "text/plain"));
    check.expect("PUT /v1/contents", 403, () -> observer.put("/v1/contents", script, "text/plain"));
    check.expect(
        "PUT /v1/contents",
        413,
        () -> operator.put("/v1/contents", new byte[1024 * 1024 + 1], "application/octet-stream"));
    check.expect("GET /v1/contents/{sha256}", 200, () -> operator.get("/v1/contents/" + sha));
    check.expect("GET /v1/contents/{sha256}", 401, () -> none.get("/v1/contents/" + sha));
    check.expect("GET /v1/contents/{sha256}", 403, () -> observer.get("/v1/contents/" + sha));
    check.expect(
        "GET /v1/contents/{sha256}",
        404,
        () -> operator.get("/v1/contents/" + sha256("never stored " + SUFFIX)));

    // Enqueue: the host has no agent, so its first activity stays in flight and the second waits.
    String host = "conformance-" + SUFFIX;
    String enqueue = "/v1/hosts/" + host + "/activities";
    String first =
        check
            .expect(
                "POST /v1/hosts/{hostId}/activities",
                202,
                () -> operator.post(enqueue, scriptRun("echo 1")))
            .field("activity_id");
    String second =
        check
            .expect(
                "POST /v1/hosts/{hostId}/activities",
                202,
                () -> operator.post(enqueue, scriptRun("echo 2")))
            .field("activity_id");
    check.expect(
        "POST /v1/hosts/{hostId}/activities",
        400,
        () -> operator.post(enqueue, "{\"type\":\"no_such_type\",\"payload\":{}}"));
    check.expect(
        "POST /v1/hosts/{hostId}/activities", 401, () -> none.post(enqueue, scriptRun("echo 3")));
    check.expect(
        "POST /v1/hosts/{hostId}/activities",
        403,
        () -> observer.post(enqueue, scriptRun("echo 3")));
    String key = "key-" + SUFFIX;
    check.expect(
        "POST /v1/hosts/{hostId}/activities",
        202,
        () -> withKey(operator, enqueue, scriptRun("echo 4"), key));
    check.expect(
        "POST /v1/hosts/{hostId}/activities",
        409,
        () -> withKey(operator, enqueue, scriptRun("echo 5"), key));
    check.expect(
        "POST /v1/hosts/{hostId}/activities",
        413,
        () -> operator.post(enqueue, scriptRun("x".repeat(1024 * 1024 + 1))));

    check.expect(
        "GET /v1/activities/{activityId}", 200, () -> observer.get("/v1/activities/" + first));
    check.expect("GET /v1/activities/{activityId}", 401, () -> none.get("/v1/activities/" + first));
    check.expect(
        "GET /v1/activities/{activityId}",
        404,
        () -> observer.get("/v1/activities/" + UUID.randomUUID()));
    check.expect(
        "GET /v1/hosts/{hostId}/activities",
        200,
        () -> observer.get(enqueue + "?state=upcoming&limit=10"));
    check.expect(
        "GET /v1/hosts/{hostId}/activities", 400, () -> observer.get(enqueue + "?limit=0"));
    check.expect("GET /v1/hosts/{hostId}/activities", 401, () -> none.get(enqueue));

    // Cancel one: the waiting one, then again once it has ended.
    String tooLong = "/v1/hosts/" + "h".repeat(256);
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities/{activityId}",
        202,
        () -> operator.delete(enqueue + "/" + second));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities/{activityId}",
        400,
        () -> operator.delete(tooLong + "/activities/" + second));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities/{activityId}",
        401,
        () -> none.delete(enqueue + "/" + second));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities/{activityId}",
        403,
        () -> observer.delete(enqueue + "/" + second));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities/{activityId}",
        404,
        () -> operator.delete(enqueue + "/" + UUID.randomUUID()));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> intake.get("/v1/activities/" + second).field("state").equals("CANCELLED"));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities/{activityId}",
        409,
        () -> operator.delete(enqueue + "/" + second));

    // Host-level commands.
    String other = "/v1/hosts/conformance-other-" + SUFFIX;
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities",
        202,
        () -> operator.delete(other + "/activities?state=upcoming"));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities", 400, () -> operator.delete(other + "/activities"));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities",
        401,
        () -> none.delete(other + "/activities?state=upcoming"));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities",
        403,
        () -> observer.delete(other + "/activities?state=upcoming"));
    for (String command : List.of("pause", "resume")) {
      String op = "POST /v1/hosts/{hostId}/" + command;
      check.expect(op, 202, () -> operator.post(other + "/" + command, ""));
      check.expect(op, 400, () -> operator.post(tooLong + "/" + command, ""));
      check.expect(op, 401, () -> none.post(other + "/" + command, ""));
      check.expect(op, 403, () -> observer.post(other + "/" + command, ""));
    }
    check.expect("DELETE /v1/hosts/{hostId}", 202, () -> intake.delete(other));
    check.expect("DELETE /v1/hosts/{hostId}", 400, () -> intake.delete(tooLong));
    check.expect("DELETE /v1/hosts/{hostId}", 401, () -> none.delete(other));
    check.expect("DELETE /v1/hosts/{hostId}", 403, () -> operator.delete(other));

    // Batches.
    String batch =
        "{\"activities\":[{\"host_id\":\"batch-a-"
            + SUFFIX
            + "\",\"type\":\"lock\",\"payload\":{}},"
            + "{\"host_id\":\"batch-b-"
            + SUFFIX
            + "\",\"type\":\"lock\",\"payload\":{}}]}";
    String batchId =
        check
            .expect("POST /v1/batches", 202, () -> operator.post("/v1/batches", batch))
            .field("batch_id");
    check.expect(
        "POST /v1/batches", 400, () -> operator.post("/v1/batches", "{\"activities\":[]}"));
    check.expect("POST /v1/batches", 401, () -> none.post("/v1/batches", batch));
    check.expect("POST /v1/batches", 403, () -> observer.post("/v1/batches", batch));
    check.expect(
        "POST /v1/batches",
        409,
        () ->
            operator.post(
                "/v1/batches",
                "{\"activities\":[{\"host_id\":\"elsewhere-"
                    + SUFFIX
                    + "\",\"activity_id\":\""
                    + first
                    + "\",\"type\":\"lock\",\"payload\":{}}]}"));
    check.expect(
        "POST /v1/batches",
        413,
        () ->
            operator.post(
                "/v1/batches",
                "{\"activities\":[{\"host_id\":\"big\",\"type\":\"script_run\",\"payload\":"
                    + "{\"script\":\""
                    + "x".repeat(2 * 1024 * 1024 + 1)
                    + "\"}}]}"));
    check.expect("GET /v1/batches/{batchId}", 200, () -> observer.get("/v1/batches/" + batchId));
    check.expect("GET /v1/batches/{batchId}", 401, () -> none.get("/v1/batches/" + batchId));
    check.expect(
        "GET /v1/batches/{batchId}", 404, () -> observer.get("/v1/batches/" + UUID.randomUUID()));
    String batchActivities = "/v1/batches/" + batchId + "/activities";
    check.expect(
        "GET /v1/batches/{batchId}/activities",
        200,
        () -> observer.get(batchActivities + "?state=queued"));
    check.expect(
        "GET /v1/batches/{batchId}/activities",
        400,
        () -> observer.get(batchActivities + "?limit=0"));
    check.expect("GET /v1/batches/{batchId}/activities", 401, () -> none.get(batchActivities));
    check.expect(
        "GET /v1/batches/{batchId}/activities",
        404,
        () -> observer.get("/v1/batches/" + UUID.randomUUID() + "/activities"));

    String selector = "{\"installer_id\":\"conformance-" + SUFFIX + "\"}";
    check.expect("POST /v1/cancellations", 202, () -> operator.post("/v1/cancellations", selector));
    check.expect("POST /v1/cancellations", 400, () -> operator.post("/v1/cancellations", "{}"));
    check.expect("POST /v1/cancellations", 401, () -> none.post("/v1/cancellations", selector));
    check.expect("POST /v1/cancellations", 403, () -> observer.post("/v1/cancellations", selector));
    check.expect("GET /v1/summary", 200, () -> observer.get("/v1/summary"));
    check.expect("GET /v1/summary", 401, () -> none.get("/v1/summary"));

    // What the ops page reads.
    check.expect("GET /v1/me", 200, () -> observer.get("/v1/me"));
    check.expect("GET /v1/me", 401, () -> none.get("/v1/me"));
    check.expect("GET /v1/batches", 200, () -> observer.get("/v1/batches?limit=5"));
    check.expect("GET /v1/batches", 400, () -> observer.get("/v1/batches?limit=0"));
    check.expect("GET /v1/batches", 401, () -> none.get("/v1/batches"));
    check.expect("GET /v1/dead-letters", 200, () -> observer.get("/v1/dead-letters?limit=5"));
    check.expect("GET /v1/dead-letters", 400, () -> observer.get("/v1/dead-letters?limit=0"));
    check.expect("GET /v1/dead-letters", 401, () -> none.get("/v1/dead-letters"));
    check.expect("GET /v1/events", 200, () -> observer.get("/v1/events?limit=5&host=" + host));
    check.expect("GET /v1/events", 400, () -> observer.get("/v1/events?after=not-a-cursor"));
    check.expect("GET /v1/events", 401, () -> none.get("/v1/events"));
    String queue = "/v1/hosts/" + host + "/queue";
    check.expect("GET /v1/hosts/{hostId}/queue", 200, () -> observer.get(queue));
    check.expect("GET /v1/hosts/{hostId}/queue", 400, () -> observer.get(queue + "?limit=0"));
    check.expect("GET /v1/hosts/{hostId}/queue", 401, () -> none.get(queue));
    check.expect(
        "GET /v1/hosts/{hostId}/queue",
        404,
        () -> observer.get("/v1/hosts/never-seen-" + SUFFIX + "/queue"));

    // Schedules: one that starts a month ahead, so nothing fires during the run.
    String scheduleBody =
        "{\"host_id\":\""
            + host
            + "\",\"every\":\"PT6H\",\"start_at\":\""
            + java.time.Instant.now()
                .plus(Duration.ofDays(30))
                .truncatedTo(java.time.temporal.ChronoUnit.MINUTES)
            + "\",\"activity\":"
            + scriptRun("echo scheduled")
            + "}";
    String scheduleId =
        check
            .expect("POST /v1/schedules", 201, () -> operator.post("/v1/schedules", scheduleBody))
            .field("schedule_id");
    check.expect("POST /v1/schedules", 400, () -> operator.post("/v1/schedules", "{}"));
    check.expect("POST /v1/schedules", 401, () -> none.post("/v1/schedules", scheduleBody));
    check.expect("POST /v1/schedules", 403, () -> observer.post("/v1/schedules", scheduleBody));
    check.expect(
        "POST /v1/schedules",
        409,
        () ->
            operator.post(
                "/v1/schedules",
                scheduleBody
                    .replace("PT6H", "PT7H")
                    .replace(
                        "{\"host_id\"", "{\"schedule_id\":\"" + scheduleId + "\",\"host_id\"")));
    check.expect(
        "POST /v1/schedules",
        413,
        () ->
            operator.post(
                "/v1/schedules",
                "{\"host_id\":\"big\",\"every\":\"PT1H\",\"activity\":"
                    + scriptRun("x".repeat(1024 * 1024 + 1))
                    + "}"));
    String schedule = "/v1/schedules/" + scheduleId;
    String noSchedule = "/v1/schedules/" + UUID.randomUUID();
    check.expect("GET /v1/schedules/{scheduleId}", 200, () -> observer.get(schedule));
    check.expect("GET /v1/schedules/{scheduleId}", 401, () -> none.get(schedule));
    check.expect("GET /v1/schedules/{scheduleId}", 404, () -> observer.get(noSchedule));
    String hostSchedules = "/v1/hosts/" + host + "/schedules";
    check.expect("GET /v1/hosts/{hostId}/schedules", 200, () -> observer.get(hostSchedules));
    check.expect(
        "GET /v1/hosts/{hostId}/schedules", 400, () -> observer.get(tooLong + "/schedules"));
    check.expect("GET /v1/hosts/{hostId}/schedules", 401, () -> none.get(hostSchedules));
    for (String command : List.of("pause", "resume")) {
      String op = "POST /v1/schedules/{scheduleId}/" + command;
      check.expect(op, 200, () -> operator.post(schedule + "/" + command, ""));
      check.expect(op, 401, () -> none.post(schedule + "/" + command, ""));
      check.expect(op, 403, () -> observer.post(schedule + "/" + command, ""));
      check.expect(op, 404, () -> operator.post(noSchedule + "/" + command, ""));
    }
    check.expect("DELETE /v1/schedules/{scheduleId}", 401, () -> none.delete(schedule));
    check.expect("DELETE /v1/schedules/{scheduleId}", 403, () -> observer.delete(schedule));
    check.expect("DELETE /v1/schedules/{scheduleId}", 204, () -> operator.delete(schedule));
    check.expect("DELETE /v1/schedules/{scheduleId}", 404, () -> operator.delete(schedule));

    // Workflows.
    String workflow = "/v1/workflows/conformance-" + SUFFIX;
    String definition =
        "{\"inputs\":[\"what\"],\"steps\":[{\"name\":\"say\",\"type\":\"script_run\","
            + "\"payload\":{\"script\":\"echo ${inputs.what}\"}}]}";
    check.expect("PUT /v1/workflows/{name}", 201, () -> operator.putJson(workflow, definition));
    check.expect("PUT /v1/workflows/{name}", 200, () -> operator.putJson(workflow, definition));
    check.expect(
        "PUT /v1/workflows/{name}", 400, () -> operator.putJson(workflow, "{\"steps\":[]}"));
    check.expect("PUT /v1/workflows/{name}", 401, () -> none.putJson(workflow, definition));
    check.expect("PUT /v1/workflows/{name}", 403, () -> observer.putJson(workflow, definition));
    check.expect("GET /v1/workflows/{name}", 200, () -> observer.get(workflow + "?version=1"));
    check.expect("GET /v1/workflows/{name}", 401, () -> none.get(workflow));
    check.expect("GET /v1/workflows/{name}", 404, () -> observer.get(workflow + "?version=9"));
    check.expect("GET /v1/workflows", 200, () -> observer.get("/v1/workflows"));
    check.expect("GET /v1/workflows", 401, () -> none.get("/v1/workflows"));
    String run = "{\"host_ids\":[\"" + host + "\"],\"inputs\":{\"what\":\"hi\"}}";
    check.expect(
        "POST /v1/workflows/{name}/runs", 202, () -> operator.post(workflow + "/runs", run));
    check.expect(
        "POST /v1/workflows/{name}/runs",
        400,
        () -> operator.post(workflow + "/runs", "{\"host_ids\":[\"" + host + "\"]}"));
    check.expect("POST /v1/workflows/{name}/runs", 401, () -> none.post(workflow + "/runs", run));
    check.expect(
        "POST /v1/workflows/{name}/runs", 403, () -> observer.post(workflow + "/runs", run));
    check.expect(
        "POST /v1/workflows/{name}/runs",
        404,
        () -> operator.post("/v1/workflows/never-" + SUFFIX + "/runs", run));

    // Secrets.
    String secret = "/v1/secrets/CONFORMANCE_" + SUFFIX.toUpperCase().replace("-", "_");
    String value = "{\"value\":\"conformance-value-" + SUFFIX + "\"}";
    check.expect("PUT /v1/secrets/{name}", 201, () -> intake.putJson(secret, value));
    check.expect("PUT /v1/secrets/{name}", 200, () -> intake.putJson(secret, value));
    check.expect(
        "PUT /v1/secrets/{name}", 400, () -> intake.putJson(secret, "{\"value\":\"abc\"}"));
    check.expect("PUT /v1/secrets/{name}", 401, () -> none.putJson(secret, value));
    check.expect("PUT /v1/secrets/{name}", 403, () -> operator.putJson(secret, value));
    check.expect("GET /v1/secrets", 200, () -> operator.get("/v1/secrets"));
    check.expect("GET /v1/secrets", 401, () -> none.get("/v1/secrets"));
    check.expect("GET /v1/secrets", 403, () -> observer.get("/v1/secrets"));
    check.expect("GET /v1/secrets/{name}/sealed", 200, () -> operator.get(secret + "/sealed"));
    check.expect("GET /v1/secrets/{name}/sealed", 401, () -> none.get(secret + "/sealed"));
    check.expect("GET /v1/secrets/{name}/sealed", 403, () -> observer.get(secret + "/sealed"));
    check.expect(
        "GET /v1/secrets/{name}/sealed", 404, () -> operator.get("/v1/secrets/NEVER/sealed"));
    String user = "/v1/hosts/conformance-secret-" + SUFFIX;
    check.expect("POST /v1/hosts/{hostId}/pause", 202, () -> operator.post(user + "/pause", ""));
    String using =
        check
            .expect(
                "POST /v1/hosts/{hostId}/activities",
                202,
                () ->
                    operator.post(
                        user + "/activities",
                        scriptRun(
                            "echo $LINEUP_SECRET_" + secret.substring("/v1/secrets/".length()))))
            .field("activity_id");
    check.expect("DELETE /v1/secrets/{name}", 409, () -> intake.delete(secret));
    check.expect("DELETE /v1/secrets/{name}", 401, () -> none.delete(secret));
    check.expect("DELETE /v1/secrets/{name}", 403, () -> operator.delete(secret));
    check.expect("DELETE /v1/secrets/{name}", 404, () -> intake.delete("/v1/secrets/NEVER"));
    check.expect(
        "DELETE /v1/hosts/{hostId}/activities",
        202,
        () -> operator.delete(user + "/activities?state=upcoming"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> intake.get("/v1/activities/" + using).field("state").equals("CANCELLED"));
    check.expect("DELETE /v1/secrets/{name}", 204, () -> intake.delete(secret));

    operations(check, intake);
    check.assertConforms(EXEMPT_EVERYWHERE, Map.of());
  }

  @Test
  void everyStatusTheGatewayDocumentsIsWhatItAnswers() throws Exception {
    Conformance check = new Conformance(served(gateway, ApiDocument.GATEWAY));
    Http unknown = gateway.as("not-a-token-" + SUFFIX);

    String host = "agent-" + SUFFIX;
    Http agent =
        gateway.as(
            check
                .expect(
                    "POST /v1/agent/enroll",
                    200,
                    () -> gateway.post("/v1/agent/enroll", enroll(host, ENROLL)))
                .field("host_token"));
    check.expect(
        "POST /v1/agent/enroll",
        400,
        () -> gateway.post("/v1/agent/enroll", "{\"enroll_secret\":\"" + ENROLL + "\"}"));
    check.expect(
        "POST /v1/agent/enroll",
        401,
        () -> gateway.post("/v1/agent/enroll", enroll("agent-x-" + SUFFIX, "wrong-secret")));
    check.expect(
        "POST /v1/agent/enroll", 409, () -> gateway.post("/v1/agent/enroll", enroll(host, ENROLL)));

    check.expect("GET /v1/agent/tasks/next", 204, () -> agent.get("/v1/agent/tasks/next?wait=0"));
    check.expect(
        "GET /v1/agent/tasks/next",
        400,
        () ->
            agent.send(
                "GET",
                "/v1/agent/tasks/next?wait=0",
                null,
                null,
                "Idempotency-Key",
                "k".repeat(256)));
    check.expect("GET /v1/agent/tasks/next", 401, () -> unknown.get("/v1/agent/tasks/next?wait=0"));

    String script = "echo agent " + SUFFIX;
    String activity =
        intake.post("/v1/hosts/" + host + "/activities", scriptRun(script)).field("activity_id");
    Http.Answer task =
        check.expect(
            "GET /v1/agent/tasks/next", 200, () -> agent.get("/v1/agent/tasks/next?wait=30"));
    assertThat(task.field("activity_id")).isEqualTo(activity);
    Http holder = gateway.as(task.field("task_token"));
    String content = "/v1/agent/contents/" + sha256(script) + "?activity_id=" + activity;
    check.expect("GET /v1/agent/contents/{sha256}", 200, () -> holder.get(content));
    check.expect(
        "GET /v1/agent/contents/{sha256}",
        400,
        () -> holder.get("/v1/agent/contents/" + sha256(script)));
    check.expect("GET /v1/agent/contents/{sha256}", 401, () -> unknown.get(content));
    check.expect(
        "GET /v1/agent/contents/{sha256}",
        403,
        () -> holder.get("/v1/agent/contents/" + sha256("other") + "?activity_id=" + activity));
    String tasks = "/v1/agent/tasks/" + activity;
    check.expect(
        "POST /v1/agent/tasks/{activityId}/heartbeat",
        200,
        () -> holder.post(tasks + "/heartbeat", ""));
    check.expect(
        "POST /v1/agent/tasks/{activityId}/heartbeat",
        401,
        () -> unknown.post(tasks + "/heartbeat", ""));
    check.expect(
        "POST /v1/agent/tasks/{activityId}/result",
        400,
        () -> holder.post(tasks + "/result", "{\"outcome\":\"perhaps\"}"));
    check.expect(
        "POST /v1/agent/tasks/{activityId}/result",
        401,
        () -> unknown.post(tasks + "/result", "{\"outcome\":\"succeeded\"}"));
    check.expect(
        "POST /v1/agent/tasks/{activityId}/result",
        413,
        () ->
            holder.post(
                tasks + "/result",
                "{\"outcome\":\"succeeded\",\"output\":\"" + "x".repeat(1024 * 1024 + 1) + "\"}"));
    check.expect(
        "POST /v1/agent/tasks/{activityId}/result",
        200,
        () -> holder.post(tasks + "/result", "{\"outcome\":\"succeeded\",\"exit_code\":0}"));

    // Content a task names that was never stored: an installer's checksum is not stored content.
    String installerHost = "installer-" + SUFFIX;
    Http installerAgent =
        gateway.as(
            gateway.post("/v1/agent/enroll", enroll(installerHost, ENROLL)).field("host_token"));
    String installerSha = sha256("installer " + SUFFIX);
    String install =
        intake
            .post(
                "/v1/hosts/" + installerHost + "/activities",
                "{\"type\":\"software_install\",\"payload\":{\"installer_id\":\"tool\",\"version\":\"1\","
                    + "\"download_ref\":\"https://example.com/tool.pkg\",\"installer_sha256\":\""
                    + installerSha
                    + "\"}}")
            .field("activity_id");
    Http installer =
        gateway.as(installerAgent.get("/v1/agent/tasks/next?wait=30").field("task_token"));
    check.expect(
        "GET /v1/agent/contents/{sha256}",
        404,
        () -> installer.get("/v1/agent/contents/" + installerSha + "?activity_id=" + install));

    String reset = "/v1/agent/hosts/" + installerHost + "/enrollment";
    Http admin = gateway.as(ADMIN);
    check.expect("DELETE /v1/agent/hosts/{hostId}/enrollment", 204, () -> admin.delete(reset));
    check.expect(
        "DELETE /v1/agent/hosts/{hostId}/enrollment",
        400,
        () -> admin.delete("/v1/agent/hosts/" + "h".repeat(256) + "/enrollment"));
    check.expect("DELETE /v1/agent/hosts/{hostId}/enrollment", 401, () -> gateway.delete(reset));
    check.expect(
        "DELETE /v1/agent/hosts/{hostId}/enrollment",
        404,
        () -> admin.delete("/v1/agent/hosts/never-" + SUFFIX + "/enrollment"));

    check.expect(
        "POST /v1/mdm/webhook",
        200,
        () -> gateway.post("/v1/mdm/webhook?secret=" + WEBHOOK, "{\"topic\":\"mdm.Connect\"}"));
    check.expect(
        "POST /v1/mdm/webhook", 401, () -> gateway.post("/v1/mdm/webhook?secret=wrong", "{}"));

    operations(check, gateway);
    check.assertConforms(EXEMPT_EVERYWHERE, GATEWAY_EXEMPT);
  }

  /** {@code /health} and {@code /metrics}, which every service answers without a credential. */
  private static void operations(Conformance check, Http service) throws Exception {
    check.expect("GET /health", 200, () -> service.anonymous().get("/health"));
    check.expect("GET /metrics", 200, () -> service.anonymous().get("/metrics"));
  }

  /** The document as the running service serves it, with no credential. */
  private static ApiDocument served(Http service, String name) throws Exception {
    Http.Answer answer = service.anonymous().get("/openapi/" + name);
    assertThat(answer.status()).as("GET /openapi/" + name).isEqualTo(200);
    ApiDocument document = ApiDocument.parse(name, answer.text());
    assertThat(document.messages()).isEmpty();
    return document;
  }

  /**
   * The checks, request by request, and what is left over. {@link #expect} sends at once and hands
   * back the answer, so that a later request can use what an earlier one made.
   */
  private static final class Conformance {

    private final ApiDocument document;
    private final Set<String> provoked = new TreeSet<>();
    private final List<String> wrong = new ArrayList<>();

    Conformance(ApiDocument document) {
      this.document = document;
    }

    Http.Answer expect(String operation, int status, Callable<Http.Answer> request)
        throws Exception {
      String what = operation + " " + status;
      provoked.add(what);
      ApiResponse documented = document.response(operation, status);
      if (documented == null) {
        wrong.add(what + ": the document has no such operation or status");
      }
      Http.Answer answer = request.call();
      if (answer.status() != status) {
        wrong.add(what + ": answered " + answer.status() + " " + brief(answer));
        return answer;
      }
      if (documented != null) {
        checkBody(what, documented, answer);
      }
      return answer;
    }

    private void checkBody(String what, ApiResponse documented, Http.Answer answer) {
      Map<String, MediaType> content = documented.getContent();
      if (content == null || content.isEmpty()) {
        if (answer.body().length > 0) {
          wrong.add(what + ": documents no body, answered " + brief(answer));
        }
        return;
      }
      MediaType media = content.get(answer.mediaType());
      if (media == null) {
        wrong.add(what + ": answered " + answer.mediaType() + ", documented " + content.keySet());
        return;
      }
      if (!answer.mediaType().endsWith("json")) {
        return;
      }
      fields(what, document.resolve(media.getSchema()), answer.json(), "");
    }

    /**
     * The JSON has every field its schema requires and no field the schema does not name, in nested
     * objects and lists too: so a name the document spells differently from the answer (host_id for
     * hostId) fails here.
     */
    private void fields(String what, Schema<?> schema, JsonNode json, String at) {
      if (schema == null || json == null || json.isNull()) {
        return;
      }
      if (schema.getAllOf() != null && !schema.getAllOf().isEmpty()) {
        schema = document.resolve(schema.getAllOf().get(0));
      }
      if (json.isArray() && schema.getItems() != null) {
        for (int i = 0; i < json.size(); i++) {
          fields(what, document.resolve(schema.getItems()), json.get(i), at + "[" + i + "]");
        }
        return;
      }
      Map<String, Schema> properties = schema.getProperties();
      if (!json.isObject() || properties == null) {
        return;
      }
      for (String field : schema.getRequired() == null ? List.<String>of() : schema.getRequired()) {
        if (!json.has(field)) {
          wrong.add(what + ": the answer has no " + at + field + ": " + json);
        }
      }
      for (var names = json.fieldNames(); names.hasNext(); ) {
        String field = names.next();
        if (!properties.containsKey(field)) {
          wrong.add(what + ": the answer has " + at + field + ", which the document does not name");
        } else {
          fields(what, document.resolve(properties.get(field)), json.get(field), at + field + ".");
        }
      }
    }

    void assertConforms(Map<Integer, String> exemptEverywhere, Map<String, String> exempt) {
      Set<String> documented = new TreeSet<>();
      document
          .operations()
          .forEach(
              (operation, op) ->
                  op.getResponses().keySet().forEach(s -> documented.add(operation + " " + s)));
      Set<String> unprovoked = new TreeSet<>(documented);
      unprovoked.removeAll(provoked);
      unprovoked.removeIf(
          s -> exemptEverywhere.containsKey(Integer.parseInt(s.substring(s.lastIndexOf(' ') + 1))));
      unprovoked.removeAll(exempt.keySet());
      Set<String> staleExemptions = new TreeSet<>(exempt.keySet());
      staleExemptions.removeAll(documented);

      assertThat(wrong).as(document.name() + ": answers unlike the document").isEmpty();
      assertThat(unprovoked)
          .as(document.name() + ": documented statuses no request provokes, nor exempt")
          .isEmpty();
      assertThat(staleExemptions)
          .as(document.name() + ": exemptions it no longer documents")
          .isEmpty();
    }

    private static String brief(Http.Answer answer) {
      String text = answer.text();
      return answer.mediaType()
          + " "
          + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
    }
  }

  private static String token(String name, String role) {
    return "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"}";
  }

  private static String scriptRun(String script) {
    return "{\"type\":\"script_run\",\"payload\":{\"script\":\"" + script + "\"}}";
  }

  private static String enroll(String host, String secret) {
    return "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + secret + "\"}";
  }

  private static Http.Answer withKey(Http client, String path, String json, String key)
      throws Exception {
    return client.send(
        "POST",
        path,
        json.getBytes(StandardCharsets.UTF_8),
        "application/json",
        "Idempotency-Key",
        key);
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}

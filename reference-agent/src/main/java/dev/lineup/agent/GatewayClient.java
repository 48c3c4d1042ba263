package dev.lineup.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** The executor gateway's agent API, as one host sees it. */
public final class GatewayClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final URI gateway;
  private String hostToken;

  public GatewayClient(URI gateway) {
    this.gateway = gateway;
  }

  /** The gateway refused the host token (unknown, or its enrollment was reset). */
  public static final class HostTokenRefused extends IOException {
    HostTokenRefused(String message) {
      super(message);
    }
  }

  /** The host id is enrolled with a token this agent does not hold (409). */
  public static final class AlreadyEnrolled extends IOException {
    AlreadyEnrolled(String message) {
      super(message);
    }
  }

  /**
   * Enrolls the host, showing {@code currentToken} if it has one (a host enrolled before must, or
   * the gateway answers 409); later calls use the host token it answers, which is returned.
   */
  public String enroll(String hostId, String enrollSecret, String currentToken)
      throws IOException, InterruptedException {
    ObjectNode body =
        JSON.createObjectNode().put("host_id", hostId).put("enroll_secret", enrollSecret);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(gateway.resolve("/v1/agent/enroll"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (currentToken != null) {
      request.header("Authorization", "Bearer " + currentToken);
    }
    HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() == 409) {
      throw new AlreadyEnrolled(
          "host "
              + hostId
              + " is already enrolled with another host token, and this agent does not hold it."
              + " If the host was reinstalled, an admin resets its enrollment with"
              + " DELETE "
              + gateway.resolve("/v1/agent/hosts/")
              + URLEncoder.encode(hostId, StandardCharsets.UTF_8).replace("+", "%20")
              + "/enrollment (admin API token), then the agent is started again.");
    }
    if (answer.statusCode() != 200) {
      throw new IOException("enroll refused (" + answer.statusCode() + "): " + answer.body());
    }
    hostToken = JSON.readTree(answer.body()).get("host_token").asText();
    return hostToken;
  }

  /** Uses a host token kept from an earlier enrollment. */
  public void useHostToken(String token) {
    hostToken = token;
  }

  public String hostToken() {
    return hostToken;
  }

  /**
   * The poll's Idempotency-Key: kept until a poll gets an answer, so a poll sent again after its
   * answer was lost (the gateway died after claiming a task, or the connection broke) gets the task
   * it claimed back rather than leaving it to wait out its lease.
   */
  private String claimKey = UUID.randomUUID().toString();

  /** The host's next task, waiting up to {@code waitSeconds} for one. */
  public Optional<JsonNode> next(int waitSeconds) throws IOException, InterruptedException {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(gateway.resolve("/v1/agent/tasks/next?wait=" + waitSeconds))
                .header("Authorization", "Bearer " + hostToken)
                .header("Idempotency-Key", claimKey)
                .timeout(Duration.ofSeconds(waitSeconds + 30L))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    // An answer came: the next poll is a new one.
    claimKey = UUID.randomUUID().toString();
    if (answer.statusCode() == 204) {
      return Optional.empty();
    }
    if (answer.statusCode() == 401) {
      throw new HostTokenRefused("the gateway does not know this host token: " + answer.body());
    }
    if (answer.statusCode() != 200) {
      throw new IOException("next task refused (" + answer.statusCode() + "): " + answer.body());
    }
    return Optional.of(JSON.readTree(answer.body()));
  }

  /** False when the task's token no longer works (cancelled, expired, done). */
  public boolean heartbeat(JsonNode task) throws IOException, InterruptedException {
    return post(task, "/heartbeat", "").statusCode() == 200;
  }

  /**
   * Reports the outcome; false when the gateway refused it for good (the token is dead: the task
   * was cancelled, expired or already reported). While the gateway cannot take it (unreachable,
   * 5xx, 429) the report is sent again, with a backoff, until the task's lease ends: an outcome
   * dropped here would leave the host's queue waiting for the lease to lapse.
   */
  public boolean report(JsonNode task, boolean succeeded, Integer exitCode, String output)
      throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("outcome", succeeded ? "succeeded" : "failed");
    if (exitCode != null) {
      body.put("exit_code", exitCode);
    }
    if (output != null) {
      body.put("output", output);
    }
    long until = leaseEnd(task);
    long backoff = 200;
    while (true) {
      try {
        int status = post(task, "/result", body.toString()).statusCode();
        if (status == 200) {
          return true;
        }
        if (status < 500 && status != 429) {
          return false;
        }
      } catch (IOException e) {
        if (System.currentTimeMillis() + backoff > until) {
          throw e;
        }
      }
      if (System.currentTimeMillis() + backoff > until) {
        return false;
      }
      Thread.sleep(backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  private static long leaseEnd(JsonNode task) {
    try {
      return java.time.Instant.parse(task.path("lease_expires_at").asText()).toEpochMilli();
    } catch (java.time.format.DateTimeParseException e) {
      return System.currentTimeMillis() + 60_000;
    }
  }

  public byte[] content(JsonNode task, String sha256) throws IOException, InterruptedException {
    String activityId = task.get("activity_id").asText();
    HttpResponse<byte[]> answer =
        http.send(
            HttpRequest.newBuilder(
                    gateway.resolve(
                        "/v1/agent/contents/"
                            + sha256
                            + "?activity_id="
                            + URLEncoder.encode(activityId, StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + task.get("task_token").asText())
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (answer.statusCode() != 200) {
      throw new IOException("content " + sha256 + " refused (" + answer.statusCode() + ")");
    }
    return answer.body();
  }

  private HttpResponse<String> post(JsonNode task, String what, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(
                gateway.resolve(
                    "/v1/agent/tasks/"
                        + URLEncoder.encode(
                            task.get("activity_id").asText(), StandardCharsets.UTF_8)
                        + what))
            .header("Authorization", "Bearer " + task.get("task_token").asText())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

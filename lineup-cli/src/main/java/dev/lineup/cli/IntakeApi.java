package dev.lineup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Intake's HTTP API, one method per verb, for the CLI: plain {@link HttpClient} and Jackson, no
 * generated client (the API is small, and the CLI prints the service's JSON as it came).
 *
 * <p>Every answer that is not a 2xx becomes a {@link CliFailure} whose message is the problem (its
 * title, detail and each field error) and whose exit code says whether trying again may help.
 */
final class IntakeApi {

  /**
   * Longer than intake waits for Kafka (its 503 then says so), shorter than a person's patience.
   */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  // HTTP/1.1: the default tries an h2c upgrade on every plain-HTTP request.
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  record Answer(int status, String contentType, byte[] body, String retryAfter) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      return Json.parse(text());
    }
  }

  private final URI base;
  private final String token;

  IntakeApi(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  URI base() {
    return base;
  }

  /** One path segment, encoded: a host id may hold '/', '?', '#' or spaces. */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  Answer get(String path) {
    return send("GET", path, BodyPublishers.noBody(), null);
  }

  Answer delete(String path) {
    return send("DELETE", path, BodyPublishers.noBody(), null);
  }

  Answer post(String path, JsonNode body) {
    return send(
        "POST",
        path,
        body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(Json.write(body)),
        "application/json");
  }

  Answer post(String path, JsonNode body, String idempotencyKey) {
    HttpRequest.Builder request = request(path);
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    request.header("Content-Type", "application/json");
    request.method("POST", BodyPublishers.ofString(Json.write(body)));
    return send(request, "POST " + path);
  }

  Answer putJson(String path, JsonNode body) {
    return send("PUT", path, BodyPublishers.ofString(Json.write(body)), "application/json");
  }

  Answer put(String path, byte[] body) {
    return send("PUT", path, BodyPublishers.ofByteArray(body), "application/octet-stream");
  }

  private Answer send(String method, String path, BodyPublisher body, String contentType) {
    HttpRequest.Builder request = request(path);
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    request.method(method, body);
    return send(request, method + " " + path);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/json, application/problem+json, */*");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request;
  }

  private Answer send(HttpRequest.Builder request, String what) {
    HttpResponse<byte[]> response;
    try {
      response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw CliFailure.failed("cannot reach intake at " + base + " (connection refused)");
    } catch (HttpConnectTimeoutException e) {
      throw CliFailure.failed("cannot reach intake at " + base + " (no connection within 10 s)");
    } catch (HttpTimeoutException e) {
      throw CliFailure.failed(
          what + ": no answer from " + base + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
    } catch (IOException e) {
      throw CliFailure.failed(what + ": " + base + " did not answer (" + describe(e) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.failed(what + ": interrupted");
    }
    Answer answer =
        new Answer(
            response.statusCode(),
            response.headers().firstValue("content-type").orElse(""),
            response.body(),
            response.headers().firstValue("retry-after").orElse(null));
    if (answer.status() / 100 != 2) {
      throw problem(answer);
    }
    return answer;
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    if (message == null && e.getCause() != null) {
      message = e.getCause().toString();
    }
    return message == null ? e.getClass().getSimpleName() : message;
  }

  /**
   * A refusal as a person reads it: the problem's title, detail and field errors, and the exit
   * code: 1 when the same request later may pass, 2 when the request itself was wrong, 3 when it
   * was refused.
   */
  CliFailure problem(Answer answer) {
    int status = answer.status();
    StringBuilder message = new StringBuilder("lineup: ");
    JsonNode problem = null;
    if (answer.contentType().contains("json") && answer.body().length > 0) {
      try {
        problem = Json.MAPPER.readTree(answer.body());
      } catch (IOException notJson) {
        problem = null;
      }
    }
    String title =
        problem != null && problem.hasNonNull("title") ? problem.get("title").asText() : "";
    message.append(title.isEmpty() ? "HTTP " + status : title + " (HTTP " + status + ")");
    if (problem != null && problem.hasNonNull("detail")) {
      message.append(": ").append(problem.get("detail").asText());
    } else if (problem == null && answer.body().length > 0) {
      message.append(": ").append(Json.abbreviate(answer.text()));
    }
    if (problem != null && problem.has("errors") && problem.get("errors").isArray()) {
      for (JsonNode error : problem.get("errors")) {
        message
            .append(System.lineSeparator())
            .append("  ")
            .append(Json.text(error, "field"))
            .append(": ")
            .append(Json.text(error, "message"));
      }
    }
    if (answer.retryAfter() != null) {
      message.append(System.lineSeparator()).append("  retry after ").append(answer.retryAfter());
      message.append(" s");
    }
    if (status == 401 && token == null) {
      message
          .append(System.lineSeparator())
          .append("  no token was given: set LINEUP_TOKEN, or use --token-file");
    }
    return new CliFailure(exitCode(status), message.toString());
  }

  /** docs/CLI.md, "Exit codes". */
  static int exitCode(int status) {
    if (status == 429 || status >= 500) {
      return LineupCli.FAILED;
    }
    if (status == 400 || status == 413 || status == 422) {
      return LineupCli.MISUSED;
    }
    return LineupCli.REFUSED;
  }
}

package dev.lineup.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain HTTP client for one service, with or without a bearer token: the conformance test must
 * send what the generated documents do not allow (no token, wrong bodies), so it builds requests by
 * hand rather than through a generated client.
 */
final class Http {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** One answer: its status, its media type (without parameters) and its body. */
  record Answer(int status, String mediaType, byte[] body) {

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (java.io.IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + text(), e);
      }
    }

    /** A top-level text field of the JSON body. */
    String field(String name) {
      return json().path(name).asText();
    }
  }

  private final URI base;
  private final String token;

  Http(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  Http as(String otherToken) {
    return new Http(base, otherToken);
  }

  Http anonymous() {
    return new Http(base, null);
  }

  Answer get(String path) throws Exception {
    return send("GET", path, null, null);
  }

  Answer delete(String path) throws Exception {
    return send("DELETE", path, null, null);
  }

  Answer post(String path, String json) throws Exception {
    return send("POST", path, json.getBytes(StandardCharsets.UTF_8), "application/json");
  }

  Answer putJson(String path, String json) throws Exception {
    return send("PUT", path, json.getBytes(StandardCharsets.UTF_8), "application/json");
  }

  Answer put(String path, byte[] body, String contentType) throws Exception {
    return send("PUT", path, body, contentType);
  }

  Answer send(String method, String path, byte[] body, String contentType, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (headers.length > 0) {
      request.headers(headers);
    }
    HttpResponse<byte[]> answer =
        CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    String mediaType =
        answer
            .headers()
            .firstValue("Content-Type")
            .map(t -> t.split(";")[0].strip().toLowerCase(java.util.Locale.ROOT))
            .orElse("");
    return new Answer(answer.statusCode(), mediaType, answer.body());
  }
}

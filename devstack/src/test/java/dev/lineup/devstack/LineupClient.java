package dev.lineup.devstack;

import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** What an upstream service does with Lineup's HTTP API, for tests: plain HTTP and JSON. */
final class LineupClient {

  record Answer(int status, Map<String, Object> body) {
    String text(String field) {
      return (String) body.get(field);
    }
  }

  // HTTP/1.1: the default tries an h2c upgrade on every plain-HTTP request, ~100 ms each.
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** The content type of the last answer. */
  String contentType = "";

  /** The Retry-After header of the last answer; null without one. */
  String retryAfter;

  private final URI base;
  private final String token;
  private final JsonMapper json;

  LineupClient(URI base, String token, JsonMapper json) {
    this.base = base;
    this.token = token;
    this.json = json;
  }

  Answer post(String path, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(
        request
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  Answer delete(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
  }

  Answer putJson(String path, String body) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  Answer put(String path, byte[] body) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** The same request without (or with another) bearer token. */
  LineupClient as(String otherToken) {
    return new LineupClient(base, otherToken, json);
  }

  /** A GET on another thread: for a long poll that something else must answer. */
  java.util.concurrent.CompletableFuture<Answer> getAsync(String path) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return get(path);
          } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  Answer get(String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.GET());
  }

  /** The body of a GET as bytes (stored content); fails unless the answer is 200. */
  byte[] getBytes(String path) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<byte[]> answer =
        http.send(request.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    if (answer.statusCode() != 200) {
      throw new IOException("GET " + path + " answered " + answer.statusCode());
    }
    return answer.body();
  }

  private Answer send(HttpRequest.Builder request) throws IOException, InterruptedException {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    contentType = answer.headers().firstValue("content-type").orElse("");
    retryAfter = answer.headers().firstValue("retry-after").orElse(null);
    @SuppressWarnings("unchecked")
    Map<String, Object> body =
        answer.body().isEmpty() || !contentType.contains("json")
            ? Map.of()
            : json.readValue(answer.body(), Map.class);
    return new Answer(answer.statusCode(), body);
  }
}

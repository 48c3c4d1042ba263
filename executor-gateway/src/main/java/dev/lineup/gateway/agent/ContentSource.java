package dev.lineup.gateway.agent;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * Where task content comes from: intake's content store ({@code GET /v1/contents/{sha256}}), read
 * with the gateway's own API token. Intake owns the content; the gateway never reads its database.
 */
@Singleton
public final class ContentSource {

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String intakeUrl;
  private final String token;

  public ContentSource(
      @Value("${lineup.gateway.intake-url}") String intakeUrl,
      @Value("${lineup.gateway.intake-token:}") String intakeToken,
      @Value("${lineup.admin-token:}") String adminToken) {
    this.intakeUrl =
        intakeUrl.endsWith("/") ? intakeUrl.substring(0, intakeUrl.length() - 1) : intakeUrl;
    this.token = intakeToken.isBlank() ? adminToken : intakeToken;
  }

  public Optional<byte[]> fetch(String sha256) throws IOException, InterruptedException {
    return get("/v1/contents/" + sha256, "content " + sha256);
  }

  /**
   * A secret's sealed form from intake ({@code GET /v1/secrets/{name}/sealed}, JSON), or empty if
   * there is no such secret.
   */
  public Optional<byte[]> sealedSecret(String name) throws IOException, InterruptedException {
    return get("/v1/secrets/" + name + "/sealed", "secret " + name);
  }

  private Optional<byte[]> get(String path, String what) throws IOException, InterruptedException {
    HttpResponse<byte[]> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(intakeUrl + path))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (answer.statusCode() == 404) {
      return Optional.empty();
    }
    if (answer.statusCode() != 200) {
      throw new IOException("intake answered " + answer.statusCode() + " for " + what);
    }
    return Optional.of(answer.body());
  }
}
